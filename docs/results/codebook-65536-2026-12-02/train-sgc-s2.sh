# run from the project root (2026-12-02, nineteenth session), started beside train.sh (four processes on the two
# cores: each runs slower, the total throughput is the same): 16384 + SG at seed 2, so that claim 3 (16384 + SG
# against plain 65536) has a second seed, with bq-65536-s2 as its partner. The recipe of train.sh.
name=bq-16384-sgc-s2
OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size 16384 \
  --sg --sg-weight 5 --sg-loss centered \
  --seed 2 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
  --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
  --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
  > exp/default/codec/$name.log 2>&1
