# run from the project root after rebuild-lm-data.sh: the bundled LM (req16384-on2's final, stored in float16)
# trained further on the same tokens with on2's settings (its optimizer restarts), 3000 steps; on 2 cores (2.7-4.4 s a
# step, by the hour) that is more than one session, so it runs in pieces: the same command again resumes from the last checkpoint.
OMP_NUM_THREADS=2 .venv/bin/python -m lm.train --preset tiny \
  --tokens exp/default/tokens/req16384-big/train,exp/default/tokens/req16384-wn/train \
  --dev-tokens exp/default/tokens/req16384-big/dev --init pipelines/default_model/lm --out exp/default/lm/req16384-on3 \
  --steps 3000 --batch-tokens 8192 --lr 2e-4 --seed 0 --warmup-steps 50 --eval-every 250 --save-every 250 \
  --keep-last 2 --mixed-precision bf16 --resume >> exp/default/lm/req16384-on3.log 2>&1
