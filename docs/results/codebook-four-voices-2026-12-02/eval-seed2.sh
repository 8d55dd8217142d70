#!/bin/bash
# run from the project root (2026-12-02, twenty-second session) after train-more.sh (seed 2 of the three arms,
# stopped at their step-1250 checkpoints like seed 1): the same evaluation as eval.sh (100 test utterances of the
# four voices, decoded from the codes), claims 1-3 at seed 2, and the paired differences pooled over seeds 1 and 2.
set -e
R=exp/voices4/report
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
OUT=docs/results/codebook-four-voices-2026-12-02
S2="v4-65536-s2 v4-16384-s2 v4-16384-sgc-s2"
for n in $S2; do
  [ -d $C/$n/at_1250 ] || .venv/bin/python -m codec.export $C/$n/checkpoints/step_00001250 $C/$n/at_1250
done
# the per-codec results by two compare calls side by side (one core each): the
# plain arms into $R, the SG arm into exp/voices4/report-s2sg (its codec/ folder then moved into $R/codec/), then the
# seed-2 hidden energy
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4-65536-s2=$C/v4-65536-s2/at_1250 \
  --codec v4-16384-s2=$C/v4-16384-s2/at_1250 --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0 &
(OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4-16384-sgc-s2=$C/v4-16384-sgc-s2/at_1250 \
  --manifest $M --max-utts 100 --out exp/voices4/report-s2sg --asr pocketsphinx --seed 0
 OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py $(for n in $S2; do echo $C/$n/at_1250; done) \
  --tap last_block --manifest $M --n 100 > exp/voices4/hidden_energy-s2.txt) &
wait
rm -rf $R/codec/v4-16384-sgc-s2 && mv exp/voices4/report-s2sg/codec/v4-16384-sgc-s2 $R/codec/
# the whole report again from the cached per-codec results (start, seeds 1 and 2)
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in v4-65536-s1 v4-16384-s1 v4-16384-sgc-s1 $S2; do echo --codec $n=$C/$n/at_1250; done) \
  --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair v4-16384-s2:v4-16384-sgc-s2 \
  --reference v4-65536-s2 --candidate v4-16384-sgc-s2 --out $R/claims-s2
.venv/bin/python scripts/paired_wer.py $R v4-65536-s2:v4-16384-s2 v4-65536-s2:v4-16384-sgc-s2 \
  v4-16384-s2:v4-16384-sgc-s2 > $R/paired_wer-s2.txt
cp exp/voices4/hidden_energy-s2.txt $R/
cp -r $R/claims-s2 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-s2.txt $R/hidden_energy-s2.txt $OUT/
for n in $S2; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $R $M > $OUT/by_voice.md
# paired PESQ-WB / PESQ-NB / STOI differences, seed by seed and pooled over seeds 1 and 2
for pairs in "v4-65536-s1:v4-16384-sgc-s1 v4-65536-s2:v4-16384-sgc-s2" "v4-65536-s1:v4-16384-s1 v4-65536-s2:v4-16384-s2" \
             "v4-16384-s1:v4-16384-sgc-s1 v4-16384-s2:v4-16384-sgc-s2"; do
  .venv/bin/python scripts/seed_pooled.py $R $pairs
done > $OUT/seed_pooled.jsonl
