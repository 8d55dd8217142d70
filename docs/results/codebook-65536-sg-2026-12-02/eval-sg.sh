#!/bin/bash
# run from the project root (2026-12-02, twentieth session) after ../codebook-65536-2026-12-02/train-65536-sg.sh:
# 65536 + SG at seeds 1 and 2 added to the family's report (cached systems are not re-scored); the claims over the
# whole grid at each seed (SG pairs at 4096, 16384 and 65536; claim 3 with 16384 + SG against plain 65536); SG's
# effect at 65536 and the SG family's own 4x cost (16384 + SG against 65536 + SG) over seeds 1 and 2; paired WER;
# hidden energy of the 65536 pairs
set -e
R=exp/default/report-b4
C=exp/default/codec
OUT=docs/results/codebook-65536-sg-2026-12-02
NEW="bq-65536-sgc-s1 bq-65536-sgc-s2"
OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py $C/{bq-65536-s1,bq-65536-sgc-s1,bq-65536-s2,bq-65536-sgc-s2}/final \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy-65536-sg.txt &
SYSTEMS="bq-16384 bq-4096 bq-4096-sgc bq-4096-s1 bq-16384-s1 bq-4096-sgc-s1 bq-4096-sgc-s2 bq-4096-s2 bq-16384-s2
  bq-65536-s1 bq-65536-s2 bq-16384-sgc-s1 bq-16384-sgc-s2 $NEW"
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in $SYSTEMS; do echo --codec $n=$C/$n/final; done) \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
wait
for s in 1 2; do
  .venv/bin/python -m pipelines.claims --report $R --runs $C \
    --pair bq-4096-s$s:bq-4096-sgc-s$s --pair bq-16384-s$s:bq-16384-sgc-s$s --pair bq-65536-s$s:bq-65536-sgc-s$s \
    --reference bq-65536-s$s --candidate bq-16384-sgc-s$s --out $R/claims-grid-s$s
done
.venv/bin/python scripts/paired_wer.py $R bq-65536-s1:bq-65536-sgc-s1 bq-65536-s2:bq-65536-sgc-s2 \
  bq-65536-sgc-s1:bq-16384-sgc-s1 bq-65536-sgc-s2:bq-16384-sgc-s2 > $R/paired_wer-65536-sg.txt
{
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-s1:bq-65536-sgc-s1 bq-65536-s2:bq-65536-sgc-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-sgc-s1:bq-16384-sgc-s1 bq-65536-sgc-s2:bq-16384-sgc-s2
  .venv/bin/python scripts/seed_pooled.py $R bq-65536-sgc-s1:bq-4096-sgc-s1 bq-65536-sgc-s2:bq-4096-sgc-s2
} > $R/seed_pooled-65536-sg.jsonl
cp -r $R/claims-grid-s{1,2} $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-65536-sg.txt $R/hidden_energy-65536-sg.txt \
  $R/seed_pooled-65536-sg.jsonl $OUT/
for n in $NEW; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
