#!/bin/bash
# run from the project root (2026-12-02, twentieth session) after train-s3.sh and eval-sg.sh: the three seed-3 arms
# added to the family's report; the claims at seed 3; the codebook's 4x cost, claim 3's difference and SG's effect at
# 16384, each over seeds 1, 2 and 3; paired WER; hidden energy (beside the compare, one core each); ladder.png
set -e
R=exp/default/report-b4
C=exp/default/codec
OUT=docs/results/codebook-65536-sg-2026-12-02
NEW="bq-65536-s3 bq-16384-s3 bq-16384-sgc-s3"
FAMILY="bq-16384 bq-4096 bq-4096-sgc bq-4096-s1 bq-16384-s1 bq-4096-sgc-s1 bq-4096-sgc-s2 bq-4096-s2 bq-16384-s2
  bq-65536-s1 bq-65536-s2 bq-16384-sgc-s1 bq-16384-sgc-s2 bq-65536-sgc-s1 bq-65536-sgc-s2"
OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py $C/{bq-65536-s3,bq-16384-s3,bq-16384-sgc-s3}/final \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy-s3.txt &
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in $FAMILY $NEW; do echo --codec $n=$C/$n/final; done) \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
wait
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair bq-16384-s3:bq-16384-sgc-s3 \
  --reference bq-65536-s3 --candidate bq-16384-sgc-s3 --out $R/claims-s3
.venv/bin/python scripts/paired_wer.py $R bq-65536-s3:bq-16384-s3 bq-65536-s3:bq-16384-sgc-s3 \
  bq-16384-s3:bq-16384-sgc-s3 > $R/paired_wer-s3.txt
{
  for base_other in bq-65536:bq-16384 bq-65536:bq-16384-sgc bq-16384:bq-16384-sgc; do
    base=${base_other%%:*}; other=${base_other##*:}
    .venv/bin/python scripts/seed_pooled.py $R $base-s1:$other-s1 $base-s2:$other-s2 $base-s3:$other-s3
  done
} > $R/seed_pooled-s123.jsonl
cp -r $R/claims-s3 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-s3.txt $R/hidden_energy-s3.txt $R/seed_pooled-s123.jsonl $OUT/
for n in $NEW; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-65536-2026-12-02/plot_ladder.py $OUT/results.json
