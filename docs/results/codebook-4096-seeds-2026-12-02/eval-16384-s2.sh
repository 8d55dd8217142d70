#!/bin/bash
# run from the project root (2026-12-02, eighteenth session) after train-16384-s2.sh: the seed-2 control added to the
# report, then the codebook's cost and claim 3's comparison over three seeds, and claim 3 at seed 2
set -e
R=exp/default/report-b4
C=exp/default/codec
OUT=docs/results/codebook-4096-seeds-2026-12-02
SYSTEMS="bq-16384 bq-4096 bq-4096-sgc bq-4096-s1 bq-16384-s1 bq-4096-sgc-s1 bq-4096-sgc-s2 bq-4096-s2 bq-16384-s2"
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in $SYSTEMS; do echo --codec $n=$C/$n/final; done) \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair bq-4096-s2:bq-4096-sgc-s2 \
  --reference bq-16384-s2 --candidate bq-4096-sgc-s2 --out $R/claims-s2
.venv/bin/python scripts/paired_wer.py $R bq-16384-s2:bq-4096-s2 bq-16384-s2:bq-4096-sgc-s2 > $R/paired_wer-16384-s2.txt
{
  .venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-4096 bq-16384-s1:bq-4096-s1 bq-16384-s2:bq-4096-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-4096-sgc bq-16384-s1:bq-4096-sgc-s1 bq-16384-s2:bq-4096-sgc-s2
} > $R/seed_pooled-three-seeds.jsonl
cp -r $R/claims-s2 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-16384-s2.txt $R/seed_pooled-three-seeds.jsonl $OUT/
mkdir -p $OUT/dev-evals/bq-16384-s2; cp $C/bq-16384-s2/eval/step_*.json $OUT/dev-evals/bq-16384-s2/
.venv/bin/python $OUT/plot_seeds.py
