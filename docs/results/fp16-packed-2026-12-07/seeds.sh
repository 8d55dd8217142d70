#!/bin/bash
# The float16 bundle's TTS WER on the test split at sampling seeds 1 and 2 (bundle.sh judged seed 0): how far the
# seed alone moves the card's figure. Run from the repository root after bundle.sh.
set -euo pipefail
P=.venv/bin/python
NEW=req16384on2-t0.2-dec18k-fp16
T=exp/fp16-packed/tts
D=docs/results/fp16-packed-2026-12-07/bundle
export OMP_NUM_THREADS=2
for s in 1 2; do
  $P -m pipelines.evaluate compare --tts $NEW=$T/$NEW --manifest exp/default/data/test.jsonl --max-utts 100 \
    --seed $s --asr pocketsphinx --out $T/report-test-seed$s > $T/report-test-seed$s.log 2>&1
  cp $T/report-test-seed$s/report.md $D/report-test-seed$s.md
  cp $T/report-test-seed$s/results.json $D/results-test-seed$s.json
done
