# run from the project root (2026-12-02, eighteenth session) after train.sh: plain 4096 at seed 2, the partner of
# 4096 + SG at seed 2, with 1 thread (eval.sh ran beside it on the other core); otherwise train.sh's command
OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size 4096 --no-sg \
  --seed 2 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
  --out exp/default/codec/bq-4096-s2 --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
  --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
  > exp/default/codec/bq-4096-s2.log 2>&1
