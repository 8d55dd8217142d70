# run from the project root: rebuilds, from the bundled model alone, every corpus and token folder the bundle's LM
# was trained and evaluated on (exp/ is not committed; a fresh checkout has none of it). The bundled codec's path
# into the codes (encoder, fc_prior, the quantizer's norm and project_in) is stored in float32 (only the decoder side,
# project_out onwards, is float16), so its codes are those of exp/default/codec/req-16384/final: the tokens below
# are the ones the LM saw (checked on the stored dtypes, 2026-11-29). Run end to end 2026-11-29 16:13-17:19 UTC on the
# 2-core VM (the fortunes corpus's audio already there; rendering it takes ~7 min more): WordNet's text and audio
# ~12 min, the tokens 52 min (14 805 + 80 + 33 413 utterances, 0 skipped; 14.98 h + 24.60 h of codes). Then
# lm-train-on3.sh (`lm.train --init pipelines/default_model/lm`) continues the bundled LM (its weights stored in float16).
set -euo pipefail
py=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
$py -m pipelines.corpus synth --out exp/default/data --voices slt --max-utts 14985 --seed 0 \
  --dev-fraction 0.01 --test-fraction 0.0125 --held-out-of 8000                # 14805 / 80 / 100
$py -m pipelines.corpus synth --out exp/default/unseen --voices slt --max-utts 40 \
  --text recipes/data/unseen_sentences.txt --dev-fraction 0 --test-fraction 1 --seed 0
$py -m pipelines.corpus synth --out exp/default/unseen2 --voices slt --max-utts 60 \
  --text recipes/data/unseen_sentences_2.txt --dev-fraction 0 --test-fraction 1 --seed 0
[ -f exp/default/wordnet/wordnet_examples.txt ] || $py -m pipelines.corpus wordnet-text \
  --out exp/default/wordnet/wordnet_examples.txt --held-out exp/default/data/dev.jsonl exp/default/data/test.jsonl \
  recipes/data/unseen_sentences.txt recipes/data/unseen_sentences_2.txt --known exp/default/data/train.jsonl
$py -m pipelines.corpus synth --out exp/default/data-wn --voices slt \
  --text exp/default/wordnet/wordnet_examples.txt --dev-fraction 0 --test-fraction 0 --seed 0   # 33 413
for split in train dev; do
  $py -m lm.extract --codec pipelines/default_model/codec --manifest exp/default/data/$split.jsonl \
    --out exp/default/tokens/req16384-big/$split --batch-size 8
done
$py -m lm.extract --codec pipelines/default_model/codec --manifest exp/default/data-wn/train.jsonl \
  --out exp/default/tokens/req16384-wn/train --batch-size 8
