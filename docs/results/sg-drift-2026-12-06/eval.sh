#!/bin/bash
# After train.sh: SG's effect over seeds 1-8 (sg-seed3's eval.sh with SEEDS="3 4 5 6 7 8": judging, claims, records,
# its plot), then the null arms at seeds 5-7 judged beside their plain twins (cached arms are reused), the null's
# effect per seed (null_vs_plain.jsonl), claims 1-2 of the new null, SG against the null (sg_vs_null.jsonl), the
# records, and sg-seed3's plot again with the three null seeds. From the repository root.
set -euo pipefail
D=docs/results/sg-drift-2026-12-06
E=${OUT:-exp/sg-capacity}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
SEEDS="3 4 5 6 7 8" docs/results/sg-seed3-2026-12-05/eval.sh
until [ -f $E/same-sgc0-s7/final/model.safetensors ]; do sleep 30; done
codecs=(--codec start-same=exp/decoder-deeper/same/final) pairs=()
for s in 5 6 7; do
  codecs+=(--codec same-s$s=$E/same-s$s/final --codec same-sgc0-s$s=$E/same-sgc0-s$s/final)
  pairs+=(same-s$s:same-sgc0-s$s)
done
mkdir -p $D/test $D/dev $D/runs
for split in test:100 dev:80; do
  s=${split%%:*} r=$E/judged-${split%%:*}-new
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/$s.jsonl --max-utts ${split##*:} \
    --seed 0 --asr pocketsphinx --out $r > $E/judge-$s-drift.log 2>&1
  $P scripts/seed_pooled.py $r "${pairs[@]}" --metric pesq_wb --metric pesq_nb --metric stoi \
    --metric mel_distance --metric wer > $D/$s/null_vs_plain.jsonl
  $P $D/sg_vs_null.py docs/results/sg-seed3-2026-12-05/$s/sg_effect_6_all_seeds.jsonl $D/$s/null_vs_plain.jsonl \
    > $D/$s/sg_vs_null.jsonl
  cp $r/report.md $r/results.json $D/$s/
done
$P -m pipelines.claims --report $E/judged-test-new --runs $E --pair same-s7:same-sgc0-s7 --reference same-s7 \
  --candidate same-sgc0-s7 --out $D/test/claims-same-sgc0-s7 > /dev/null
gzip -9c $E/same-sgc0-s7/metrics.jsonl > $D/runs/same-sgc0-s7.metrics.jsonl.gz
mkdir -p $D/runs/same-sgc0-s7-eval && cp $E/same-sgc0-s7/eval/*.json $D/runs/same-sgc0-s7-eval/
$P docs/results/sg-seed3-2026-12-05/plot.py $D
