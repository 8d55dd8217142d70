#!/bin/bash
# Issue 6, beside train.sh (launched two minutes after it, so six arms shared the two cores): a third seed of the
# 1024 pair, whose 16384 arms (plain, SG, null) exist too. Same flags. Resumes a killed run. From the repository root.
set -euo pipefail
CODEBOOK=1024 OUT=exp/sg-codebook SEED=5 ARMS="same same-sgc" docs/results/sg-capacity-2026-12-05/train.sh
