#!/bin/bash
# run from the project root (2026-12-02, twenty-first session) after train.sh, whose three runs were stopped at their
# step-1250 checkpoints for the session's time (of 2000 planned: the LR had decayed to 0.39 of its peak, not to 0.1):
# the four-voice family at step 1250 and the codec it started from (the bundled one, trained on slt alone) on the
# four-voice corpus's test split (slt 28, rms 25, awb 24, kal16 23 utterances), decoded from the codes only (no z_e
# rows, for time); claims 1-3 at seed 1; paired WER; per-voice table; hidden energy (beside the compare, one core each)
set -e
R=exp/voices4/report
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
OUT=docs/results/codebook-four-voices-2026-12-02
SYSTEMS="v4-65536-s1 v4-16384-s1 v4-16384-sgc-s1"
for n in $SYSTEMS; do
  [ -d $C/$n/at_1250 ] || .venv/bin/python -m codec.export $C/$n/checkpoints/step_00001250 $C/$n/at_1250
done
# (run as: the per-codec results first by two compare calls side by side while the SG arm finished — start with the
# two plain arms into $R, the SG arm into exp/voices4/report-sg, its codec/ folder then moved into $R/codec/ — and the
# hidden energy beside them into exp/voices4/hidden_energy.txt; the lines below then reused all of it)
[ -s exp/voices4/hidden_energy.txt ] || OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py \
  $(for n in $SYSTEMS; do echo $C/$n/at_1250; done) --tap last_block --manifest $M --n 100 > exp/voices4/hidden_energy.txt &
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in $SYSTEMS; do echo --codec $n=$C/$n/at_1250; done) \
  --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0
wait
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair v4-16384-s1:v4-16384-sgc-s1 \
  --reference v4-65536-s1 --candidate v4-16384-sgc-s1 --out $R/claims
.venv/bin/python scripts/paired_wer.py $R start:v4-16384-s1 v4-65536-s1:v4-16384-s1 v4-65536-s1:v4-16384-sgc-s1 \
  v4-16384-s1:v4-16384-sgc-s1 > $R/paired_wer.txt
cp exp/voices4/hidden_energy.txt $R/hidden_energy.txt
cp -r $R/claims $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer.txt $R/hidden_energy.txt $OUT/
for n in $SYSTEMS; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $R $M > $OUT/by_voice.md
# paired PESQ-WB / PESQ-NB / STOI differences with bootstrap CIs (one seed each: "pooled" = that one pair)
for pair in v4-65536-s1:v4-16384-s1 v4-16384-s1:v4-16384-sgc-s1 start:v4-16384-s1; do
  .venv/bin/python scripts/seed_pooled.py $R $pair
done > $OUT/paired_fidelity.jsonl
