# run from the project root (2026-12-02, seventeenth session): plain 4096 at seed 1 (a second quantizer start for the
# codebook's cost; the 16384 control with a new quantizer is bq-16384-s1 of ../codebook-8192-2026-11-29), alone with
# 2 threads; otherwise train.sh's command
OMP_NUM_THREADS=2 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size 4096 --no-sg \
  --seed 1 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
  --out exp/default/codec/bq-4096-s1 --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
  --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
  > exp/default/codec/bq-4096-s1.log 2>&1
