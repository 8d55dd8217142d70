#!/bin/bash
# run from the project root after tokens.sh: stage 2, the same LM on each codec's tokens. Every arm starts alike
# from the bundled LM (pipelines/default_model/lm: tiny preset, trained on another codec's 16384 codes): its
# transformer and text rows carry over, the speech codes' rows start fresh at the arm's codebook size
# (`--init-new-codec`), so no arm inherits a code meaning. Same seed, data order, schedule and budget for every
# arm: STEPS steps of 8192 row tokens, LR 5e-4 (100 warm-up steps, cosine), bf16 autocast on this CPU (AVX512-BF16),
# 2 threads, one arm after the other; `--resume` continues a stopped arm from its last checkpoint (every 250 steps).
set -euo pipefail
ARMS=${ARMS:-"16384 16384-sgc 65536"}
STEPS=${STEPS:-1000}
mkdir -p exp/default/lm
for arm in $ARMS; do
  T=exp/default/tokens/v4L-$arm-s1
  OMP_NUM_THREADS=2 .venv/bin/python -m lm.train --preset tiny --tokens $T/train --dev-tokens $T/dev \
    --init pipelines/default_model/lm --init-new-codec --out exp/default/lm/dn-$arm --steps $STEPS \
    --batch-tokens 8192 --lr 5e-4 --seed 0 --warmup-steps 100 --eval-every 250 --save-every 250 --keep-last 2 \
    --mixed-precision bf16 --resume >> exp/default/lm/dn-$arm.log 2>&1
done
