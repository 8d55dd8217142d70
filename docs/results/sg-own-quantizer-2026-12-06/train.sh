#!/bin/bash
# Issue 6 asks that the claims be measured on codecs trained until resynthesis is intelligible (WER within a few
# points of the ground truth). Every SG pair so far began with a fresh quantizer (its projections newly initialised);
# a converged codec's own trained quantizer is the other way in. The start, exp/decoder-deeper/same (the bundled
# codec + 10 000 decoder steps at fixed codes, as rebuilt 2026-12-05 from the float16 bundle: PESQ-WB 3.013, WER
# 0.292 on test, +0.055 [+0.029, +0.085] over the ground truth; written here at launch, wrongly, as the original
# build's 3.056 and +0.042), is the start of the nine 6-block pairs.
# Here SG is tried on that codec with its own trained 16384 quantizer (no --codebook-size), the whole codec
# trained 2000 mel-only steps, without SG or with it (the grid's SG: --sg-weight 5 --sg-loss centered, last block),
# at seeds 3 and 4, everything else as the 6-block pairs (LR 1e-4, batch 8 x 1 s, same batches per seed; sg-capacity
# train.sh with CODEBOOK=own). Four arms side by side, one thread each, from one launch (the scheduler shares the
# cores by launch). Resumes a killed run. From the repository root.
set -euo pipefail
CODEBOOK=own OUT=exp/sg-own SEED=3 ARMS="same same-sgc" docs/results/sg-capacity-2026-12-05/train.sh &
CODEBOOK=own OUT=exp/sg-own SEED=4 ARMS="same same-sgc" docs/results/sg-capacity-2026-12-05/train.sh &
wait
