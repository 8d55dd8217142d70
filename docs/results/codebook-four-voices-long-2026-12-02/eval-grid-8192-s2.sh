#!/bin/bash
# run from the project root (2026-12-03, twenty-eighth session) after `SEED=2 ARMS="8192 8192-sgc" bash train.sh`:
# the 8192 pair's second seed scored like eval-grid-8192.sh (100 test utterances of the four voices, decoded from the
# codes, pocketsphinx), then claims 1-3 at seed 2 over all four pairs, the 8192 comparisons seed by seed and pooled
# over seeds 1 and 2, and the report of all sixteen codecs (four sizes +- SG, two seeds) -> grid4/.
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
until ready v4L-8192-s2 v4L-8192-sgc-s2; do sleep 30; done
rm -rf $R-b; score v4L-8192-s2 $R & score v4L-8192-sgc-s2 $R-b; wait
rm -rf $R/codec/v4L-8192-sgc-s2 && mv $R-b/codec/v4L-8192-sgc-s2 $R/codec/
OMP_NUM_THREADS=2 .venv/bin/python scripts/hidden_energy.py $C/v4L-8192-s2/final $C/v4L-8192-sgc-s2/final \
  --tap last_block --manifest $M --n 100 > $R/hidden_energy-8192-s2.txt
SIZES="65536 16384 8192 4096"
NAMES=$(for s in 1 2; do for z in $SIZES; do echo v4L-$z-s$s v4L-$z-sgc-s$s; done; done)
G=exp/voices4/report-grid4
rm -rf $G && mkdir -p $G/codec && cp -r $R/ground_truth $G/ && for n in $NAMES; do cp -r $R/codec/$n $G/codec/; done
.venv/bin/python -m pipelines.evaluate compare $(for n in $NAMES; do echo --codec $n=$C/$n/final; done) \
  --manifest $M --max-utts 100 --out $G --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $G --runs $C \
  $(for z in $SIZES; do echo --pair v4L-$z-s2:v4L-$z-sgc-s2; done) \
  --reference v4L-65536-s2 --candidate v4L-16384-sgc-s2 --out $G/claims-grid-8192-s2
# each comparison as BASE:OTHER arms: paired WER seed by seed, fidelity and WER pooled over the two seeds
COMPARISONS="8192:8192-sgc 16384:8192 8192:4096 65536:8192 65536:8192-sgc 16384-sgc:8192-sgc"
pairs() { echo v4L-${1%:*}-s1:v4L-${1#*:}-s1 v4L-${1%:*}-s2:v4L-${1#*:}-s2; }
for c in $COMPARISONS; do .venv/bin/python scripts/paired_wer.py $G $(pairs $c); done > $G/paired_wer-8192-s2.txt
for c in $COMPARISONS; do .venv/bin/python scripts/seed_pooled.py $G $(pairs $c); done > $G/seed_pooled-8192.jsonl
for c in $COMPARISONS; do .venv/bin/python scripts/seed_pooled.py $G $(pairs $c) --metric wer; done \
  > $G/seed_pooled_wer-8192.jsonl
mkdir -p $OUT/grid4 && cp -r $G/claims-grid-8192-s2 $G/report.md $G/results.json $G/*.png $G/paired_wer-8192-s2.txt \
  $G/seed_pooled-8192.jsonl $G/seed_pooled_wer-8192.jsonl $R/hidden_energy-8192-s2.txt $OUT/grid4/
for n in v4L-8192-s2 v4L-8192-sgc-s2; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $G $M > $OUT/grid4/by_voice.md
.venv/bin/python $OUT/grid_table.py $G > $OUT/grid4/table.md
