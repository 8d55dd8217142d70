#!/bin/bash
# Issue 6: a third seed for SG's cost with the 6-block decoder (docs/results/sg-capacity-2026-12-05: PESQ-WB
# -0.046 at seed 1, -0.168 at seed 2), so that the seed-to-seed spread can be estimated rather than only shown.
# This checkout was fresh (no exp/), so first the corpus is rendered again (the same command as before, which is
# deterministic) and the 6-block start `same` is rebuilt (docs/results/decoder-deeper-2026-12-05/train.sh, 10 000
# decoder steps at fixed codes) from the bundle (INIT=pipelines/default_model/codec: the bundle's codec is that run's
# start, `dec18k`, with its decoder stored in float16, so the rebuild starts from float16-rounded decoder weights;
# the bundle as installed by commit f1581ac, codec fingerprint e481adacf0ee).
# Then the pair at each of SEEDS (default 3), exactly as seeds 1 and 2: sg-capacity train.sh SEED=s ARMS="same same-sgc".
# As run: the rebuild on two threads (THREADS=2) and the pair at seed 3 side by side at one thread each; then SEEDS=4;
# then SEEDS="5 6" (2026-12-06, beside docs/results/sg-ramp-2026-12-06's arms; stopped before seed 6 for time).
# Then (2026-12-06 from 03:00 UTC, the three arms side by side at one thread each, from one launch): seed 6's SG arm
# (its plain arm is sg-ramp's) and the pair at seed 7, through sg-capacity's train.sh directly:
#   SEED=6 ARMS=same-sgc docs/results/sg-capacity-2026-12-05/train.sh &
#   SEED=7 ARMS="same same-sgc" docs/results/sg-capacity-2026-12-05/train.sh &
# Run from the repository root; resumes a killed run.
set -euo pipefail
[ -f exp/default/data/test.jsonl ] || .venv/bin/python -m pipelines.corpus synth --out exp/default/data --voices slt \
  --max-utts 14985 --seed 0 --dev-fraction 0.01 --test-fraction 0.0125 --held-out-of 8000
[ -f exp/decoder-deeper/same/final/model.safetensors ] || \
  ARM=same INIT=pipelines/default_model/codec THREADS=${THREADS:-2} docs/results/decoder-deeper-2026-12-05/train.sh
for seed in ${SEEDS:-3}; do SEED=$seed ARMS="same same-sgc" docs/results/sg-capacity-2026-12-05/train.sh; done
