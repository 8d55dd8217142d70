#!/bin/bash
# After make-set.sh: the 6-block arms of seeds 3-9 (plain same-sN, null same-sgc0-sN, SG same-sgc-sN; exp/sg-capacity,
# sections "Seven nulls" and before) judged on the 500 WordNet utterances without the ASR, into exp/wn-judge/judged;
# then, as sg-null-2026-12-06/eval.sh did on test and dev:
#   sg_vs_two_baselines.jsonl (+ _across)  SG against the mean of both no-SG twins, per seed, pooled, t over seeds;
#   sg_vs_plain.jsonl (+ _across)           SG against its plain twin alone;
#   null_vs_plain.jsonl (+ _across)         each null's drift from its plain twin;
#   consistency.json  the per-seed effects on this set beside test's and dev's, and their correlations;
#   claims/           claims 1-2 for the seven pairs (QE, hidden MSE) on this set.
# STAGE=own then adds the own-quantizer pair's six arms (sg-own-quantizer-2026-12-06; exp/sg-own) to the same
# folder: own_sg_vs_twins.jsonl, own_null_vs_plain.jsonl, own_sg_vs_plain.jsonl. From the repository root.
set -euo pipefail
D=docs/results/sg-wordnet-judge-2026-12-06
A=docs/results/sg-seed3-2026-12-05 N=docs/results/sg-null-2026-12-06
E=exp/sg-capacity O=exp/sg-own R=exp/wn-judge/judged
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance)
judge() { $P -m pipelines.evaluate compare "$@" --manifest exp/wn-judge/data/test.jsonl --seed 0 --asr none --out $R; }
mkdir -p $D/set
codecs=() both=() plain=() nulls=() pairs=()
for s in 3 4 5 6 7 8 9; do
  codecs+=(--codec same-s$s=$E/same-s$s/final --codec same-sgc0-s$s=$E/same-sgc0-s$s/final
           --codec same-sgc-s$s=$E/same-sgc-s$s/final)
  both+=(same-s$s+same-sgc0-s$s:same-sgc-s$s) plain+=(same-s$s:same-sgc-s$s) nulls+=(same-s$s:same-sgc0-s$s)
  pairs+=(--pair same-s$s:same-sgc-s$s)
done
if [ "${STAGE:-seeds}" = seeds ]; then
  judge "${codecs[@]}" > exp/wn-judge/judge-seeds.log 2>&1
  for x in both:sg_vs_two_baselines plain:sg_vs_plain nulls:null_vs_plain; do
    declare -n list=${x%%:*}
    $P scripts/seed_pooled.py $R "${list[@]}" "${metrics[@]}" > $D/${x##*:}.jsonl
    $P $A/across_seeds.py $D/${x##*:}.jsonl > $D/${x##*:}_across.jsonl
  done
  $P $D/consistency.py --wordnet $D --test $N/test --dev $N/dev > $D/consistency.json
  $P -m pipelines.claims --report $R --runs $E "${pairs[@]}" --reference same-s3 --candidate same-sgc-s3 \
    --out $D/claims > /dev/null
else
  own=() for_twins=() for_null=() for_plain=()
  for s in 3 4; do
    own+=(--codec own-s$s=$O/same-s$s/final --codec own-sgc0-s$s=$O/same-sgc0-s$s/final
          --codec own-sgc-s$s=$O/same-sgc-s$s/final)
    for_twins+=(own-s$s+own-sgc0-s$s:own-sgc-s$s) for_null+=(own-s$s:own-sgc0-s$s) for_plain+=(own-s$s:own-sgc-s$s)
  done
  judge "${codecs[@]}" "${own[@]}" > exp/wn-judge/judge-own.log 2>&1  # the seeds' arms come from the cache
  $P scripts/seed_pooled.py $R "${for_twins[@]}" "${metrics[@]}" > $D/own_sg_vs_twins.jsonl
  $P scripts/seed_pooled.py $R "${for_null[@]}" "${metrics[@]}" > $D/own_null_vs_plain.jsonl
  $P scripts/seed_pooled.py $R "${for_plain[@]}" "${metrics[@]}" > $D/own_sg_vs_plain.jsonl
fi
cp $R/report.md $R/results.json $D/set/
