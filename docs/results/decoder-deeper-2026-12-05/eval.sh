#!/bin/bash
# Judge train.sh's arms beside the decoder they started from (the bundled one, in float32: exp/decoder-more/
# lr3e-4/final) on the default corpus's 100 test and 80 dev utterances (pocketsphinx; PESQ, STOI, mel / cepstral
# distance), then the bundled LM's very same TTS codes (docs/results/cepstral-2026-12-04/tts.sh made them) through
# each decoder, and the paired differences. ARMS="same" judges one arm early (while another trains); a later run
# with more reuses what is judged (pipelines.evaluate caches per folder and name). As run: ARMS="same deep12"
# (04:34-05:03 UTC), then the default, all three (wide512 added). Run from the repository root.
set -euo pipefail
D=docs/results/decoder-deeper-2026-12-05
E=${OUT:-exp/decoder-deeper}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
ARMS=(${ARMS:-same deep12 wide512})
K=exp/cepstral/tts-test/tts/bundle/codes.safetensors
codecs=(--codec dec18k=exp/decoder-more/lr3e-4/final)
tts=(--tts-codes dec18k=exp/decoder-more/lr3e-4/final:$K)
for arm in "${ARMS[@]}"; do codecs+=(--codec $arm=$E/$arm/final); tts+=(--tts-codes $arm=$E/$arm/final:$K); done
for split in test:100 dev:80; do
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/${split%%:*}.jsonl \
    --max-utts ${split##*:} --seed 0 --asr pocketsphinx --out $E/judged-${split%%:*} > $E/judge-${split%%:*}.log 2>&1
done
$P -m pipelines.evaluate compare "${tts[@]}" --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 \
  --asr pocketsphinx --out $E/tts-test-decoders > $E/tts-test-decoders.log 2>&1
[ ${#ARMS[@]} -ge 2 ] || exit 0  # the rest compares the arms: every pair, the start included
names=(dec18k "${ARMS[@]}") pairs=() truth=()
for i in "${!names[@]}"; do
  truth+=(ground_truth:${names[i]})
  for ((j = i + 1; j < ${#names[@]}; j++)); do pairs+=(${names[i]}:${names[j]}); done
done
R=$E/judged-test
$P scripts/paired_wer.py $R "${pairs[@]}" > $R/paired_codec_wer.txt
$P scripts/paired_wer.py $R "${pairs[@]}" --pool $E/judged-dev > $R/paired_codec_wer_test_dev.txt
$P docs/results/codec-claims-gpu-2026-12-04/paired.py $R "${pairs[@]}" > $R/paired.md
$P docs/results/codec-claims-gpu-2026-12-04/paired.py $E/judged-dev "${pairs[@]}" > $E/judged-dev/paired.md
# what each codec costs over the judge's own error on the input (the ground-truth row)
$P scripts/paired_wer.py $R "${truth[@]}" > $R/over_ground_truth.txt
$P scripts/paired_wer.py $E/judged-dev "${truth[@]}" >> $R/over_ground_truth.txt
$P scripts/paired_wer.py $R "${truth[@]}" --pool $E/judged-dev >> $R/over_ground_truth.txt
$P scripts/paired_wer.py $E/tts-test-decoders "${pairs[@]}" --folder tts > $E/tts-test-decoders/paired_tts_wer.txt
mkdir -p $D/test $D/dev $D/tts $D/runs
cp $R/report.md $R/results.json $R/*.png $R/paired_codec_wer*.txt $R/paired.md $R/over_ground_truth.txt $D/test/
cp $E/judged-dev/report.md $E/judged-dev/results.json $E/judged-dev/paired.md $D/dev/
cp $E/tts-test-decoders/report.md $E/tts-test-decoders/paired_tts_wer.txt $D/tts/
for arm in "${ARMS[@]}"; do gzip -9c $E/$arm/metrics.jsonl > $D/runs/$arm.metrics.jsonl.gz; mkdir -p $D/runs/$arm-eval; cp $E/$arm/eval/*.json $D/runs/$arm-eval/; done
$P $D/plot.py
$P docs/results/decoder-more-2026-12-05/paired_distances.py $R "${pairs[@]}" > $D/test/paired_distances.md
