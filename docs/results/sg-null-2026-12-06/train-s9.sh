#!/bin/bash
# Issue 6, after train.sh: a ninth seed with all three arms at once (the plain arm, SG, and the null: SG at weight
# 1e-4), as every arm before (sg-capacity train.sh: the 6-block start, 2000 mel-only steps, fresh 16384 quantizer,
# LR 1e-4, batch 8 x 1 s), side by side, one thread each, from one launch. A ninth SG seed, a seventh null, and the
# seventh seed where SG and the null share their plain twin. Resumes a killed run. From the repository root.
set -euo pipefail
SEED=9 ARMS="same same-sgc same-sgc0" docs/results/sg-capacity-2026-12-05/train.sh
