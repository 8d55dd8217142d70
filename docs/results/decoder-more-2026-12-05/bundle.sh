#!/bin/bash
# The bundled model with a train.sh arm's decoder (ARM=lr3e-4, as run): packaged exactly as the bundle (LM weights
# unchanged: the bundle's own, float16; bf16 compute where faster; temperature 0.2), judged as TTS beside the bundle
# on the test split (100), the unseen sentences (40 + 60) and dev (80), timed, carded with the earlier card's codec
# and LM history, and installed into pipelines/default_model with INSTALL=1 (a second run: the judging is cached).
# Run from the repository root after eval.sh.
set -euo pipefail
P=.venv/bin/python
ARM=${ARM:-lr3e-4}
NEW=${NEW:-req16384on2-t0.2-dec18k}
OLD=req16384on2-t0.2
T=exp/decoder-more/tts
export OMP_NUM_THREADS=2
mkdir -p $T
# the bundle as it was before this run (eval.sh takes it from git), beside the new one
[ -d $T/$OLD ] || { echo "no $T/$OLD: run eval.sh first (it restores the earlier bundle)" >&2; exit 2; }
# packaged once: a new package would be newer than the judged results below and have them measured again
[ -d $T/$NEW ] || $P -m pipelines.package --codec exp/decoder-more/$ARM/final --lm $T/$OLD/lm --out $T/$NEW \
  --head-dtype bfloat16 --layer-dtype bfloat16 --lm-dtype float16 --codec-decoder-dtype float16 --temperature 0.2
for set in test:exp/default/data/test.jsonl:100 unseen:exp/default/unseen/test.jsonl:40 \
           unseen2:exp/default/unseen2/test.jsonl:60 dev:exp/default/data/dev.jsonl:80; do
  IFS=: read name manifest n <<< "$set"
  $P -m pipelines.evaluate compare --tts $OLD=$T/$OLD --tts $NEW=$T/$NEW --manifest $manifest --max-utts $n \
    --seed 0 --asr pocketsphinx --out $T/report-$name > $T/report-$name.log 2>&1
done
$P scripts/paired_wer.py --folder tts $T/report-test $OLD:$NEW > $T/paired_tts_wer.txt
$P scripts/paired_wer.py --folder tts $T/report-unseen $OLD:$NEW --pool $T/report-unseen2 >> $T/paired_tts_wer.txt
$P scripts/paired_wer.py --folder tts $T/report-test $OLD:$NEW --pool $T/report-unseen --pool $T/report-unseen2 \
  --pool $T/report-dev >> $T/paired_tts_wer.txt
[ -f $T/tts-speed.jsonl ] || \
  $P -m benchmarks tts --device cpu --pipeline $T/$NEW --natural --repeats 5 --warmup 1 --out $T/tts-speed.jsonl
R=()
while IFS= read -r line; do R+=(--reproduce "$line"); done <<'LINES'
# The codec: the earlier bundle's (the runs above up to req-16384: a 6-block decoder over the frozen tokenizer of
# a tiny 16384 codec, then the whole codec trained on with a fresh 16384 quantizer), its decoder trained on over
# the frozen codes: 8000 steps at LR 1e-4 (docs/results/cepstral-2026-12-04/train.sh, arm mel) and 10 000 more at
# LR 3e-4 (docs/results/decoder-more-2026-12-05/train.sh, ARM=lr3e-4 LR=3e-4), mel loss only, cosine, batch 8 x 1 s,
# the 15 h fortunes corpus; its decoder side stored in float16 (pipelines.package --codec-decoder-dtype).
# The LM: the earlier bundle's, unchanged (the tokenizer was frozen, so its codes mean the same): the tiny preset
# on 15 h of fortunes, then with 24.5 h of WordNet example sentences, carried onto the 16384 codec's codes
# (lm.train --init-new-codec) and trained on; docs/RESULTS.md ('The trio's best codec under the default LM',
# 2026-11-29) has its commands. Packaging, judging, card: docs/results/decoder-more-2026-12-05/bundle.sh.
LINES
D=docs/results/decoder-more-2026-12-05/bundle
mkdir -p $D
for set in test unseen unseen2 dev; do
  cp $T/report-$set/report.md $D/report-$set.md
  cp $T/report-$set/results.json $D/results-$set.json
done
cp $T/paired_tts_wer.txt $T/tts-speed.jsonl $D/
install=()
[ "${INSTALL:-0}" = 1 ] && install=(--install pipelines/default_model)
$P -m pipelines.model_card --model $T/$NEW --name $NEW --report $T/report-test --unseen-report $T/report-unseen \
  --benchmark $T/tts-speed.jsonl --codec-card $T/$OLD --lm-card $T/$OLD --codec-run exp/cepstral/mel \
  --codec-run exp/decoder-more/$ARM "${R[@]}" "${install[@]}"
