#!/bin/bash
# The bundled model with its LM's head and layer copies in float16 instead of bfloat16 (on an x86 CPU: packed for
# fbgemm, float32 arithmetic; lm.decoding.PackedFloat16), weights otherwise the bundle's own: packaged from the
# bundle's own codec and LM folders, judged as TTS beside the bundle as committed on the test split (100), the
# unseen sentences (40 + 60) and dev (80), timed, carded with the bundle's codec and LM history, and installed
# into pipelines/default_model with INSTALL=1 (a second run: the judging is cached).
# Run from the repository root; it renders the corpora it needs first (the default preset's fortunes corpus of
# its first 8000 sentences, whose dev and test splits are the default preset's: recipes/conf/default.sh).
set -euo pipefail
P=.venv/bin/python
NEW=${NEW:-req16384on2-t0.2-dec18k-fp16}
OLD=req16384on2-t0.2-dec18k
T=exp/fp16-packed/tts
export OMP_NUM_THREADS=2
mkdir -p $T
# the bundle as committed before this change, beside the new one
[ -d $T/$OLD ] || { mkdir -p $T/$OLD && git archive 18c284e pipelines/default_model | tar -x -C $T/$OLD \
  --strip-components=2; }
[ -d $T/$NEW ] || $P -m pipelines.package --codec $T/$OLD/codec --lm $T/$OLD/lm --out $T/$NEW \
  --head-dtype float16 --layer-dtype float16 --lm-dtype float16 --codec-decoder-dtype float16 --temperature 0.2
[ -f exp/default/data/test.jsonl ] || $P -m pipelines.corpus synth --out exp/default/data --voices slt \
  --max-utts 8000 --seed 0 --dev-fraction 0.01 --test-fraction 0.0125
for u in unseen:unseen_sentences.txt:40 unseen2:unseen_sentences_2.txt:60; do
  IFS=: read name text n <<< "$u"
  [ -f exp/default/$name/test.jsonl ] || $P -m pipelines.corpus synth --out exp/default/$name --voices slt \
    --max-utts $n --text recipes/data/$text --dev-fraction 0 --test-fraction 1 --seed 0 --replace-held-out
done
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
while IFS= read -r line; do R+=(--reproduce "$line"); done < <($P -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1]))["reproduce"]))' $T/$OLD/card.json)
R+=(--reproduce "# Its LM's projections in float16 (packed for fbgemm on x86 CPUs) instead of bfloat16: repackaged from the")
R+=(--reproduce "# bundle of 2026-12-05 with --head-dtype float16 --layer-dtype float16, judged and carded by")
R+=(--reproduce "# docs/results/fp16-packed-2026-12-07/bundle.sh.")
D=docs/results/fp16-packed-2026-12-07/bundle
mkdir -p $D
for set in test unseen unseen2 dev; do
  cp $T/report-$set/report.md $D/report-$set.md
  cp $T/report-$set/results.json $D/results-$set.json
done
cp $T/paired_tts_wer.txt $T/tts-speed.jsonl $D/
install=()
[ "${INSTALL:-0}" = 1 ] && install=(--install pipelines/default_model)
$P -m pipelines.model_card --model $T/$NEW --name $NEW --report $T/report-test --unseen-report $T/report-unseen \
  --benchmark $T/tts-speed.jsonl --codec-card $T/$OLD --lm-card $T/$OLD "${R[@]}" "${install[@]}"
