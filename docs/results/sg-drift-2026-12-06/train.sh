#!/bin/bash
# Issue 6: is SG's effect more than run-to-run drift? The null control (docs/results/sg-ramp-2026-12-06: the plain
# 6-block 16384 fine-tune's twin, perturbed by SG at weight 1e-4) drifted +0.022 PESQ-WB from its plain twin at
# seeds 5 and 6; SG's own effect over seeds 1-7 (docs/results/sg-seed3-2026-12-05) is set against those nulls by
# sg_vs_null.py. This adds a third null seed and an eighth SG pair, exactly as before (sg-capacity train.sh: the
# 6-block start exp/decoder-deeper/same/final, 2000 mel-only steps, fresh 16384 quantizer, LR 1e-4, batch 8 x 1 s):
#   seed 7: the null arm (its plain twin is sg-seed3's same-s7); seed 8: the plain arm and the SG arm.
# The three side by side, one thread each, from one launch (one CPU autogroup). Resumes a killed run.
# As run: 2026-12-06, forty-first session, after sg-seed3's eval.sh SEEDS="3 4 5 6 7". From the repository root.
# Before it (03:14 UTC, beside sg-seed3's arms at seeds 6 and 7): the start gradients of seeds 7 and 8 (gradient/,
# and the prediction for seed 8 written from them before it trained, gradient/prediction.md):
#   .venv/bin/python scripts/sg_gradient.py exp/decoder-deeper/same/final --train-manifest exp/default/data/train.jsonl \
#     --fresh-codebook-size 16384 --seed S --batches 8 > gradient/gradient-start-sS.jsonl   # S = 7 8
set -euo pipefail
T=docs/results/sg-capacity-2026-12-05/train.sh
SEED=7 ARMS=same-sgc0 $T &
SEED=8 ARMS="same same-sgc" $T &
wait
