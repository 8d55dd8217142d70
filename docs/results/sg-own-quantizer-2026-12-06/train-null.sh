#!/bin/bash
# After train.sh: a null twin at each seed — the plain arm perturbed by SG at weight 1e-4 (sg-capacity train.sh arm
# "-sgc0"), everything else identical — to measure how far two near-identical runs drift apart in this regime (own
# trained quantizer), the yardstick for SG's +0.008 / +0.075 PESQ-WB at seeds 3 / 4. Two arms side by side, one
# thread each, one launch. Resumes a killed run. From the repository root.
set -euo pipefail
CODEBOOK=own OUT=exp/sg-own SEED=3 ARMS=same-sgc0 docs/results/sg-capacity-2026-12-05/train.sh &
CODEBOOK=own OUT=exp/sg-own SEED=4 ARMS=same-sgc0 docs/results/sg-capacity-2026-12-05/train.sh &
wait
