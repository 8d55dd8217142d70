#!/bin/bash
# After `ARMS=deep12-sgcd THREADS=2 train.sh`: judge the decoder-only-SG arm beside eval.sh's (the same report
# folders, so the arms judged before are reused), then claims 1-2 for SG with and without its encoder gradient at
# 12 blocks, their paired effects and contrast, paired WER and the tap's energy. Run from the repository root.
set -euo pipefail
D=docs/results/sg-capacity-2026-12-05
E=${OUT:-exp/sg-capacity}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
until [ -f $E/deep12-sgcd-s1/final/model.safetensors ]; do sleep 30; done
codecs=(--codec start-same=exp/decoder-deeper/same/final --codec start-deep12=exp/decoder-deeper/deep12/final)
for arm in same-s1 same-sgc-s1 deep12-s1 deep12-sgc-s1 deep12-sgcd-s1; do codecs+=(--codec $arm=$E/$arm/final); done
for split in test:100 dev:80; do
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/${split%%:*}.jsonl \
    --max-utts ${split##*:} --seed 0 --asr pocketsphinx --out $E/judged-${split%%:*} > $E/judge-${split%%:*}-sgcd.log 2>&1
done
R=$E/judged-test
$P -m pipelines.claims --report $R --runs $E --pair deep12-s1:deep12-sgc-s1 --pair deep12-s1:deep12-sgcd-s1 \
  --reference deep12-s1 --candidate deep12-sgcd-s1 --out $R/claims-sgcd > /dev/null
for r in $R $E/judged-dev; do
  $P scripts/seed_pooled.py $r deep12-s1:deep12-sgc-s1 deep12-s1:deep12-sgcd-s1 --metric pesq_wb --metric pesq_nb \
    --metric stoi --metric mel_distance --metric wer > $r/sg_encoder_grad.jsonl
done
$P scripts/paired_wer.py $R deep12-s1:deep12-sgcd-s1 deep12-sgc-s1:deep12-sgcd-s1 ground_truth:deep12-sgcd-s1 \
  --pool $E/judged-dev > $R/paired_wer_sgcd_test_dev.txt
$P scripts/paired_wer.py $R ground_truth:deep12-sgcd-s1 >> $R/over_ground_truth.txt  # beside eval.sh's rows (test)
$P scripts/hidden_energy.py $E/deep12-s1/final $E/deep12-sgcd-s1/final --tap last_block \
  --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy_sgcd.txt
cp -r $R/report.md $R/results.json $R/*.png $R/claims-sgcd $R/sg_encoder_grad.jsonl $R/paired_wer_sgcd_test_dev.txt \
  $R/hidden_energy_sgcd.txt $R/over_ground_truth.txt $D/test/
cp $E/judged-dev/report.md $E/judged-dev/results.json $E/judged-dev/sg_encoder_grad.jsonl $D/dev/
gzip -9c $E/deep12-sgcd-s1/metrics.jsonl > $D/runs/deep12-sgcd-s1.metrics.jsonl.gz
mkdir -p $D/runs/deep12-sgcd-s1-eval && cp $E/deep12-sgcd-s1/eval/*.json $D/runs/deep12-sgcd-s1-eval/
