.venv/bin/python -m lm.train --preset tiny --tokens exp/default/tokens/req16384-big/train,exp/default/tokens/req16384-wn/train \
  --dev-tokens exp/default/tokens/req16384-big/dev --init exp/default/lm/wn/final --init-new-codec --out exp/default/lm/req16384 \
  --steps 2000 --batch-tokens 8192 --lr 5e-4 --seed 0 --warmup-steps 100 --eval-every 250 --save-every 250 \
  --keep-last 2 --mixed-precision bf16 --resume
