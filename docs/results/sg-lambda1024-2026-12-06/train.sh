#!/bin/bash
# Issue 6, "find out why (λ ...)" asked where there is something for SG to win back. At 1024 codes the codebook costs
# PESQ-WB -0.142 against 16384 and SG at the grid's λ 5 won back none of it (docs/results/sg-codebook1024-2026-12-06).
# λ was only ever varied where the codebook cost nothing, and the paper's own λ below 65536 is 10 (its range 5-10).
# Here SG at λ 10 at the three seeds of the 1024 pair (3, 4, 5), and at λ 20 at seed 3 (a dose beyond the paper's),
# everything else as those arms: the 6-block start, a fresh 1024 quantizer, 2000 mel-only steps, LR 1e-4, batch 8 x
# 1 s, the centred SG loss at the last block, same seeds and batches (sg-capacity train.sh, arms "same-sgcN").
# Four arms side by side, one thread each, from one launch (the scheduler shares the cores by launch). Resumes a
# killed run. From the repository root.
set -euo pipefail
T=docs/results/sg-capacity-2026-12-05/train.sh
CODEBOOK=1024 OUT=exp/sg-codebook SEED=3 ARMS="same-sgc10 same-sgc20" $T &
for seed in 4 5; do CODEBOOK=1024 OUT=exp/sg-codebook SEED=$seed ARMS="same-sgc10" $T & done
wait
