#!/bin/bash
# run from the project root (2026-12-02, nineteenth session) after train.sh and train-sgc-s2.sh: the four new arms
# added to the family's report (cached systems are not re-scored); the claims with 16384 + SG as candidate against
# plain 65536 at seeds 1 and 2 and, as the control, plain 16384 under the same rule; the codebook's cost from 65536 to
# 16384 and to 4096, claim 3's difference and SG's effect at 16384, each over seeds 1 and 2; paired WER; hidden
# energy; the re-run 16384 + SG seed 1 against the lost run's dev evaluations; ladder.png
set -e
R=exp/default/report-b4
C=exp/default/codec
OUT=docs/results/codebook-65536-2026-12-02
NEW="bq-65536-s1 bq-65536-s2 bq-16384-sgc-s1 bq-16384-sgc-s2"
# the hidden energy (one core) beside the compare (the other)
OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py \
  $C/{bq-65536-s1,bq-65536-s2,bq-16384-s1,bq-16384-sgc-s1,bq-16384-s2,bq-16384-sgc-s2}/final \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy-65536.txt &
SYSTEMS="bq-16384 bq-4096 bq-4096-sgc bq-4096-s1 bq-16384-s1 bq-4096-sgc-s1 bq-4096-sgc-s2 bq-4096-s2 bq-16384-s2 $NEW"
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in $SYSTEMS; do echo --codec $n=$C/$n/final; done) \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
wait
SG_PAIRS="--pair bq-16384-s1:bq-16384-sgc-s1 --pair bq-16384-s2:bq-16384-sgc-s2"
for s in 1 2; do
  .venv/bin/python -m pipelines.claims --report $R --runs $C $SG_PAIRS \
    --reference bq-65536-s$s --candidate bq-16384-sgc-s$s --out $R/claims-65536-s$s
  .venv/bin/python -m pipelines.claims --report $R --runs $C $SG_PAIRS \
    --reference bq-65536-s$s --candidate bq-16384-s$s --out $R/claims-65536-s$s-plain16384
done
.venv/bin/python scripts/paired_wer.py $R bq-65536-s1:bq-16384-s1 bq-65536-s2:bq-16384-s2 \
  bq-65536-s1:bq-16384-sgc-s1 bq-65536-s2:bq-16384-sgc-s2 \
  bq-16384-s1:bq-16384-sgc-s1 bq-16384-s2:bq-16384-sgc-s2 > $R/paired_wer-65536.txt
{
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-s1:bq-16384-s1 bq-65536-s2:bq-16384-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-s1:bq-16384-sgc-s1 bq-65536-s2:bq-16384-sgc-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-16384-s1:bq-16384-sgc-s1 bq-16384-s2:bq-16384-sgc-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-s1:bq-4096-s1 bq-65536-s2:bq-4096-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-s1:bq-4096-sgc-s1 bq-65536-s2:bq-4096-sgc-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-s1:bq-65536-s2
} > $R/seed_pooled-65536.jsonl
cp -r $R/claims-65536-s{1,2} $R/claims-65536-s{1,2}-plain16384 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-65536.txt $R/hidden_energy-65536.txt $R/seed_pooled-65536.jsonl $OUT/
for n in $NEW; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
# the re-run against the lost run of 2026-11-29 (same command, same thread count, another machine)
for f in $OUT/dev-evals/bq-16384-sgc-s1/step_*.json; do
  echo "$(basename $f): $(cmp -s $f docs/results/codebook-8192-2026-11-29/dev-evals/bq-16384-sgc-s1/$(basename $f) \
    && echo identical || echo differs)"
done > $OUT/rerun-bq-16384-sgc-s1.txt
.venv/bin/python $OUT/plot_ladder.py
