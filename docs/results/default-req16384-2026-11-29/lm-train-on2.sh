.venv/bin/python -m lm.train --preset tiny --tokens exp/default/tokens/req16384-big/train,exp/default/tokens/req16384-wn/train \
  --dev-tokens exp/default/tokens/req16384-big/dev --init exp/default/lm/req16384-on/final --out exp/default/lm/req16384-on2 \
  --steps 2500 --batch-tokens 8192 --lr 2e-4 --seed 0 --warmup-steps 50 --eval-every 250 --save-every 250 \
  --keep-last 2 --mixed-precision bf16 --resume   # 3000 at first; resumed with --steps 2500 after step 250
