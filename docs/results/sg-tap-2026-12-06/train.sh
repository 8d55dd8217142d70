#!/bin/bash
# Issue 6, "find out why ... (λ, tap, ...)": the tap. Every 6-block SG arm so far tapped the last transformer block
# (the paper's tap; one early run tapped after the final norm, `--sg-tap backbone`). Here SG pulls h_q onto h_e at
# every block (`--sg-tap all_blocks`: the loss averaged over the six blocks, λ 5, centred), so the rounding's effect is
# corrected where it enters the decoder, not only at its last block. Seeds 3, 4 and 5, each exactly as the SG arms
# of "Seven nulls" (sg-capacity train.sh: the 6-block start exp/decoder-deeper/same/final, 2000 mel-only steps,
# fresh 16384 quantizer, LR 1e-4, batch 8 x 1 s) but for the tap, whose plain and null twins exist
# (exp/sg-capacity/same-sN, same-sgc0-sN). The three side by side, one thread each, from one launch.
# As run: 2026-12-06, forty-seventh session, 19:43-20:36 UTC (1.58 s/step, three arms on two cores). From the repository root; resumes a killed run.
set -euo pipefail
T=docs/results/sg-capacity-2026-12-05/train.sh
for s in 3 4 5; do SEED=$s ARMS=same-sgca $T & done
wait
