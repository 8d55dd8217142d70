#!/bin/bash
# run from the project root (2026-12-02, twenty-second session): more arms of train.sh's four-voice family, with its
# flags unchanged (every arm fine-tuned from the bundled codec with a fresh quantizer; 2000-step schedule, LR 1e-4).
# Like seed 1's, each run was stopped (killed) right after its step-1250 checkpoint, so that all arms are compared at
# the same point of the same schedule:
#   1. seed 2 of the three arms claim 3 turns on (plain 65536, plain 16384, 16384 + SG): three processes side by
#      side, 15:13-16:23 UTC;
#   2. the 4096 pair (plain, + SG) at seed 1: two processes, 16:25-17:2x UTC (beside eval-seed2.sh until 16:47).
arms() {  # seed, then one "name codebook-size flags..." per arm
  local seed=$1; shift
  for arm in "$@"; do
    set -- $arm; name=$1; size=$2; shift 2
    OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size \
      "$@" --seed $seed --train-manifest exp/voices4/data/train.jsonl --dev-manifest exp/voices4/data/dev.jsonl \
      --out exp/voices4/codec/$name --steps 2000 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
      --adv-start-step 2000 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
      >> exp/voices4/codec/$name.log 2>&1 &
  done; wait
}
SG="--sg --sg-weight 5 --sg-loss centered"
arms 2 "v4-65536-s2 65536 --no-sg" "v4-16384-s2 16384 --no-sg" "v4-16384-sgc-s2 16384 $SG"
arms 1 "v4-4096-s1 4096 --no-sg" "v4-4096-sgc-s1 4096 $SG"
