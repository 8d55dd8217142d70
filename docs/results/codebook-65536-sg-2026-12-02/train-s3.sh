# run from the project root (2026-12-02, twentieth session): a third seed (3) of the three arms claim 3 turns on —
# plain 65536, plain 16384, 16384 + SG — in the fine-tuned family of ../codebook-65536-2026-12-02/train.sh (every arm
# starts from the bundled 16384 codec with a fresh quantizer; 2500 steps, LR 1e-4, mel loss, SG centered at lambda 5
# on the last block). Three processes side by side with 1 thread each; `--resume` continues a stopped run.
for arm in "bq-65536-s3 65536 --no-sg" "bq-16384-s3 16384 --no-sg" \
           "bq-16384-sgc-s3 16384 --sg --sg-weight 5 --sg-loss centered"; do
  set -- $arm; name=$1; size=$2; shift 2
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size "$@" \
    --seed 3 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    >> exp/default/codec/$name.log 2>&1 &
done; wait
