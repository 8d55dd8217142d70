#!/bin/bash
# run from the project root (2026-12-03, twenty-fifth session) after `ARMS="65536-sgc 4096 4096-sgc" bash train.sh`:
# the rest of the grid at the end of the 3000-step schedule, seed 1, scored like eval.sh (100 test utterances
# of the four voices, decoded from the codes, pocketsphinx).
#   bash eval-grid.sh 4096   the 4096 pair (plain, SG): scores, hidden energy, its step-1250 -> 3000 WER change
#   bash eval-grid.sh all    then 65536 + SG, and claims 1-3 over the three pairs 65536, 16384, 4096 (seed 1)
set -e
R=exp/voices4/report-long
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
OUT=docs/results/codebook-four-voices-long-2026-12-02
OLD=docs/results/codebook-four-voices-2026-12-02
ready() { for n in "$@"; do [ -d $C/$n/final ] || return 1; done; }
score() {  # codec name, report folder: one compare call on one core
  OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec $1=$C/$1/final --manifest $M \
    --max-utts 100 --out $2 --asr pocketsphinx --seed 0
}
if [ "$1" = 4096 ]; then
  until ready v4L-4096-s1 v4L-4096-sgc-s1; do sleep 30; done
  rm -rf $R-b; score v4L-4096-s1 $R & score v4L-4096-sgc-s1 $R-b; wait
  rm -rf $R/codec/v4L-4096-sgc-s1 && mv $R-b/codec/v4L-4096-sgc-s1 $R/codec/
  OMP_NUM_THREADS=2 .venv/bin/python scripts/hidden_energy.py $C/v4L-4096-s1/final $C/v4L-4096-sgc-s1/final \
    --tap last_block --manifest $M --n 100 > $R/hidden_energy-4096.txt
  NAMES="v4L-65536-s1 v4L-16384-s1 v4L-16384-sgc-s1 v4L-4096-s1 v4L-4096-sgc-s1"
  PAIRS="--pair v4L-16384-s1:v4L-16384-sgc-s1 --pair v4L-4096-s1:v4L-4096-sgc-s1"
else
  until ready v4L-65536-sgc-s1; do sleep 30; done
  score v4L-65536-sgc-s1 $R
  OMP_NUM_THREADS=2 .venv/bin/python scripts/hidden_energy.py $C/v4L-65536-sgc-s1/final \
    --tap last_block --manifest $M --n 100 > $R/hidden_energy-65536-sgc.txt
  NAMES="v4L-65536-s1 v4L-65536-sgc-s1 v4L-16384-s1 v4L-16384-sgc-s1 v4L-4096-s1 v4L-4096-sgc-s1"
  PAIRS="--pair v4L-65536-s1:v4L-65536-sgc-s1 --pair v4L-16384-s1:v4L-16384-sgc-s1 --pair v4L-4096-s1:v4L-4096-sgc-s1"
fi
# the seed-1 grid's report from the cached per-codec results (seed 2's report stays in report.md / results.json)
G=exp/voices4/report-grid
rm -rf $G && mkdir -p $G/codec && cp -r $R/ground_truth $G/ && for n in $NAMES; do cp -r $R/codec/$n $G/codec/; done
.venv/bin/python -m pipelines.evaluate compare $(for n in $NAMES; do echo --codec $n=$C/$n/final; done) \
  --manifest $M --max-utts 100 --out $G --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $G --runs $C $PAIRS --reference v4L-65536-s1 \
  --candidate v4L-16384-sgc-s1 --out $G/claims-grid
.venv/bin/python scripts/paired_wer.py $G v4L-65536-s1:v4L-4096-s1 v4L-16384-s1:v4L-4096-s1 \
  v4L-4096-s1:v4L-4096-sgc-s1 $( [ "$1" = 4096 ] || echo v4L-65536-s1:v4L-65536-sgc-s1 ) > $G/paired_wer-grid.txt
for pair in v4L-16384-s1:v4L-4096-s1 v4L-4096-s1:v4L-4096-sgc-s1 v4L-65536-s1:v4L-4096-sgc-s1 \
            $( [ "$1" = 4096 ] || echo v4L-65536-s1:v4L-65536-sgc-s1 ); do
  .venv/bin/python scripts/seed_pooled.py $G $pair
done > $G/paired_fidelity-grid.jsonl
# the 4096 pair at step 1250 (of 2000, ../codebook-four-voices-2026-12-02) against step 3000 (of 3000)
P=exp/voices4/wer-1250-vs-3000-4096
rm -rf $P && .venv/bin/python $OUT/wer_rows.py $P $OLD/results.json:v4-4096-s1,v4-4096-sgc-s1 \
  $G/results.json:v4L-4096-s1,v4L-4096-sgc-s1
.venv/bin/python scripts/paired_wer.py $P v4-4096-s1:v4L-4096-s1 v4-4096-sgc-s1:v4L-4096-sgc-s1 \
  > $G/paired_wer-1250-vs-3000-4096.txt
mkdir -p $OUT/grid && cp -r $G/claims-grid $G/report.md $G/results.json $G/*.png $G/paired_*-grid.jsonl \
  $G/paired_wer-*.txt $R/hidden_energy-*.txt $OUT/grid/
for n in $NAMES; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $G $M > $OUT/grid/by_voice.md
