#!/bin/bash
# Issue 6, the FSQ-grid probe: train its three codecs side by side (run from the project root; ~50 min on 2 cores
# alone). SEED=1 (default) is the 2026-12-04 thirty-first session's run into exp/grid; SEED=2 (thirty-second
# session) goes to exp/grid-s2. Then `SEED=N bash docs/results/fsq-grid-2026-12-04/eval.sh`.
set -euo pipefail
SEED=${SEED:-1}
G=exp/grid; [ "$SEED" = 1 ] || G=exp/grid-s$SEED
for arm in "g16384-4x7:--codebook-size 16384" "g16384-8x8x4x4x4x4:--fsq-levels 8,8,4,4,4,4" \
           "g8192:--codebook-size 8192"; do
  name=${arm%%:*} flags=${arm#*:}
  mkdir -p $G/$name
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec $flags --no-sg \
    --seed $SEED --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out $G/$name --steps 2000 --batch-size 8 --segment-seconds 1.0 --lr 2e-4 --warmup-steps 50 \
    --adv-start-step 2000 --save-every 250 --keep-last 1 --eval-every 2000 --resume --cpu > $G/$name.log 2>&1 &
done
wait
