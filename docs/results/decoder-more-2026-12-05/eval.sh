#!/bin/bash
# Judge the two arms of train.sh beside the bundled codec and the +8000-step control they started from, on the
# default corpus's 100 test and 80 dev utterances (pocketsphinx; PESQ, STOI, mel / cepstral distance), then the
# bundled LM's very same TTS codes (docs/results/cepstral-2026-12-04/tts.sh made them) through each decoder, and the
# paired differences. Run from the repository root after train.sh.
set -euo pipefail
D=docs/results/decoder-more-2026-12-05
E=${OUT:-exp/decoder-more}
P=.venv/bin/python
export OMP_NUM_THREADS=2
# "bundle" is the default model as it was before this run replaced it (commit f1581ac), taken from git so that a
# rerun on a later checkout judges the same codec (bundle.sh uses this copy too)
OLD_BUNDLE=$E/tts/req16384on2-t0.2
[ -d $OLD_BUNDLE ] || { mkdir -p $OLD_BUNDLE && git archive f1581ac^ pipelines/default_model | tar -x --strip-components=2 -C $OLD_BUNDLE; }
codecs=(--codec bundle=$OLD_BUNDLE/codec --codec mel8k=exp/cepstral/mel/final
        --codec mel18k=$E/mel/final --codec lr3e-4=$E/lr3e-4/final)
for split in test:100 dev:80; do
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/${split%%:*}.jsonl \
    --max-utts ${split##*:} --seed 0 --asr pocketsphinx --out $E/judged-${split%%:*} > $E/judge-${split%%:*}.log 2>&1
done
K=exp/cepstral/tts-test/tts/bundle/codes.safetensors
$P -m pipelines.evaluate compare --tts-codes bundle=$OLD_BUNDLE/codec:$K \
  --tts-codes mel8k=exp/cepstral/mel/final:$K --tts-codes mel18k=$E/mel/final:$K --tts-codes lr3e-4=$E/lr3e-4/final:$K \
  --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 --asr pocketsphinx --out $E/tts-test-decoders \
  > $E/tts-test-decoders.log 2>&1
pairs=(bundle:mel8k bundle:mel18k bundle:lr3e-4 mel8k:mel18k mel18k:lr3e-4)
R=$E/judged-test
$P scripts/paired_wer.py $R "${pairs[@]}" > $R/paired_codec_wer.txt
$P scripts/paired_wer.py $R "${pairs[@]}" --pool $E/judged-dev > $R/paired_codec_wer_test_dev.txt
$P docs/results/codec-claims-gpu-2026-12-04/paired.py $R "${pairs[@]}" > $R/paired.md
# what each codec costs over the judge's own error on the input (the ground-truth row)
truth=(ground_truth:bundle ground_truth:mel8k ground_truth:mel18k ground_truth:lr3e-4)
$P scripts/paired_wer.py $R "${truth[@]}" > $R/over_ground_truth.txt
$P scripts/paired_wer.py $E/judged-dev "${truth[@]}" >> $R/over_ground_truth.txt
$P scripts/paired_wer.py $R "${truth[@]}" --pool $E/judged-dev >> $R/over_ground_truth.txt
$P scripts/paired_wer.py $E/tts-test-decoders "${pairs[@]}" --folder tts > $E/tts-test-decoders/paired_tts_wer.txt
mkdir -p $D/test $D/dev $D/tts $D/runs
cp $R/report.md $R/results.json $R/*.png $R/paired_codec_wer*.txt $R/paired.md $R/over_ground_truth.txt $D/test/
cp $E/judged-dev/report.md $E/judged-dev/results.json $D/dev/
cp $E/tts-test-decoders/report.md $E/tts-test-decoders/paired_tts_wer.txt $D/tts/
for arm in mel lr3e-4; do gzip -9c $E/$arm/metrics.jsonl > $D/runs/$arm.metrics.jsonl.gz; cp -r $E/$arm/eval $D/runs/$arm-eval; done
cp -r exp/cepstral/mel/eval $D/runs/mel8k-eval
$P $D/plot.py
$P docs/results/decoder-more-2026-12-05/paired_distances.py $R "${pairs[@]}" > $D/test/paired_distances.md
