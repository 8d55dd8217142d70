# run from the project root (2026-12-02, eighteenth session, beside train-s2.sh on the other core): plain 16384 at
# seed 2, the control for the seed-2 pair (4096 + SG of train.sh, plain 4096 of train-s2.sh); 1 thread, otherwise
# train.sh's command. Run in pieces: --resume continues from the last checkpoint (every 250 steps)
OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size 16384 \
  --no-sg --seed 2 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
  --out exp/default/codec/bq-16384-s2 --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
  --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
  >> exp/default/codec/bq-16384-s2.log 2>&1
