# run from the project root (2026-11-29, fifteenth session): plain 8192 with --seed 1, the seed of the 16384 control
# above, so that the two differ in codebook size alone (and 8192 seed 0 against seed 1 measures the seed's spread)
OMP_NUM_THREADS=2 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size 8192 --no-sg \
  --seed 1 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
  --out exp/default/codec/bq-8192-s1 --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
  --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
  > exp/default/codec/bq-8192-s1.log 2>&1
