# run from the project root (2026-12-01, seventeenth session): the 4096 arms of issue 6 from the bundled codec, with
# and without SG, beside a re-run of the plain 16384 control of train.sh in ../codebook-8192-2026-11-29 (the same
# command: its codecs were lost with the machine; the re-run is the matched reference and a check that the recipe
# reproduces). Otherwise the recipe of that family: 2500 steps, LR 1e-4, mel loss, SG centered at lambda 5 on the
# last block, seed 0; three processes side by side with 1 thread each
for arm in "bq-16384 16384 --no-sg" "bq-4096 4096 --no-sg" \
           "bq-4096-sgc 4096 --sg --sg-weight 5 --sg-loss centered"; do
  set -- $arm; name=$1; size=$2; shift 2
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size "$@" \
    --seed 0 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    > exp/default/codec/$name.log 2>&1 &
done; wait
