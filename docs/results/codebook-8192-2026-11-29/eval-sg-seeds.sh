#!/bin/bash
# run from the project root (2026-11-29, sixteenth session) after train-sg-seeds.sh: the three new SG arms beside the
# earlier six (their cached results reused), then the claims over all four SG pairs ({16384, 8192} x {seed 0, seed 1})
set -e
R=exp/default/report-bq
C=exp/default/codec
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  --codec bq-16384=$C/bq-16384/final --codec bq-16384-s1=$C/bq-16384-s1/final \
  --codec bq-8192=$C/bq-8192/final --codec bq-8192-sgc=$C/bq-8192-sgc/final --codec bq-8192-s1=$C/bq-8192-s1/final \
  --codec bq-16384-sgc=$C/bq-16384-sgc/final --codec bq-16384-sgc-s1=$C/bq-16384-sgc-s1/final \
  --codec bq-8192-sgc-s1=$C/bq-8192-sgc-s1/final \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
PAIRS="--pair bq-16384:bq-16384-sgc --pair bq-16384-s1:bq-16384-sgc-s1 --pair bq-8192:bq-8192-sgc --pair bq-8192-s1:bq-8192-sgc-s1"
# claim 3 one step down at a matched seed: 8192 + SG (seed 1) against plain 16384 (seed 1, a new quantizer)
.venv/bin/python -m pipelines.claims --report $R --runs $C $PAIRS --reference bq-16384-s1 --candidate bq-8192-sgc-s1 \
  --out $R/claims-sg-seeds
.venv/bin/python scripts/paired_wer.py $R bq-16384:bq-16384-sgc bq-16384-s1:bq-16384-sgc-s1 bq-8192-s1:bq-8192-sgc-s1 \
  bq-16384-sgc:bq-16384-sgc-s1 bq-16384-s1:bq-8192-sgc-s1 > $R/paired_wer-sg-seeds.txt
.venv/bin/python scripts/hidden_energy.py $C/{bq-16384-sgc,bq-16384-sgc-s1,bq-8192-sgc-s1}/final \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy-sg-seeds.txt
# SG against plain averaged over the two seeds, per codebook size, with the spread between seeds; and each size's
# seed-to-seed differences (plain s0 -> s1, SG s0 -> s1) for scale
.venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-16384-sgc bq-16384-s1:bq-16384-sgc-s1 > $R/seed_pooled-sg16384.jsonl
.venv/bin/python scripts/seed_pooled.py $R bq-8192:bq-8192-sgc bq-8192-s1:bq-8192-sgc-s1 > $R/seed_pooled-sg8192.jsonl
.venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-16384-s1 bq-16384-sgc:bq-16384-sgc-s1 bq-8192:bq-8192-s1 \
  bq-8192-sgc:bq-8192-sgc-s1 > $R/seed_pooled-seed.jsonl
