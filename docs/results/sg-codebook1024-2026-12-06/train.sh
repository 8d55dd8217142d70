#!/bin/bash
# Issue 6, claim 3's premise pushed where it can bite: SG should win back what a smaller codebook costs, and the paper
# finds its gain where the codebook is smallest (8192). At 16384 our plain codecs lose next to nothing against 65536,
# so there was nothing for SG to win back. Here a codebook 16x smaller than 16384 (1024 = FSQ 4^5, 10 bits per 20 ms
# frame, 500 bit/s) that must cost fidelity: the 6-block start, a fresh 1024 quantizer, 2000 mel-only steps, LR 1e-4,
# batch 8 x 1 s, without SG and with the grid's SG (sg-capacity train.sh, unchanged but for CODEBOOK), at seeds 3
# and 4, whose 16384 arms (plain, SG, null) exist: same seed, same batches, only the codebook differs. Four arms side
# by side, one thread each, from one launch. Resumes a killed run. From the repository root.
set -euo pipefail
T=docs/results/sg-capacity-2026-12-05/train.sh
for seed in 3 4; do CODEBOOK=1024 OUT=exp/sg-codebook SEED=$seed ARMS="same same-sgc" $T & done
wait
