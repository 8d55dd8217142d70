#!/bin/bash
# The bundled default model re-timed under the LM code of 2026-12-07 (second session: q and k rotated in one piece,
# fewer dispatches per step, a leaner sampler) and re-carded. Its files (weights, pipeline.json)
# are unchanged, and so are the codes it samples: ab.py REV codes found every judged sentence's codes identical
# under the old and the new code (codes_ab.json), so the card's WER rows are the judging of
# docs/results/fp16-packed-2026-12-07/bundle.sh, read from its committed results files; only the speed record
# (tts-speed.jsonl here, `benchmarks tts --natural` on this code) is new. INSTALL=1 installs the card.
# Run from the repository root.
set -euo pipefail
P=.venv/bin/python
D=docs/results/lean-step-2026-12-07
B=docs/results/fp16-packed-2026-12-07/bundle
T=exp/lean-step
NAME=req16384on2-t0.2-dec18k-fp16
rm -rf $T && mkdir -p $T/model
cp -r pipelines/default_model/. $T/model/
for set in test unseen; do
  mkdir -p $T/report-$set && cp $B/results-$set.json $T/report-$set/results.json
done
[ -f $D/tts-speed.jsonl ] || OMP_NUM_THREADS=2 \
  $P -m benchmarks tts --device cpu --pipeline pipelines/default_model --natural --repeats 9 --warmup 1 --out $D/tts-speed.jsonl
R=()  # the card's lines as docs/results/fp16-packed-2026-12-07/bundle.sh wrote them (commit e4429c2), then ours
while IFS= read -r line; do R+=(--reproduce "$line"); done < <(git show e4429c2:pipelines/default_model/card.json \
  | $P -c 'import json, sys; print("\n".join(json.load(sys.stdin)["reproduce"]))')
R+=(--reproduce "# Re-timed under the LM code of 2026-12-07 (its codes unchanged; the WER rows are the judging above):")
R+=(--reproduce "# docs/results/lean-step-2026-12-07/recard.sh.")
install=()
[ "${INSTALL:-0}" = 1 ] && install=(--install pipelines/default_model)
$P -m pipelines.model_card --model $T/model --name $NAME --report $T/report-test --unseen-report $T/report-unseen \
  --benchmark $D/tts-speed.jsonl --codec-card pipelines/default_model --lm-card pipelines/default_model "${R[@]}" \
  "${install[@]}"
