# run from the project root (2026-11-29, sixteenth session): the SG arms that complete {16384, 8192} x {no SG, SG} x
# {seed 0, seed 1} from the bundled codec (issue 6 asks for the key pair 16384 +- SG with two seeds): 16384 + SG at
# seeds 0 and 1, and 8192 + SG at seed 1; otherwise the recipe of train.sh (2500 steps, LR 1e-4, centered SG, lambda 5,
# last block), three processes side by side with 1 thread each
for arm in "bq-16384-sgc 16384 0" "bq-16384-sgc-s1 16384 1" "bq-8192-sgc-s1 8192 1"; do
  set -- $arm; name=$1; size=$2; seed=$3
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size \
    --sg --sg-weight 5 --sg-loss centered \
    --seed $seed --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    > exp/default/codec/$name.log 2>&1 &
done; wait
