#!/bin/bash
# After train.sh: the new nulls (NEW) judged beside their plain twins on test (100) and dev (80) (arms judged before
# are reused from the cache), then, over every seed with a null (ALL),
#   null_vs_plain.jsonl  each null's drift from its plain twin (scripts/seed_pooled.py; the nulls at seeds 5-7 are
#                        sg-drift-2026-12-06's arms, judged again here from the cache);
#   null_across_seeds.jsonl  those drifts through their means (across_seeds.py: sd between seeds, t, sign test);
#   sg_vs_null.jsonl     SG's per-seed effects (all its seeds) against the nulls (sg-drift's sg_vs_null.py);
#   sg_vs_null_twin.jsonl + sg_vs_null_twin_across.jsonl  SG against the null arm of its own seed: a second
#                        baseline at each seed, as near to the plain arm as a twin can be, so SG - null twin is a
#                        second draw of SG's effect, with different chaos;
#   sg_vs_two_baselines.jsonl + sg_vs_two_baselines_across.jsonl  SG against the mean of both (seed_pooled.py's
#                        "plain+null" baseline, per utterance): the baseline's own drift halved in variance;
#   claims-same-sgc0-sN  claims 1-2 for each new null (its QE and hidden MSE against its plain twin);
# the records, and sg-seed3's plot with every null seed. From the repository root.
# NEW: the null seeds trained since the last run (judged, claims, records); ALL: every seed with a null arm.
# As run: NEW="3 4 8" (after train.sh); then, after train-s9.sh and sg-seed3's eval.sh with SEEDS="3 4 5 6 7 8 9",
# NEW=9 ALL="3 4 5 6 7 8 9" (the six-seed records of the first run kept as {test,dev}/*_six_seeds.jsonl).
set -euo pipefail
D=docs/results/sg-null-2026-12-06
A=docs/results/sg-seed3-2026-12-05
E=${OUT:-exp/sg-capacity}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
NEW=(${NEW:-3 4 8}) ALL=(${ALL:-3 4 5 6 7 8})
for s in "${NEW[@]}"; do until [ -f $E/same-sgc0-s$s/final/model.safetensors ]; do sleep 30; done; done
codecs=(--codec start-same=exp/decoder-deeper/same/final) nulls=() twins=() both=()
for s in "${ALL[@]}"; do
  codecs+=(--codec same-s$s=$E/same-s$s/final --codec same-sgc0-s$s=$E/same-sgc0-s$s/final
           --codec same-sgc-s$s=$E/same-sgc-s$s/final)
  nulls+=(same-s$s:same-sgc0-s$s) twins+=(same-sgc0-s$s:same-sgc-s$s) both+=(same-s$s+same-sgc0-s$s:same-sgc-s$s)
done
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
mkdir -p $D/test $D/dev $D/runs
for split in test:100 dev:80; do
  s=${split%%:*} r=$E/judged-${split%%:*}-new
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/$s.jsonl --max-utts ${split##*:} \
    --seed 0 --asr pocketsphinx --out $r > $E/judge-$s-null$(IFS=; echo "${NEW[*]}").log 2>&1
  $P scripts/seed_pooled.py $r "${nulls[@]}" "${metrics[@]}" > $D/$s/null_vs_plain.jsonl
  $P $A/across_seeds.py $D/$s/null_vs_plain.jsonl > $D/$s/null_across_seeds.jsonl
  $P docs/results/sg-drift-2026-12-06/sg_vs_null.py $A/$s/sg_effect_6_all_seeds.jsonl $D/$s/null_vs_plain.jsonl \
    > $D/$s/sg_vs_null.jsonl
  $P scripts/seed_pooled.py $r "${twins[@]}" "${metrics[@]}" > $D/$s/sg_vs_null_twin.jsonl
  $P $A/across_seeds.py $D/$s/sg_vs_null_twin.jsonl > $D/$s/sg_vs_null_twin_across.jsonl
  $P scripts/seed_pooled.py $r "${both[@]}" "${metrics[@]}" > $D/$s/sg_vs_two_baselines.jsonl
  $P $A/across_seeds.py $D/$s/sg_vs_two_baselines.jsonl > $D/$s/sg_vs_two_baselines_across.jsonl
  cp $r/report.md $r/results.json $D/$s/
done
for s in "${NEW[@]}"; do
  $P -m pipelines.claims --report $E/judged-test-new --runs $E --pair same-s$s:same-sgc0-s$s --reference same-s$s \
    --candidate same-sgc0-s$s --out $D/test/claims-same-sgc0-s$s > /dev/null
  gzip -9c $E/same-sgc0-s$s/metrics.jsonl > $D/runs/same-sgc0-s$s.metrics.jsonl.gz
  mkdir -p $D/runs/same-sgc0-s$s-eval && cp $E/same-sgc0-s$s/eval/*.json $D/runs/same-sgc0-s$s-eval/
done
$P $A/plot.py $D
