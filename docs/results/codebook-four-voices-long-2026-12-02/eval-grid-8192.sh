#!/bin/bash
# run from the project root (2026-12-03, twenty-seventh session) after `ARMS="8192 8192-sgc" bash train.sh` (seed 1):
# the optional fourth size at the end of the 3000-step schedule, scored like eval-grid.sh (100 test
# utterances of the four voices, decoded from the codes, pocketsphinx), then claims 1-3 at seed 1 over all four
# pairs (65536, 16384, 8192, 4096) and the 8192 comparisons; the report of every codec of both seeds -> grid3/.
set -e
R=exp/voices4/report-long
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
OUT=docs/results/codebook-four-voices-long-2026-12-02
ready() { for n in "$@"; do [ -d $C/$n/final ] || return 1; done; }
score() {  # codec name, report folder: one compare call on one core
  OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec $1=$C/$1/final --manifest $M \
    --max-utts 100 --out $2 --asr pocketsphinx --seed 0
}
until ready v4L-8192-s1 v4L-8192-sgc-s1; do sleep 30; done
rm -rf $R-b; score v4L-8192-s1 $R & score v4L-8192-sgc-s1 $R-b; wait
rm -rf $R/codec/v4L-8192-sgc-s1 && mv $R-b/codec/v4L-8192-sgc-s1 $R/codec/
OMP_NUM_THREADS=2 .venv/bin/python scripts/hidden_energy.py $C/v4L-8192-s1/final $C/v4L-8192-sgc-s1/final \
  --tap last_block --manifest $M --n 100 > $R/hidden_energy-8192.txt
SIZES="65536 16384 8192 4096"
NAMES="$(for z in $SIZES; do echo v4L-$z-s1 v4L-$z-sgc-s1; done) \
  $(for z in 65536 16384 4096; do echo v4L-$z-s2 v4L-$z-sgc-s2; done)"
G=exp/voices4/report-grid3
rm -rf $G && mkdir -p $G/codec && cp -r $R/ground_truth $G/ && for n in $NAMES; do cp -r $R/codec/$n $G/codec/; done
.venv/bin/python -m pipelines.evaluate compare $(for n in $NAMES; do echo --codec $n=$C/$n/final; done) \
  --manifest $M --max-utts 100 --out $G --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $G --runs $C \
  $(for z in $SIZES; do echo --pair v4L-$z-s1:v4L-$z-sgc-s1; done) \
  --reference v4L-65536-s1 --candidate v4L-16384-sgc-s1 --out $G/claims-grid-8192
# each comparison as BASE:OTHER arms at seed 1: paired WER, paired fidelity
COMPARISONS="8192:8192-sgc 16384:8192 8192:4096 65536:8192 65536:8192-sgc 16384-sgc:8192-sgc"
.venv/bin/python scripts/paired_wer.py $G $(for c in $COMPARISONS; do echo v4L-${c%:*}-s1:v4L-${c#*:}-s1; done) \
  > $G/paired_wer-8192.txt
for c in $COMPARISONS; do .venv/bin/python scripts/seed_pooled.py $G v4L-${c%:*}-s1:v4L-${c#*:}-s1; done \
  > $G/paired_fidelity-8192.jsonl
mkdir -p $OUT/grid3 && cp -r $G/claims-grid-8192 $G/report.md $G/results.json $G/*.png $G/paired_wer-8192.txt \
  $G/paired_fidelity-8192.jsonl $R/hidden_energy-8192.txt $OUT/grid3/
for n in v4L-8192-s1 v4L-8192-sgc-s1; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $G $M > $OUT/grid3/by_voice.md
.venv/bin/python $OUT/grid_table.py $G > $OUT/grid3/table.md
