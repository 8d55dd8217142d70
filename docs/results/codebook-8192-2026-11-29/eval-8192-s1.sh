# run from the project root (2026-11-29, fifteenth session): plain 8192 seed 1 beside the other arms (cached results reused)
set -e
R=exp/default/report-bq
.venv/bin/python -m pipelines.evaluate compare --codec start=pipelines/default_model/codec \
  --codec bq-16384=exp/default/codec/bq-16384/final --codec bq-16384-s1=exp/default/codec/bq-16384-s1/final \
  --codec bq-8192=exp/default/codec/bq-8192/final --codec bq-8192-sgc=exp/default/codec/bq-8192-sgc/final \
  --codec bq-8192-s1=exp/default/codec/bq-8192-s1/final \
  --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $R --runs exp/default/codec --pair bq-8192-s1:bq-8192-sgc \
  --reference bq-16384-s1 --candidate bq-8192-s1 --out $R/claims-s1-plain8192-s1
.venv/bin/python scripts/paired_wer.py $R bq-16384-s1:bq-8192-s1 bq-8192:bq-8192-s1 bq-8192-s1:bq-8192-sgc \
  > $R/paired_wer-8192-s1.txt
.venv/bin/python scripts/hidden_energy.py exp/default/codec/bq-8192-s1/final \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $R/hidden_energy-8192-s1.txt
