#!/bin/bash
# run from the project root (2026-12-02, twenty-second session) after train-more.sh's 4096 pair (seed 1, stopped at
# the step-1250 checkpoints) and eval-seed2.sh: the pair scored like the others; claims 1 and 2 over the 4096 and
# 16384 pairs of seed 1 (claim 2's "more for smaller codebooks"); paired WER and fidelity of the 4096 arms.
set -e
R=exp/voices4/report
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
OUT=docs/results/codebook-four-voices-2026-12-02
P="v4-4096-s1 v4-4096-sgc-s1"
for n in $P; do
  [ -d $C/$n/at_1250 ] || .venv/bin/python -m codec.export $C/$n/checkpoints/step_00001250 $C/$n/at_1250
done
# one compare call per codec, side by side (one core each), the second into exp/voices4/report-4096sg and moved
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4-4096-s1=$C/v4-4096-s1/at_1250 \
  --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0 &
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4-4096-sgc-s1=$C/v4-4096-sgc-s1/at_1250 \
  --manifest $M --max-utts 100 --out exp/voices4/report-4096sg --asr pocketsphinx --seed 0 &
wait
rm -rf $R/codec/v4-4096-sgc-s1 && mv exp/voices4/report-4096sg/codec/v4-4096-sgc-s1 $R/codec/
OMP_NUM_THREADS=2 .venv/bin/python scripts/hidden_energy.py $C/v4-4096-s1/at_1250 $C/v4-4096-sgc-s1/at_1250 \
  --tap last_block --manifest $M --n 100 > $R/hidden_energy-4096.txt
# the whole report again from the cached per-codec results
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in v4-65536-s1 v4-16384-s1 v4-16384-sgc-s1 v4-65536-s2 v4-16384-s2 v4-16384-sgc-s2 $P; do
      echo --codec $n=$C/$n/at_1250; done) \
  --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair v4-4096-s1:v4-4096-sgc-s1 \
  --pair v4-16384-s1:v4-16384-sgc-s1 --reference v4-65536-s1 --candidate v4-4096-sgc-s1 --out $R/claims-grid-s1
.venv/bin/python scripts/paired_wer.py $R v4-4096-s1:v4-4096-sgc-s1 v4-65536-s1:v4-4096-s1 \
  v4-16384-s1:v4-4096-s1 > $R/paired_wer-4096.txt
cp -r $R/claims-grid-s1 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-4096.txt $R/hidden_energy-4096.txt $OUT/
for n in $P; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $R $M > $OUT/by_voice.md
for pair in v4-4096-s1:v4-4096-sgc-s1 v4-16384-s1:v4-4096-s1 v4-65536-s1:v4-4096-s1 v4-65536-s1:v4-4096-sgc-s1; do
  .venv/bin/python scripts/seed_pooled.py $R $pair
done > $OUT/paired_fidelity-4096.jsonl
