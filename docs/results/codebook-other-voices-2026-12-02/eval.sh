#!/bin/bash
# run from the project root (2026-12-02, twentieth session) after render.sh: the fine-tuned family (4096 and 16384 without
# and with SG, 65536 without, seeds 1 and 2; ../codebook-65536-2026-12-02 and ../codebook-65536-sg-2026-12-02)
# and the codec they started from, scored on the other voices; the claims at each seed; the codebook's cost and SG's
# effect over seeds 1 and 2 — do the one-voice findings hold on voices the codecs never heard?
# (decoded from the codes only. Two earlier starts were stopped for time, their per-codec caches kept: the first with
# --unquantized after three codecs, before any z_e decode; the second, this command over the whole grid, after two
# more; this final form then left out 65536 + SG)
set -e
R=exp/default/report-voices
C=exp/default/codec
OUT=docs/results/codebook-other-voices-2026-12-02
# 65536 + SG left out for time (each codec took ~9 min here beside three training runs); the rest of the grid:
SYSTEMS="bq-4096-s1 bq-4096-sgc-s1 bq-4096-s2 bq-4096-sgc-s2 bq-16384-s1 bq-16384-sgc-s1 bq-16384-s2 bq-16384-sgc-s2
  bq-65536-s1 bq-65536-s2"
OMP_NUM_THREADS=${THREADS:-1} .venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in $SYSTEMS; do echo --codec $n=$C/$n/final; done) \
  --manifest exp/default/othervoices/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
for s in 1 2; do
  .venv/bin/python -m pipelines.claims --report $R --runs $C \
    --pair bq-4096-s$s:bq-4096-sgc-s$s --pair bq-16384-s$s:bq-16384-sgc-s$s \
    --reference bq-65536-s$s --candidate bq-16384-sgc-s$s --out $R/claims-grid-s$s
done
.venv/bin/python scripts/paired_wer.py $R bq-65536-s1:bq-16384-s1 bq-65536-s2:bq-16384-s2 \
  bq-16384-s1:bq-16384-sgc-s1 bq-16384-s2:bq-16384-sgc-s2 > $R/paired_wer.txt
{
  for pairs in "bq-65536-s1:bq-16384-s1 bq-65536-s2:bq-16384-s2" "bq-65536-s1:bq-4096-s1 bq-65536-s2:bq-4096-s2" \
               "bq-65536-s1:bq-16384-sgc-s1 bq-65536-s2:bq-16384-sgc-s2"; do
    .venv/bin/python scripts/seed_pooled.py $R $pairs
  done
  for size in 4096 16384; do
    .venv/bin/python scripts/seed_pooled.py $R bq-$size-s1:bq-$size-sgc-s1 bq-$size-s2:bq-$size-sgc-s2
  done
} > $R/seed_pooled.jsonl
mkdir -p $OUT
cp -r $R/claims-grid-s{1,2} $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer.txt $R/seed_pooled.jsonl $OUT/
.venv/bin/python $OUT/by_voice.py $R exp/default/othervoices/data/test.jsonl > $OUT/by_voice.md
.venv/bin/python docs/results/codebook-65536-2026-12-02/plot_ladder.py $OUT/results.json \
  --title "The same codecs on three voices they never heard: PESQ-WB by codebook size"
