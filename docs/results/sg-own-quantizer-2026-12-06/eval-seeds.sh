#!/bin/bash
# After eval.sh: how far the seed moves an arm in this regime (seed 4 − seed 3, the plain arms, then the SG arms), the
# yardstick for SG's per-seed effects; from the judging cache's per-utterance scores, no decoding. seed_pooled.py's
# "contrast" of the two rows is SG's effect at seed 4 minus at seed 3. From the repository root.
set -euo pipefail
D=docs/results/sg-own-quantizer-2026-12-06 E=exp/sg-capacity
for s in test dev; do
  .venv/bin/python scripts/seed_pooled.py $E/judged-$s-new own-s3:own-s4 own-sgc-s3:own-sgc-s4 --metric pesq_wb \
    --metric pesq_nb --metric stoi --metric mel_distance --metric wer > $D/$s/seed_drift.jsonl
done
