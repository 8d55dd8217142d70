#!/bin/bash
# run from the project root (2026-12-03, twenty-sixth session) after the seed-2 runs of the 4096 pair and 65536 + SG
# (train.sh's header says how they ran): the grid's second seed at the end of the 3000-step schedule,
# scored like eval-grid.sh (100 test utterances of the four voices, decoded from the codes, pocketsphinx), then the
# paired differences pooled over seeds 1 and 2 for every pair the issue asks about.
#   bash eval-grid-s2.sh 4096   the 4096 pair at seed 2: scores and hidden energy
#   bash eval-grid-s2.sh all    65536 + SG at seed 2, then claims 1-3 at seed 2 and the two-seed pooled differences
# (each stage ends with the two-seed report of every codec scored so far, in exp/voices4/report-grid2 -> grid2/)
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
hidden() {  # report file, codec names: hidden energy at the decoder's last block on the same 100 utterances
  out=$1; shift
  OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py $(for n in "$@"; do echo $C/$n/final; done) \
    --tap last_block --manifest $M --n 100 > $out
}
if [ "$1" = 4096 ]; then
  until ready v4L-4096-s2 v4L-4096-sgc-s2; do sleep 30; done
  rm -rf $R-b; score v4L-4096-s2 $R & score v4L-4096-sgc-s2 $R-b; wait
  rm -rf $R/codec/v4L-4096-sgc-s2 && mv $R-b/codec/v4L-4096-sgc-s2 $R/codec/
  hidden $R/hidden_energy-4096-s2.txt v4L-4096-s2 v4L-4096-sgc-s2
  ARMS="65536 16384 16384-sgc 4096 4096-sgc"
  SG_SIZES="16384 4096"
else
  until ready v4L-65536-sgc-s2; do sleep 30; done
  score v4L-65536-sgc-s2 $R
  hidden $R/hidden_energy-65536-sgc-s2.txt v4L-65536-sgc-s2
  ARMS="65536 65536-sgc 16384 16384-sgc 4096 4096-sgc"
  SG_SIZES="65536 16384 4096"
fi
NAMES=$(for s in 1 2; do for a in $ARMS; do echo v4L-$a-s$s; done; done)
G=exp/voices4/report-grid2
rm -rf $G && mkdir -p $G/codec && cp -r $R/ground_truth $G/ && for n in $NAMES; do cp -r $R/codec/$n $G/codec/; done
.venv/bin/python -m pipelines.evaluate compare $(for n in $NAMES; do echo --codec $n=$C/$n/final; done) \
  --manifest $M --max-utts 100 --out $G --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $G --runs $C \
  $(for z in $SG_SIZES; do echo --pair v4L-$z-s2:v4L-$z-sgc-s2; done) \
  --reference v4L-65536-s2 --candidate v4L-16384-sgc-s2 --out $G/claims-grid-s2
# each comparison as BASE:OTHER arms; paired WER seed by seed, paired fidelity seed by seed and pooled
COMPARISONS="$(for z in $SG_SIZES; do echo $z:$z-sgc; done) 16384:4096 65536:4096 65536:16384-sgc 65536:4096-sgc"
for c in $COMPARISONS; do
  .venv/bin/python scripts/paired_wer.py $G v4L-${c%:*}-s1:v4L-${c#*:}-s1 v4L-${c%:*}-s2:v4L-${c#*:}-s2
done > $G/paired_wer-grid2.txt
for c in $COMPARISONS; do
  .venv/bin/python scripts/seed_pooled.py $G v4L-${c%:*}-s1:v4L-${c#*:}-s1 v4L-${c%:*}-s2:v4L-${c#*:}-s2
done > $G/seed_pooled-grid2.jsonl
for c in $COMPARISONS 65536:16384; do  # WER pooled over the seeds (added in the twenty-seventh session, after `all`)
  .venv/bin/python scripts/seed_pooled.py $G v4L-${c%:*}-s1:v4L-${c#*:}-s1 v4L-${c%:*}-s2:v4L-${c#*:}-s2 --metric wer
done > $G/seed_pooled_wer-grid2.jsonl
mkdir -p $OUT/grid2 && cp -r $G/claims-grid-s2 $G/report.md $G/results.json $G/*.png $G/paired_wer-grid2.txt \
  $G/seed_pooled-grid2.jsonl $G/seed_pooled_wer-grid2.jsonl $R/hidden_energy-*-s2.txt $OUT/grid2/
for n in $NAMES; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $G $M > $OUT/grid2/by_voice.md
.venv/bin/python $OUT/grid_table.py $G > $OUT/grid2/table.md
