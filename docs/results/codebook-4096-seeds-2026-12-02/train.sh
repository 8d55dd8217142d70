# run from the project root (2026-12-02, eighteenth session): the seed-1 partners that pair with plain 4096 seed 1 of
# ../codebook-4096-2026-12-01 — a re-run of the 16384 control with a new quantizer (bq-16384-s1 of
# ../codebook-8192-2026-11-29, lost with the machine; that run had 2 threads, this one 1, so it is the same seed
# with other floating-point sums, not a bit-for-bit copy: its dev evaluation at step 500 already differs), 4096 + SG
# at seed 1, and 4096 + SG at seed 2, whose plain partner follows in train-s2.sh. The family's recipe otherwise: 2500 steps,
# LR 1e-4, mel loss, SG centered at lambda 5 on the last block; three processes side by side with 1 thread each
for arm in "bq-16384-s1 16384 1 --no-sg" "bq-4096-sgc-s1 4096 1 --sg --sg-weight 5 --sg-loss centered" \
           "bq-4096-sgc-s2 4096 2 --sg --sg-weight 5 --sg-loss centered"; do
  set -- $arm; name=$1; size=$2; seed=$3; shift 3
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size "$@" \
    --seed $seed --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    > exp/default/codec/$name.log 2>&1 &
done; wait
