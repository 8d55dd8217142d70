# run from the project root (2026-11-29, fourteenth session): the 8192 arms of issue 6, from the bundled codec
# (the trio's plain 16384 codec, its decoder side stored in float16), with a 16384 control re-quantized alike
for arm in "bq-16384 16384 --no-sg" "bq-8192 8192 --no-sg" \
           "bq-8192-sgc 8192 --sg --sg-weight 5 --sg-loss centered"; do
  set -- $arm; name=$1; size=$2; shift 2
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size "$@" \
    --seed 0 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    > exp/default/codec/$name.log 2>&1 &
done; wait
