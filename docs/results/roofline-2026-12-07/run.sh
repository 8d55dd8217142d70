#!/usr/bin/env bash
# The rooflines of the two missed MFU targets of issue 8 (docs/PERFORMANCE.md, "Roofline"): counted on this CPU,
# bound for an H100 SXM and an H200. From the repository's root: bash docs/results/roofline-2026-12-07/run.sh
set -euo pipefail
out=docs/results/roofline-2026-12-07/roofline.jsonl
export OMP_NUM_THREADS=2
py=.venv/bin/python
$py -m benchmarks.roofline --preset xcodec2 --batch 32 --out $out            # the codec target's row (SG on)
$py -m benchmarks.roofline --preset xcodec2 --batch 32 --no-sg --out $out    # SG off (the next lease's row)
$py -m benchmarks.roofline --preset xcodec2 --batch 8 --out $out             # the 2026-11-27 batch
$py -m benchmarks.roofline --preset tiny --batch 32 --out $out
$py -m benchmarks.roofline --lm small --batch-tokens 65536 --out $out        # the LM target's row
$py -m benchmarks.roofline --lm small --batch-tokens 65536 --row-length 1024 --out $out   # rows half as long
