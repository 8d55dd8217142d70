#!/bin/bash
# Issue 6 / the default model: how far does more decoder training go, and is its pace the learning rate? The control
# arm of docs/results/cepstral-2026-12-04 (the bundled codec's decoder, tokenizer frozen, +8000 mel-only steps:
# exp/cepstral/mel/final) trained STEPS more the same way (mel loss only, cosine LR, batch 8 x 1 s, the slt fortunes
# corpus), one thread per arm. Codes are unchanged (frozen tokenizer), so the bundled LM speaks through it as it is.
# As run (2026-12-05, side by side): ARM=mel LR=1e-4 (the control's own LR) and ARM=lr3e-4 LR=3e-4.
# STEPS=N (default 10000); run from the repository root; resumes a killed run.
set -euo pipefail
STEPS=${STEPS:-10000}
ARM=${ARM:-mel}
LR=${LR:-1e-4}
OUT=${OUT:-exp/decoder-more}
resume=()
[ -d "$OUT/$ARM/checkpoints" ] && resume=(--resume)
mkdir -p "$OUT"
OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from exp/cepstral/mel/final --freeze-tokenizer --no-sg --seed 0 \
  --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
  --steps "$STEPS" --batch-size 8 --segment-seconds 1.0 --lr "$LR" --warmup-steps 50 --adv-start-step "$STEPS" \
  --save-every 1000 --eval-every 1000 --cpu "${resume[@]}" --out "$OUT/$ARM" >> "$OUT/$ARM.log" 2>&1
