#!/bin/bash
# run from the project root after eval.sh (2026-12-02, twenty-third session): resynthesis WER and fidelity along the
# schedule for the claim-3 pair (65536, 16384 + SG) at steps 1000 and 2000 of train.sh's runs, each checkpoint
# exported and scored like the finals (two compare calls side by side, one core each); rows in steps/report.md.
set -e
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
R=exp/voices4/report-steps
OUT=docs/results/codebook-four-voices-long-2026-12-02/steps
for n in v4L-65536-s1 v4L-16384-sgc-s1; do for s in 1000 2000; do
  [ -d $C/$n/at_$s ] || .venv/bin/python -m codec.export $C/$n/checkpoints/step_0000$s $C/$n/at_$s
done; done
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4L-65536-s1@1000=$C/v4L-65536-s1/at_1000 \
  --codec v4L-65536-s1@2000=$C/v4L-65536-s1/at_2000 --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0 &
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4L-16384-sgc-s1@1000=$C/v4L-16384-sgc-s1/at_1000 \
  --codec v4L-16384-sgc-s1@2000=$C/v4L-16384-sgc-s1/at_2000 --manifest $M --max-utts 100 --out $R-b --asr pocketsphinx --seed 0 &
wait
mv $R-b/codec/* $R/codec/
.venv/bin/python -m pipelines.evaluate compare $(for n in v4L-65536-s1 v4L-16384-sgc-s1; do for s in 1000 2000; do
  echo --codec $n@$s=$C/$n/at_$s; done; done) --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0
mkdir -p $OUT && cp $R/report.md $R/results.json $OUT/
