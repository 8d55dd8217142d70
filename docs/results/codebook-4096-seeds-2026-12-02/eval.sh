#!/bin/bash
# run from the project root (2026-12-02, eighteenth session) after train.sh: the three new codecs added to the report
# of ../codebook-4096-2026-12-01 (its systems' results reused from the cache), then at seed 1 what eval.sh there
# measured at seed 0 — the claims with 4096 + SG and with plain 4096 against plain 16384 — and each effect pooled over
# the seeds that have it
set -e
R=exp/default/report-b4
C=exp/default/codec
OUT=docs/results/codebook-4096-seeds-2026-12-02
SYSTEMS="bq-16384 bq-4096 bq-4096-sgc bq-4096-s1 bq-16384-s1 bq-4096-sgc-s1 bq-4096-sgc-s2"
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  $(for n in $SYSTEMS; do echo --codec $n=$C/$n/final; done) \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
for candidate in bq-4096-sgc-s1 bq-4096-s1; do
  .venv/bin/python -m pipelines.claims --report $R --runs $C --pair bq-4096:bq-4096-sgc --pair bq-4096-s1:bq-4096-sgc-s1 \
    --reference bq-16384-s1 --candidate $candidate --out $R/claims-s1-$candidate
done
.venv/bin/python scripts/paired_wer.py $R bq-16384-s1:bq-4096-s1 bq-16384-s1:bq-4096-sgc-s1 bq-4096-s1:bq-4096-sgc-s1 \
  > $R/paired_wer-seeds.txt
.venv/bin/python scripts/hidden_energy.py $C/{bq-16384-s1,bq-4096-sgc-s1,bq-4096-sgc-s2}/final \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy-seeds.txt
# each effect per seed and pooled over the seeds: the codebook's cost without SG (16384 -> 4096), with SG (claim 3's
# comparison), SG's effect at 4096, and the seed-1 re-run of 16384 against seed 0 for scale
{
  .venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-4096 bq-16384-s1:bq-4096-s1
  .venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-4096-sgc bq-16384-s1:bq-4096-sgc-s1
  .venv/bin/python scripts/seed_pooled.py $R bq-4096:bq-4096-sgc bq-4096-s1:bq-4096-sgc-s1
  .venv/bin/python scripts/seed_pooled.py $R bq-16384:bq-16384-s1
} > $R/seed_pooled-seeds.jsonl
cp -r $R/claims-s1-bq-4096-sgc-s1 $R/claims-s1-bq-4096-s1 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer-seeds.txt $R/hidden_energy-seeds.txt $R/seed_pooled-seeds.jsonl $OUT/
for n in bq-16384-s1 bq-4096-sgc-s1 bq-4096-sgc-s2; do
  mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/
done
