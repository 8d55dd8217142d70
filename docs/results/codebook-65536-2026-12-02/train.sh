# run from the project root (2026-12-02, nineteenth session): the 65536 end of the fine-tuned family of
# ../codebook-4096-seeds-2026-12-02 (every arm starts from the bundled 16384 codec with a fresh quantizer; 2500 steps,
# LR 1e-4, mel loss, SG centered at lambda 5 on the last block): plain 65536 at seeds 1 and 2, whose plain 16384
# partners exist (seed 0 is left out: at seed 0 a fresh 16384 quantizer starts within 8% of the bundled one, so plain
# 16384 seed 0 is nearly a continuation and no fair partner for a new 65536 quantizer), and 16384 + SG at seed 1 —
# the paper's claim 3 (16384 + SG matches plain 65536) at seed 1. bq-16384-sgc-s1 repeats, at the same thread count,
# the run of ../codebook-8192-2026-11-29/train-sg-seeds.sh lost with that machine's exp/: its dev evaluations there
# say whether training is reproducible across machines. Three processes side by side with 1 thread each.
for arm in "bq-65536-s1 65536 1 --no-sg" "bq-65536-s2 65536 2 --no-sg" \
           "bq-16384-sgc-s1 16384 1 --sg --sg-weight 5 --sg-loss centered"; do
  set -- $arm; name=$1; size=$2; seed=$3; shift 3
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size $size "$@" \
    --seed $seed --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    > exp/default/codec/$name.log 2>&1 &
done; wait
