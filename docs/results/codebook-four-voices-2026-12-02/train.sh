# run from the project root (2026-12-02, twenty-first session): the fine-tuned family's recipe
# (../codebook-65536-2026-12-02/train.sh: every arm starts from the bundled 16384 codec with a fresh quantizer; LR
# 1e-4, mel loss, SG centered at lambda 5 on the last block) on a corpus of four voices instead of slt alone:
#   python -m pipelines.corpus synth --out exp/voices4/data --voices slt,rms,awb,kal16 --max-utts 10000 --seed 0 \
#     --dev-fraction 0.01 --test-fraction 0.01 --workers 2      # 7 min on 2 cores; 9800 / 100 / 100 utterances
# The three arms claim 3 turns on (plain 65536, plain 16384, 16384 + SG), seed 1, 2000 steps (not 2500: the session's
# time), three processes side by side with 1 thread each; `--resume` continues a stopped run. All three were stopped
# (killed) at their step-1250 checkpoints, 12:21-13:53 (plain arms) and -13:56 UTC (SG arm) with a ~20-min pause (SIGSTOP) for the tests and benchmarks: the
# session's time ran short on this slow instance (2.9-3.7 s/step); eval.sh scores those checkpoints.
for arm in "v4-65536-s1 65536 --no-sg" "v4-16384-s1 16384 --no-sg" \
           "v4-16384-sgc-s1 16384 --sg --sg-weight 5 --sg-loss centered"; do
  set -- $arm; name=$1; size=$2; shift 2
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size "$@" \
    --seed 1 --train-manifest exp/voices4/data/train.jsonl --dev-manifest exp/voices4/data/dev.jsonl \
    --out exp/voices4/codec/$name --steps 2000 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2000 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    >> exp/voices4/codec/$name.log 2>&1 &
done; wait
