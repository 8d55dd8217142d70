#!/bin/bash
# After the replicate (train.sh: SEED=2 ARMS="deep12 deep12-sgc deep12-sgcd", and ARMS=same-sgcd): judge the four new
# arms beside eval.sh's and eval-sgcd.sh's (the same report folders, so the arms judged before are reused), then
# - at 12 blocks, each SG effect pooled over seeds 1 and 2 (scripts/seed_pooled.py; its contrast is then seed 2's
#   effect minus seed 1's, i.e. how far the seeds disagree): decoder-only SG against plain and against full SG, full
#   SG against plain;
# - at 6 blocks (seed 1), decoder-only SG against plain and full SG, and decoder-only SG's effect 6 -> 12 blocks;
# - how far the seed alone moves each 12-block arm (seed_to_seed.jsonl);
# - claims 1-2 for seed 2 at 12 blocks and for decoder-only SG at 6, paired WER, the tap's energy.
# Run from the repository root.
set -euo pipefail
D=docs/results/sg-capacity-2026-12-05
E=${OUT:-exp/sg-capacity}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
NEW=(deep12-s2 deep12-sgc-s2 deep12-sgcd-s2 same-sgcd-s1)
for arm in "${NEW[@]}"; do until [ -f $E/$arm/final/model.safetensors ]; do sleep 30; done; done
codecs=(--codec start-same=exp/decoder-deeper/same/final --codec start-deep12=exp/decoder-deeper/deep12/final)
for arm in same-s1 same-sgc-s1 deep12-s1 deep12-sgc-s1 deep12-sgcd-s1 "${NEW[@]}"; do
  codecs+=(--codec $arm=$E/$arm/final)
done
for split in test:100 dev:80; do
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/${split%%:*}.jsonl \
    --max-utts ${split##*:} --seed 0 --asr pocketsphinx --out $E/judged-${split%%:*} \
    > $E/judge-${split%%:*}-replicate.log 2>&1
done
R=$E/judged-test
$P -m pipelines.claims --report $R --runs $E --pair deep12-s2:deep12-sgc-s2 --pair deep12-s2:deep12-sgcd-s2 \
  --reference deep12-s2 --candidate deep12-sgcd-s2 --out $R/claims-s2 > /dev/null
$P -m pipelines.claims --report $R --runs $E --pair same-s1:same-sgc-s1 --pair same-s1:same-sgcd-s1 \
  --reference same-s1 --candidate same-sgcd-s1 --out $R/claims-same-sgcd > /dev/null
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
for r in $R $E/judged-dev; do
  $P scripts/seed_pooled.py $r deep12-s1:deep12-sgcd-s1 deep12-s2:deep12-sgcd-s2 "${metrics[@]}" \
    > $r/seeds_decoder_only_vs_plain.jsonl
  $P scripts/seed_pooled.py $r deep12-sgc-s1:deep12-sgcd-s1 deep12-sgc-s2:deep12-sgcd-s2 "${metrics[@]}" \
    > $r/seeds_decoder_only_vs_full.jsonl
  $P scripts/seed_pooled.py $r deep12-s1:deep12-sgc-s1 deep12-s2:deep12-sgc-s2 "${metrics[@]}" \
    > $r/seeds_full_vs_plain.jsonl
  $P scripts/seed_pooled.py $r same-s1:same-sgc-s1 same-s1:same-sgcd-s1 "${metrics[@]}" > $r/sg_encoder_grad_6.jsonl
  $P scripts/seed_pooled.py $r same-s1:same-sgcd-s1 deep12-s1:deep12-sgcd-s1 "${metrics[@]}" \
    > $r/decoder_only_by_depth.jsonl
  # how far the seed alone moves one arm (same recipe, seeds 1 and 2): the noise floor of a one-seed SG effect
  $P scripts/seed_pooled.py $r deep12-s1:deep12-s2 deep12-sgc-s1:deep12-sgc-s2 deep12-sgcd-s1:deep12-sgcd-s2 \
    "${metrics[@]}" > $r/seed_to_seed.jsonl
done
$P scripts/paired_wer.py $R deep12-s2:deep12-sgc-s2 deep12-s2:deep12-sgcd-s2 deep12-sgc-s2:deep12-sgcd-s2 \
  same-s1:same-sgcd-s1 same-sgc-s1:same-sgcd-s1 --pool $E/judged-dev > $R/paired_wer_replicate_test_dev.txt
$P scripts/paired_wer.py $R $(for arm in "${NEW[@]}"; do echo ground_truth:$arm; done) > $R/over_ground_truth_replicate.txt
$P scripts/hidden_energy.py $(for arm in "${NEW[@]}"; do echo $E/$arm/final; done) --tap last_block \
  --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy_replicate.txt
cp -r $R/report.md $R/results.json $R/*.png $R/claims-s2 $R/claims-same-sgcd $R/seeds_*.jsonl $R/sg_encoder_grad_6.jsonl \
  $R/decoder_only_by_depth.jsonl $R/seed_to_seed.jsonl $R/paired_wer_replicate_test_dev.txt $R/over_ground_truth_replicate.txt \
  $R/hidden_energy_replicate.txt $D/test/
cp $E/judged-dev/report.md $E/judged-dev/results.json $E/judged-dev/seeds_*.jsonl $E/judged-dev/sg_encoder_grad_6.jsonl \
  $E/judged-dev/decoder_only_by_depth.jsonl $E/judged-dev/seed_to_seed.jsonl $D/dev/
for arm in "${NEW[@]}"; do
  gzip -9c $E/$arm/metrics.jsonl > $D/runs/$arm.metrics.jsonl.gz
  mkdir -p $D/runs/$arm-eval && cp $E/$arm/eval/*.json $D/runs/$arm-eval/
done
