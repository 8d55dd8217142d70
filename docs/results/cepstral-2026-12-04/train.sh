#!/bin/bash
# Issue 6: is the codec's WER gap its capacity or its objective? The bundled codec's decoder trained on with its
# tokenizer frozen (codes unchanged), two arms side by side, one thread each, identical but for the loss:
#   mel       the multi-scale mel loss only (the control: more of the same training)
#   cepstral  the same + CEPSTRAL_WEIGHT x L1 of mean-normalised MFCCs (codec.objective.cepstral_loss)
# STEPS=N (default 8000, as run); run from the repository root.
# pipelines/default_model/codec was then the bundle of commit 62502ae (tokenizer fingerprint f159235ed28d); since
# f1581ac (2026-12-05) the bundled codec is this run's descendant. To reproduce, restore that one first, e.g.
#   mkdir -p /tmp/bundle-62502ae && for f in config.json model.safetensors; do
#     git show 62502ae:pipelines/default_model/codec/$f > /tmp/bundle-62502ae/$f; done
# and pass INIT=/tmp/bundle-62502ae.
set -euo pipefail
STEPS=${STEPS:-8000}
CEPSTRAL_WEIGHT=${CEPSTRAL_WEIGHT:-45}
OUT=${OUT:-exp/cepstral}
common=(--init-from "${INIT:-pipelines/default_model/codec}" --freeze-tokenizer --no-sg --seed 0
        --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl
        --steps "$STEPS" --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 --adv-start-step "$STEPS"
        --save-every 1000 --eval-every 1000 --cpu)
mkdir -p "$OUT"
for arm in mel cepstral; do
  extra=()
  [ "$arm" = cepstral ] && extra=(--cepstral-weight "$CEPSTRAL_WEIGHT")
  resume=()
  [ -d "$OUT/$arm/checkpoints" ] && resume=(--resume)
  OMP_NUM_THREADS=1 .venv/bin/python -m codec.train "${common[@]}" "${extra[@]}" "${resume[@]}" --out "$OUT/$arm" \
    > "$OUT/$arm.log" 2>&1 &
done
wait
