#!/bin/bash
# Issue 6: how far do two runs drift apart when nothing but a perturbation separates them? Three null arms were
# too few to know (docs/results/sg-drift-2026-12-06: +0.022 / +0.022 / -0.073 PESQ-WB at seeds 5 / 6 / 7), so this
# adds nulls at seeds 3, 4 and 8, whose plain twins already exist (sg-seed3's same-s3, same-s4; sg-drift's same-s8):
# six nulls beside SG's six pairs at seeds 3-8. Each exactly as before (sg-capacity train.sh, arm "same-sgc0": the
# 6-block start exp/decoder-deeper/same/final, 2000 mel-only steps, fresh 16384 quantizer, LR 1e-4, batch 8 x 1 s,
# SG at weight 1e-4), the three side by side, one thread each, from one launch (one CPU autogroup). Resumes a killed
# run. As run: 2026-12-06, forty-second session (05:50 UTC on). From the repository root.
set -euo pipefail
T=docs/results/sg-capacity-2026-12-05/train.sh
for s in 3 4 8; do SEED=$s ARMS=same-sgc0 $T & done
wait
