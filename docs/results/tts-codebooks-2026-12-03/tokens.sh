#!/bin/bash
# run from the project root (2026-12-03, twenty-eighth session): issue 7's downstream comparison (TTS across codebook
# sizes) with issue 6's four-voice codecs at seed 1, step 3000 of 3000 (docs/results/codebook-four-voices-long-
# 2026-12-02: 65536, 16384, 16384 + SG centered lambda 5 on the last block, 4096; every other setting identical).
# Stage 1: each codec tokenizes the default slt corpus (the bundled model's: 14 805 / 80 / 100 fortunes sentences,
# rendered by ../default-req16384-2026-11-29/rebuild-lm-data.sh's first three commands). Resumable: the same command
# finishes the missing shards only.
set -euo pipefail
ARMS=${ARMS:-"16384 16384-sgc 65536 4096"}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
for arm in $ARMS; do
  for split in dev test train; do
    .venv/bin/python -m lm.extract --codec exp/voices4/codec/v4L-$arm-s1/final --manifest exp/default/data/$split.jsonl \
      --out exp/default/tokens/v4L-$arm-s1/$split --batch-size 8
  done
done
