# run from the project root (2026-12-02, nineteenth session, and resumed in later sessions: `--resume` continues from
# the last checkpoint): 65536 + SG at seeds 1 and 2, the partners of plain 65536 (train.sh) — claim 2 at 65536 and
# SG's fidelity effect at the top of the ladder. The recipe of train.sh; two processes side by side, 1 thread each.
for arm in "bq-65536-sgc-s1 1" "bq-65536-sgc-s2 2"; do
  set -- $arm; name=$1; seed=$2
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec --codebook-size 65536 \
    --sg --sg-weight 5 --sg-loss centered \
    --seed $seed --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --out exp/default/codec/$name --steps 2500 --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 \
    --adv-start-step 2500 --save-every 250 --keep-last 2 --eval-every 500 --resume --cpu \
    >> exp/default/codec/$name.log 2>&1 &
done; wait
