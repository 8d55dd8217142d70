#!/bin/bash
# Issue 6, the FSQ-grid probe (CPU, 2026-12-04): is it the grid, not the size, that put plain 8192 above plain 16384
# in PESQ-WB on the four-voice grid? Three codecs fine-tuned alike from the bundled codec with fresh quantizers:
# 16384 as 4^7 (the default grid), 16384 as 8,8,4,4,4,4 (six dimensions, two of 8 levels) and 8192 as 8,4,4,4,4,4.
# Training: train.sh beside this file (SEED=1 by default; SEED=2 for the second seed), then this judging:
#   SEED=N bash docs/results/fsq-grid-2026-12-04/eval.sh   (seed 1 -> exp/grid and $D/test, seed N -> exp/grid-sN
#   and $D/seedN)
set -euo pipefail
D=docs/results/fsq-grid-2026-12-04
SEED=${SEED:-1}
G=exp/grid T=$D/test R=$D/runs
if [ "$SEED" != 1 ]; then G=exp/grid-s$SEED T=$D/seed$SEED R=$D/seed$SEED/runs; fi
P=.venv/bin/python
ARMS="g16384-4x7 g16384-8x8x4x4x4x4 g8192"
export OMP_NUM_THREADS=2
$P -m pipelines.evaluate compare $(for a in $ARMS; do echo --codec $a=$G/$a/final; done) \
  --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 --asr pocketsphinx --out $G/report \
  > $G/judge.log 2>&1
mkdir -p $T $R
$P docs/results/codec-claims-gpu-2026-12-04/paired.py $G/report g16384-4x7:g16384-8x8x4x4x4x4 \
  g16384-4x7:g8192 g16384-8x8x4x4x4x4:g8192 > $T/paired.md
$P scripts/paired_wer.py $G/report g16384-4x7:g16384-8x8x4x4x4x4 g16384-4x7:g8192 > $T/paired_codec_wer.txt
cp $G/report/report.md $G/report/results.json $G/report/*.png $T/
# per-utterance PESQ/STOI, so that the seeds can be pooled later (added for seed 2; seed 1's were not kept)
mkdir -p $T/per_utterance
for a in $ARMS; do cp $G/report/codec/$a/per_utterance.json $T/per_utterance/$a.json; done
for a in $ARMS; do cp $G/$a/metrics.jsonl $R/$a.metrics.jsonl; cp -r $G/$a/eval $R/$a.eval; done
