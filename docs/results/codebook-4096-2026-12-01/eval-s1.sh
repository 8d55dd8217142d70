#!/bin/bash
# run from the project root (2026-12-02, seventeenth session) after train-s1.sh: plain 4096 at seed 1 added to the
# report of eval.sh (the other systems' results reused from its cache), its move between seeds, its hidden energy
set -e
R=exp/default/report-b4
C=exp/default/codec
OUT=docs/results/codebook-4096-2026-12-01
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  --codec bq-16384=$C/bq-16384/final --codec bq-4096=$C/bq-4096/final --codec bq-4096-sgc=$C/bq-4096-sgc/final \
  --codec bq-4096-s1=$C/bq-4096-s1/final \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python scripts/paired_wer.py $R bq-4096:bq-4096-s1 bq-16384:bq-4096-s1 > $R/paired_wer-s1.txt
.venv/bin/python scripts/seed_pooled.py $R bq-4096:bq-4096-s1 > $R/paired_fidelity-s1.jsonl
.venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-4096-s1 >> $R/paired_fidelity-s1.jsonl
.venv/bin/python scripts/hidden_energy.py $C/bq-4096-s1/final --tap last_block --manifest exp/default/data/test.jsonl \
  --n 100 > $R/hidden_energy-s1.txt
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-s1.txt $R/paired_fidelity-s1.jsonl $R/hidden_energy-s1.txt $OUT/
mkdir -p $OUT/dev-evals/bq-4096-s1; cp $C/bq-4096-s1/eval/step_*.json $OUT/dev-evals/bq-4096-s1/
