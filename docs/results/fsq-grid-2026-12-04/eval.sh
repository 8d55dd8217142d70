#!/bin/bash
# Issue 6, the FSQ-grid probe (CPU, 2026-12-04): is it the grid, not the size, that put plain 8192 above plain 16384
# in PESQ-WB on the four-voice grid? Three codecs fine-tuned alike from the bundled codec with fresh quantizers:
# 16384 as 4^7 (the default grid), 16384 as 8,8,4,4,4,4 (six dimensions, two of 8 levels) and 8192 as 8,4,4,4,4,4.
# Training: the loop below (run from the project root; ~50 min on 2 cores), then this judging.
#   for arm in "g16384-4x7:--codebook-size 16384" "g16384-8x8x4x4x4x4:--fsq-levels 8,8,4,4,4,4" \
#              "g8192:--codebook-size 8192"; do
#     name=${arm%%:*} flags=${arm#*:}
#     OMP_NUM_THREADS=1 .venv/bin/python -m codec.train --init-from pipelines/default_model/codec $flags --no-sg \
#       --seed 1 --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
#       --out exp/grid/$name --steps 2000 --batch-size 8 --segment-seconds 1.0 --lr 2e-4 --warmup-steps 50 \
#       --adv-start-step 2000 --save-every 250 --keep-last 1 --eval-every 2000 --resume --cpu &
#   done; wait
set -euo pipefail
D=docs/results/fsq-grid-2026-12-04
P=.venv/bin/python
ARMS="g16384-4x7 g16384-8x8x4x4x4x4 g8192"
export OMP_NUM_THREADS=2
$P -m pipelines.evaluate compare $(for a in $ARMS; do echo --codec $a=exp/grid/$a/final; done) \
  --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 --asr pocketsphinx --out exp/grid/report \
  > exp/grid/judge.log 2>&1
mkdir -p $D/test $D/runs
$P docs/results/codec-claims-gpu-2026-12-04/paired.py exp/grid/report g16384-4x7:g16384-8x8x4x4x4x4 \
  g16384-4x7:g8192 g16384-8x8x4x4x4x4:g8192 > $D/test/paired.md
$P scripts/paired_wer.py exp/grid/report g16384-4x7:g16384-8x8x4x4x4x4 g16384-4x7:g8192 > $D/test/paired_codec_wer.txt
cp exp/grid/report/report.md exp/grid/report/results.json exp/grid/report/*.png $D/test/
for a in $ARMS; do cp exp/grid/$a/metrics.jsonl $D/runs/$a.metrics.jsonl; cp -r exp/grid/$a/eval $D/runs/$a.eval; done
