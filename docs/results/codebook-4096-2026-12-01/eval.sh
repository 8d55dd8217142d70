#!/bin/bash
# run from the project root (2026-12-01, seventeenth session) after train.sh: the 4096 pair beside the plain 16384
# control (re-run) and the bundled codec they all started from; the claims with 4096 + SG against plain 16384 (the
# paper's 4x step: 65536 -> 16384 there, 16384 -> 4096 here) and plain 4096 against it (the premise: does the 4x
# smaller codebook alone lose fidelity?)
set -e
R=exp/default/report-b4
C=exp/default/codec
OUT=docs/results/codebook-4096-2026-12-01
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  --codec bq-16384=$C/bq-16384/final --codec bq-4096=$C/bq-4096/final --codec bq-4096-sgc=$C/bq-4096-sgc/final \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair bq-4096:bq-4096-sgc \
  --reference bq-16384 --candidate bq-4096-sgc --out $R/claims
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair bq-4096:bq-4096-sgc \
  --reference bq-16384 --candidate bq-4096 --out $R/claims-plain4096
.venv/bin/python scripts/paired_wer.py $R bq-4096:bq-4096-sgc bq-16384:bq-4096 bq-16384:bq-4096-sgc > $R/paired_wer.txt
.venv/bin/python scripts/hidden_energy.py $C/{bq-16384,bq-4096,bq-4096-sgc}/final \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy.txt
# PESQ-WB / -NB / STOI paired, one comparison at a time (one replicate each: its difference and CI): the codebook's
# cost without SG (16384 -> 4096), with it, and SG at 4096
for pair in bq-16384:bq-4096 bq-16384:bq-4096-sgc bq-4096:bq-4096-sgc; do
  .venv/bin/python scripts/seed_pooled.py $R $pair
done > $R/paired_fidelity.jsonl
mkdir -p $OUT/dev-evals
cp -r $R/claims $R/claims-plain4096 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer.txt $R/hidden_energy.txt $R/paired_fidelity.jsonl $OUT/
for n in bq-16384 bq-4096 bq-4096-sgc; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
