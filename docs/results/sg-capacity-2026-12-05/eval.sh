#!/bin/bash
# Judge train.sh's four arms (and the two decoders they started from, with their own trained quantizer) on the slt
# corpus's 100 test and 80 dev utterances (pocketsphinx; PESQ, STOI, mel / cepstral distance, QE, hidden MSE), then:
# claims 1 and 2 per decoder (claim 3's slot asks whether the 6-block decoder with SG matches the 12-block one
# without: SG in place of capacity), SG's paired effect per decoder and its contrast between them (the interaction,
# scripts/seed_pooled.py), paired WER, the tap's energy. Waits for the arms' final/ folders. Run from the repo root.
set -euo pipefail
D=docs/results/sg-capacity-2026-12-05
E=${OUT:-exp/sg-capacity}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
ARMS=(same-s1 same-sgc-s1 deep12-s1 deep12-sgc-s1)
for arm in "${ARMS[@]}"; do until [ -f $E/$arm/final/model.safetensors ]; do sleep 30; done; done
codecs=(--codec start-same=exp/decoder-deeper/same/final --codec start-deep12=exp/decoder-deeper/deep12/final)
for arm in "${ARMS[@]}"; do codecs+=(--codec $arm=$E/$arm/final); done
$P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 \
  --asr pocketsphinx --out $E/judged-test > $E/judge-test.log 2>&1
$P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/dev.jsonl --max-utts 80 --seed 0 \
  --asr pocketsphinx --out $E/judged-dev > $E/judge-dev.log 2>&1
R=$E/judged-test
$P -m pipelines.claims --report $R --runs $E --pair same-s1:same-sgc-s1 --pair deep12-s1:deep12-sgc-s1 \
  --reference deep12-s1 --candidate same-sgc-s1 --out $R/claims > /dev/null
SG_PAIRS=(same-s1:same-sgc-s1 deep12-s1:deep12-sgc-s1)
for r in $R $E/judged-dev; do
  $P scripts/seed_pooled.py $r "${SG_PAIRS[@]}" --metric pesq_wb --metric pesq_nb --metric stoi \
    --metric mel_distance --metric wer > $r/sg_effect.jsonl
done
PAIRS=(start-same:same-s1 start-deep12:deep12-s1 "${SG_PAIRS[@]}" same-s1:deep12-s1 same-sgc-s1:deep12-sgc-s1)
$P docs/results/codec-claims-gpu-2026-12-04/paired.py $R "${PAIRS[@]}" > $R/paired.md
$P docs/results/codec-claims-gpu-2026-12-04/paired.py $E/judged-dev "${PAIRS[@]}" > $E/judged-dev/paired.md
$P scripts/paired_wer.py $R "${PAIRS[@]}" --pool $E/judged-dev > $R/paired_wer_test_dev.txt
$P scripts/paired_wer.py $R $(for arm in start-same start-deep12 "${ARMS[@]}"; do echo ground_truth:$arm; done) \
  > $R/over_ground_truth.txt
$P scripts/hidden_energy.py $(for arm in "${ARMS[@]}"; do echo $E/$arm/final; done) --tap last_block \
  --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy.txt
mkdir -p $D/test $D/dev $D/runs
cp -r $R/report.md $R/results.json $R/*.png $R/claims $R/sg_effect.jsonl $R/paired.md $R/paired_wer_test_dev.txt \
  $R/over_ground_truth.txt $R/hidden_energy.txt $D/test/
cp $E/judged-dev/report.md $E/judged-dev/results.json $E/judged-dev/sg_effect.jsonl $E/judged-dev/paired.md $D/dev/
for arm in "${ARMS[@]}"; do
  gzip -9c $E/$arm/metrics.jsonl > $D/runs/$arm.metrics.jsonl.gz
  mkdir -p $D/runs/$arm-eval && cp $E/$arm/eval/*.json $D/runs/$arm-eval/
done
