#!/bin/bash
# Issue 6 asks that the claims be measured on codecs trained until resynthesis is intelligible (WER within a few
# points of the ground truth). Every SG pair so far began with a fresh quantizer, which drops the start's fidelity:
# the 6-block pairs ended at WER 0.30-0.33 on test against the ground truth's 0.237. The start itself,
# exp/decoder-deeper/same (the bundled codec + 10 000 decoder steps at fixed codes), is the codec nearest the bar:
# +0.042 [+0.020, +0.067] WER over the ground truth (test + dev), PESQ-WB 3.056.
# Here SG is tried there: that codec with its own trained 16384 quantizer (no --codebook-size), the whole codec
# trained 2000 mel-only steps, without SG or with it (the grid's SG: --sg-weight 5 --sg-loss centered, last block),
# at seeds 3 and 4, everything else as the 6-block pairs (LR 1e-4, batch 8 x 1 s, same batches per seed; sg-capacity
# train.sh with CODEBOOK=own). Four arms side by side, one thread each, from one launch (the scheduler shares the
# cores by launch). Resumes a killed run. From the repository root.
set -euo pipefail
CODEBOOK=own OUT=exp/sg-own SEED=3 ARMS="same same-sgc" docs/results/sg-capacity-2026-12-05/train.sh &
CODEBOOK=own OUT=exp/sg-own SEED=4 ARMS="same same-sgc" docs/results/sg-capacity-2026-12-05/train.sh &
wait
