#!/bin/bash
# run from the project root (2026-12-02, twenty-third session): the four-voice family's three claim-3 arms (plain
# 65536, plain 16384, 16384 + SG centered lambda 5 on the last block) with ../codebook-four-voices-2026-12-02/train.sh's
# flags but run to the end of a 3000-step schedule (those were stopped at step 1250 of 2000), to see whether longer training brings the
# resynthesis WER toward the ground truth's and whether the verdicts hold. Every arm starts from the bundled codec with
# a fresh quantizer, seed 1. Three processes side by side, 1 thread each; every checkpoint is kept (--keep-last 40)
# so that intermediate steps can be scored; `--resume` continues a stopped run.
# SEED=2 bash train.sh runs the second seed (twenty-fourth session); the default is seed 1.
# Corpus (4 min on this instance): python -m pipelines.corpus synth --out exp/voices4/data \
#   --voices slt,rms,awb,kal16 --max-utts 10000 --seed 0 --dev-fraction 0.01 --test-fraction 0.01 --workers 2
# ARMS="65536-sgc 4096 4096-sgc" bash train.sh runs the rest of the grid the issue asks for (twenty-fifth session):
# an arm is a codebook size, with "-sgc" for SG; the default is the three claim-3 arms.
# Twenty-sixth session (2026-12-03): SEED=2 ARMS="4096 4096-sgc" and SEED=2 ARMS="65536-sgc" as two invocations; the
# third process was paused (kill -STOP) since `nice` alone does not yield between two setsid sessions (autogroup
# scheduling shares the CPU per session, not per process); the pair ran at ~1.9-2.0 s/step, so to end within the
# session 65536 + SG was restarted from step 0 once the pair had finished, with THREADS=2 (1 by default), beside the
# pair's scoring (4-8 s/step then); resumed from step 250 with 1 thread (2.1 s/step alone), from step 500 with 2
# (1.05 s/step alone); stopped at the session's end with checkpoints to step 2250: SEED=2 THREADS=2 ARMS="65536-sgc".
# Twenty-seventh session (2026-12-03): that resumed from step 2250 alone with 2 threads, then ARMS="8192 8192-sgc"
# (seed 1, 1 thread each, side by side), the optional fourth size; eval-grid-8192.sh scores them.
# At the session's end SEED=2 ARMS="8192 8192-sgc" was started (1 thread each, side by side) and stopped after ~20
# minutes with checkpoints to step 500 (12:31-12:49 UTC, 1.5-1.6 s/step); the same command resumes it.
# Twenty-eighth session (2026-12-03): resumed from step 500 to the end, 13:11-14:33 UTC (1 thread each, 3.0-3.6
# s/step beside a corpus rendering for 30 minutes, then 1.3-1.6); eval-grid-8192-s2.sh scores the pair.
STEPS=3000
SEED=${SEED:-1}
THREADS=${THREADS:-1}
ARMS=${ARMS:-"65536 16384 16384-sgc"}
SG="--sg --sg-weight 5 --sg-loss centered"
for arm in $ARMS; do
  name=v4L-$arm-s$SEED; size=${arm%-sgc}
  if [ "$arm" = "$size" ]; then set -- --no-sg; else set -- $SG; fi
  OMP_NUM_THREADS=$THREADS .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size \
    "$@" --seed $SEED --train-manifest exp/voices4/data/train.jsonl --dev-manifest exp/voices4/data/dev.jsonl \
    --out exp/voices4/codec/$name --steps $STEPS --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step $STEPS --save-every 250 --keep-last 40 --eval-every 1000 --resume --cpu \
    >> exp/voices4/codec/$name.log 2>&1 &
done; wait
