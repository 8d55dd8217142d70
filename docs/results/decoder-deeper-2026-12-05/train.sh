#!/bin/bash
# Issue 6: is the decoder's pace at fixed codes a matter of training length or of capacity? The bundled codec's
# decoder (docs/results/decoder-more-2026-12-05: the LR 3e-4 arm, exp/decoder-more/lr3e-4/final, tokenizer frozen)
# trained STEPS more, mel loss only, cosine LR from LR, batch 8 x 1 s, the slt fortunes corpus, one thread per arm,
# in two arms alike but for the decoder's depth: ARM=same (6 transformer blocks, as it is) and ARM=deep12
# (DEPTH=12: six new blocks after the trained ones, starting as identities, so the arm starts from the very same
# output). Codes are unchanged, so the bundled LM speaks through either.
# As run (2026-12-05, side by side): ARM=same and ARM=deep12 DEPTH=12, both LR=3e-4 STEPS=10000.
# Then (2026-12-05, alone, two threads): ARM=wide512 WIDTH=512 THREADS=2 LR=1.5e-4 - the decoder twice as wide (each
# channel, head and MLP unit copied, codec.grow, so it too starts from the very same output) at half the LR: Adam moves
# every weight about as far whatever its size, and each layer now reads twice as many, so the same LR would be twice
# the step for the function (muP's 1/width); tried first at LR=3e-4 and stopped after 870 steps, its training mel
# loss 0.1 above the `same` arm's and rising (runs/wide512-lr3e-4-stopped.metrics.jsonl.gz).
# Later (2026-12-05, thirty-ninth session, docs/results/sg-seed3-2026-12-05): ARM=same INIT=pipelines/default_model/codec:
# the `same` arm rebuilt on a fresh machine from the bundle (its very decoder, but stored in float16).
# Run from the repository root; resumes a killed run.
set -euo pipefail
INIT=${INIT:-exp/decoder-more/lr3e-4/final}
STEPS=${STEPS:-10000}
ARM=${ARM:-same}
LR=${LR:-3e-4}
DEPTH=${DEPTH:-6}
WIDTH=${WIDTH:-256}
THREADS=${THREADS:-1}
OUT=${OUT:-exp/decoder-deeper}
resume=()
[ -d "$OUT/$ARM/checkpoints" ] && resume=(--resume)
mkdir -p "$OUT"
OMP_NUM_THREADS=$THREADS .venv/bin/python -m codec.train --init-from "$INIT" --freeze-tokenizer \
  --no-sg --seed 0 --decoder-depth "$DEPTH" --decoder-width "$WIDTH" \
  --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
  --steps "$STEPS" --batch-size 8 --segment-seconds 1.0 --lr "$LR" --warmup-steps 50 --adv-start-step "$STEPS" \
  --save-every 1000 --eval-every 1000 --cpu "${resume[@]}" --out "$OUT/$ARM" >> "$OUT/$ARM.log" 2>&1
