#!/bin/bash
# After `SEED=2 ARMS="same same-sgc" train.sh`: judge the 6-block pair at seed 2 beside the other arms (the same
# report folders, so the arms judged before are reused), then SG's paired effect at 6 blocks pooled over seeds 1
# and 2 (sg_effect_6_seeds.jsonl; at 12 blocks: eval-replicate.sh's seeds_full_vs_plain.jsonl), the depth
# interaction at seed 2 (sg_effect_s2.jsonl, contrast: SG's effect at 12 blocks minus at 6; seed 1's is eval.sh's
# sg_effect.jsonl), claims 1-2 at seed 2 per depth, paired WER and the tap's energy. Run from the repository root.
set -euo pipefail
D=docs/results/sg-capacity-2026-12-05
E=${OUT:-exp/sg-capacity}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
NEW=(same-s2 same-sgc-s2)
for arm in "${NEW[@]}"; do until [ -f $E/$arm/final/model.safetensors ]; do sleep 30; done; done
codecs=(--codec start-same=exp/decoder-deeper/same/final --codec start-deep12=exp/decoder-deeper/deep12/final)
for arm in same-s1 same-sgc-s1 deep12-s1 deep12-sgc-s1 deep12-sgcd-s1 deep12-s2 deep12-sgc-s2 deep12-sgcd-s2 \
  same-sgcd-s1 "${NEW[@]}"; do
  codecs+=(--codec $arm=$E/$arm/final)
done
for split in test:100 dev:80; do
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/${split%%:*}.jsonl \
    --max-utts ${split##*:} --seed 0 --asr pocketsphinx --out $E/judged-${split%%:*} \
    > $E/judge-${split%%:*}-same-s2.log 2>&1
done
R=$E/judged-test
$P -m pipelines.claims --report $R --runs $E --pair same-s2:same-sgc-s2 --pair deep12-s2:deep12-sgc-s2 \
  --reference deep12-s2 --candidate same-sgc-s2 --out $R/claims-depth-s2 > /dev/null
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
for r in $R $E/judged-dev; do
  $P scripts/seed_pooled.py $r same-s1:same-sgc-s1 same-s2:same-sgc-s2 "${metrics[@]}" > $r/sg_effect_6_seeds.jsonl
  $P scripts/seed_pooled.py $r same-s2:same-sgc-s2 deep12-s2:deep12-sgc-s2 "${metrics[@]}" > $r/sg_effect_s2.jsonl
  $P scripts/seed_pooled.py $r same-s1:same-s2 "${metrics[@]}" > $r/seed_to_seed_6.jsonl
done
$P scripts/paired_wer.py $R same-s2:same-sgc-s2 --pool $E/judged-dev > $R/paired_wer_same_s2_test_dev.txt
$P scripts/paired_wer.py $R ground_truth:same-s2 ground_truth:same-sgc-s2 > $R/over_ground_truth_same_s2.txt
$P scripts/hidden_energy.py $E/same-s2/final $E/same-sgc-s2/final --tap last_block \
  --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy_same_s2.txt
cp -r $R/report.md $R/results.json $R/*.png $R/claims-depth-s2 $R/sg_effect_6_seeds.jsonl $R/sg_effect_s2.jsonl \
  $R/seed_to_seed_6.jsonl $R/paired_wer_same_s2_test_dev.txt $R/over_ground_truth_same_s2.txt \
  $R/hidden_energy_same_s2.txt $D/test/
cp $E/judged-dev/report.md $E/judged-dev/results.json $E/judged-dev/sg_effect_6_seeds.jsonl \
  $E/judged-dev/sg_effect_s2.jsonl $E/judged-dev/seed_to_seed_6.jsonl $D/dev/
for arm in "${NEW[@]}"; do
  gzip -9c $E/$arm/metrics.jsonl > $D/runs/$arm.metrics.jsonl.gz
  mkdir -p $D/runs/$arm-eval && cp $E/$arm/eval/*.json $D/runs/$arm-eval/
done
