#!/usr/bin/env bash
# Issue 7 on one GPU (2026-12-04): TTS across codebook sizes, from codec training to synthesised codes.
#   1. the default model's slt corpus (14 805 / 80 / 100 fortunes sentences) and the 40 + 60 unseen sentences,
#      rendered here exactly as on the CPU machine (docs/GPU.md);
#   2. three codecs side by side, the grid's recipe (docs/RESULTS.md, issue 6): each starts from the bundled 16384
#      codec with a fresh quantizer at its size - 65536, 16384, 16384 + centered SG (lambda 5, last block) - same
#      seed, data, batch, steps, mel loss only;
#   3. each codec tokenizes the corpus; 4. the same LM on each codec's tokens, all starting alike from the bundled
#      LM (`--init-new-codec`: transformer and text rows kept, the speech rows fresh at the arm's size);
#   5. each LM packaged with its codec (temperature 0.2, as the bundle) synthesises the test and unseen sentences
#      (`pipelines.evaluate compare --asr none --device cuda`: the codes are kept), and lm.score rates every LM in
#      bits per second of audio on the test split beside its codes' unigram floor.
# The ASR judging runs on the CPU machine afterwards, from the kept codes and the returned codecs
# (`compare --tts-codes`; docs/results/tts-codebooks-2026-12-04/eval.sh), since the LMs at 65536 codes are too large
# to send back (at most 64 MiB return from a call).
# Prepare here: scripts/gpu/prepare.sh; render the corpus (eval.sh's header) and record the phonemes:
#   python scripts/gpu/phoneme_table.py record --tokenizer pipelines/default_model/lm \
#     $(for m in data/train data/dev data/test unseen/test unseen2/test; do echo --manifest exp/default/$m.jsonl; done) \
#     --out .gpu/phonemes.json --cache .gpu/cache          # ~3 min; 2.4 MB + 4.6 MB
# Then move docs/results out of what travels (the tree must stay under 64 MiB with what it carries):
#   git rm -r -q --cached docs/results && echo /docs/results/ >> .git/info/exclude   (undo: git reset -q -- docs/results)
# Two device calls, the second within the machine's 30 s of warmth, both carrying .whl-gpu .debs .gpu:
#   STAGE=train SGSPEECH_WHEELS=.whl-gpu bash scripts/gpu/tts_codebooks.sh     (~430 s)
#   STAGE=speak SGSPEECH_WHEELS=.whl-gpu bash scripts/gpu/tts_codebooks.sh     (~250 s)
# Measured on the H200 2026-12-04 (one call then, which ran out of its 600 s in the synthesis; docs/results/
# tts-codebooks-2026-12-04/README.md): env 26 s, corpus 138 s, codecs 127 s (800 steps side by side, 7.4-8.0
# steps/s each), tokens 95 s, LMs ~20 s of start + ~10 steps/s each (16384) and ~8 (65536), packaging 20 s each,
# synthesis of 200 sentences per arm ~150 s with the three sets side by side.
# Returns under $OUT: session.log, results.tar (logs, reports with the codes, LM scores, dev evaluations),
# bench.jsonl (issue 8, if time was left) and codecs.tar.part-* (the three packaged codecs, 15 MB parts).
# A local dry run on the CPU (tiny step counts; DATA: a few lines of each rendered manifest): OUT=/tmp/o DEVICE=cpu \
#   DATA=exp/dry/data CODEC_STEPS=2 LM_STEPS=2 CODEC_BATCH=2 LM_TOKENS=1024 MAX_UTTS=2 PY=.venv/bin/python \
#   bash scripts/gpu/tts_codebooks.sh
set -uo pipefail
t0=$SECONDS
DEVICE=${DEVICE:-cuda} PY=${PY:-python3}
CODEC_STEPS=${CODEC_STEPS:-800} CODEC_BATCH=${CODEC_BATCH:-32} CODEC_LR=${CODEC_LR:-2e-4}
LM_STEPS=${LM_STEPS:-800} LM_TOKENS=${LM_TOKENS:-16384} LM_LR=${LM_LR:-7e-4} MAX_UTTS=${MAX_UTTS:-100}
LM_JUDGE_STEP=${LM_JUDGE_STEP:-400} LM_DEADLINE_S=${LM_DEADLINE_S:-560} BENCH_END_S=${BENCH_END_S:-565}
STAGE=${STAGE:-all}  # train (stages 1-4), speak (5-7, on the same warm machine after train), or all
CODEC_SEED=${CODEC_SEED:-1} LM_SEED=${LM_SEED:-0}  # 2026-12-04: 1 and 0; another pair is a replicate of the comparison
# a replicate starts where 2026-12-04's run did, from the bundle of 2026-11-29 (its codec replaced 2026-12-05 by
# commit f1581ac; the LM is unchanged): for those calls `git checkout f1581ac^ -- pipelines/default_model/codec`,
# afterwards `git checkout HEAD -- pipelines/default_model/codec`
WORK=${WORK:-exp/gpu7}
ARMS=("65536:--no-sg" "16384:--no-sg" "16384-sgc:--sg --sg-weight 5 --sg-loss centered --sg-tap last_block")
mkdir -p "$OUT" "$WORK/logs"
log() { echo "[$((SECONDS - t0)) s] $*" | tee -a "$OUT/session.log"; }
if [ "$DEVICE" = cuda ]; then
  source scripts/gpu/env.sh || { echo "env.sh failed" >&2; exit 1; }
  log "env ready; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
fi
# the LM's phoneme input: espeak-ng's answers recorded on the CPU machine, played back here (phoneme_table.py)
mkdir -p /tmp/shim && printf '#!/bin/sh\nexec %s -S %s/scripts/gpu/phoneme_table.py play "$@"\n' "$(command -v "$PY")" \
  "$PWD" >/tmp/shim/espeak-ng && chmod +x /tmp/shim/espeak-ng
# and the phoneme cache filled from that table (record --cache): whole corpora answered without a stand-in call each
rm -rf /tmp/sgcache && cp -r .gpu/cache /tmp/sgcache
export PATH="/tmp/shim:$PATH" SGSPEECH_PHONEME_TABLE="$PWD/.gpu/phonemes.json" SGSPEECH_CACHE_DIR=/tmp/sgcache
v=$($PY -c 'import torch, transformers, codec.train, lm.train, pipelines.evaluate
print("torch", torch.__version__, "transformers", transformers.__version__)' 2>&1) || { log "imports failed: $v"; exit 1; }
log "$v; CODEC_STEPS=$CODEC_STEPS x $CODEC_BATCH LR $CODEC_LR; LM_STEPS=$LM_STEPS x $LM_TOKENS LR $LM_LR"

data=${DATA:-exp/default/data}
if [ "$STAGE" != speak ]; then
# 1. the corpus (skipped where it is already there: the dry run)
if [ ! -f $data/train.jsonl ]; then
  $PY -m pipelines.corpus synth --out $data --voices slt --max-utts 14985 --seed 0 --dev-fraction 0.01 \
    --test-fraction 0.0125 --held-out-of 8000 --workers 16 >"$WORK/logs/corpus.log" 2>&1
  $PY -m pipelines.corpus synth --out exp/default/unseen --voices slt --max-utts 40 \
    --text recipes/data/unseen_sentences.txt --dev-fraction 0 --test-fraction 1 --seed 0 >>"$WORK/logs/corpus.log" 2>&1
  $PY -m pipelines.corpus synth --out exp/default/unseen2 --voices slt --max-utts 60 \
    --text recipes/data/unseen_sentences_2.txt --dev-fraction 0 --test-fraction 1 --seed 0 >>"$WORK/logs/corpus.log" 2>&1
fi
log "corpus: $(wc -l <$data/train.jsonl) / $(wc -l <$data/dev.jsonl) / $(wc -l <$data/test.jsonl) utterances"

# 2. the three codecs side by side
pids=()
for arm in "${ARMS[@]}"; do
  name=${arm%%:*} flags=${arm#*:}
  [ -d "$WORK/codec/$name/final" ] && continue  # a rerun on the same machine: trained already
  # shellcheck disable=SC2086
  $PY -m codec.train --init-from pipelines/default_model/codec --codebook-size "${name%%-*}" $flags --seed "$CODEC_SEED" \
    --train-manifest $data/train.jsonl --dev-manifest $data/dev.jsonl --out "$WORK/codec/$name" \
    --steps "$CODEC_STEPS" --batch-size "$CODEC_BATCH" --segment-seconds 1.0 --lr "$CODEC_LR" --warmup-steps $((CODEC_STEPS > 50 ? 50 : 1)) \
    --adv-start-step "$CODEC_STEPS" --save-every 500 --keep-last 1 --eval-every "$CODEC_STEPS" \
    $([ "$DEVICE" = cpu ] && echo --cpu) >"$WORK/logs/codec-$name.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || log "a codec run failed (exit $?)"; done
log "codecs: $(for a in "${ARMS[@]}"; do n=${a%%:*}; [ -d $WORK/codec/$n/final ] && echo -n "$n ok " || echo -n "$n MISSING "; done)"

# 3. tokens, every arm at once
pids=()
for arm in "${ARMS[@]}"; do
  name=${arm%%:*}
  (for split in dev test train; do
     $PY -m lm.extract --codec "$WORK/codec/$name/final" --manifest $data/$split.jsonl \
       --out "$WORK/tokens/$name/$split" --batch-size 32 --workers 4 --device "$DEVICE" || exit 1
   done) >"$WORK/logs/tokens-$name.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || log "a token extraction failed (exit $?)"; done
log "tokens done"

# 4. the same LM on each codec's tokens
pids=()
for arm in "${ARMS[@]}"; do
  name=${arm%%:*} T=$WORK/tokens/${arm%%:*}
  $PY -m lm.train --preset tiny --tokens "$T/train" --dev-tokens "$T/dev" --init pipelines/default_model/lm \
    --init-new-codec --out "$WORK/lm/$name" --steps "$LM_STEPS" --batch-tokens "$LM_TOKENS" --lr "$LM_LR" --seed "$LM_SEED" \
    --warmup-steps $((LM_STEPS > 100 ? 100 : 1)) --eval-every 200 --save-every 400 --keep-last 1 >"$WORK/logs/lm-$name.log" 2>&1 &
  pids+=($!)
done
# the arms are judged at LM_JUDGE_STEP of the LM_STEPS cosine: stopped once each has evaluated that step (SIGTERM
# saves the step under way; best/ holds the step's model while the dev loss still falls, as it did), or at
# LM_DEADLINE_S, whichever first; a stop is logged
judged() { for n in "$@"; do grep -q "\"step\": $LM_JUDGE_STEP," "$WORK/lm/$n/best/best.json" 2>/dev/null || return 1; done; }
names=$(for a in "${ARMS[@]}"; do echo "${a%%:*}"; done)
# shellcheck disable=SC2086
while [ $((SECONDS - t0)) -lt "$LM_DEADLINE_S" ] && kill -0 "${pids[@]}" 2>/dev/null && ! judged $names; do sleep 1; done
kill -0 "${pids[@]}" 2>/dev/null && log "stopping the LM runs still going" && kill -TERM "${pids[@]}" 2>/dev/null
for p in "${pids[@]}"; do wait "$p" || log "an LM run ended with exit $?"; done
log "LMs: $(for a in "${ARMS[@]}"; do n=${a%%:*}; echo -n "$n: "; tr '\r' '\n' <"$WORK/logs/lm-$n.log" \
  | grep "dev loss" | tail -n 1; done)"
[ "$STAGE" = train ] && exit 0
fi  # stage train

# 5. package, synthesise (codes kept, no judge here), score
pids=()
for arm in "${ARMS[@]}"; do
  name=${arm%%:*}
  lm_dir=$WORK/lm/$name/final
  [ -d "$lm_dir" ] || { lm_dir=$WORK/lm/$name/best; log "$name: packaging best/ ($(tr -d ' \n' <$lm_dir/best.json))"; }
  $PY -m pipelines.package --codec "$WORK/codec/$name/final" --lm "$lm_dir" --out "$WORK/tts/$name" \
    --temperature 0.2 --codec-decoder-dtype float16 >"$WORK/logs/package-$name.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || log "a packaging failed (exit $?)"; done
tts=$(for a in "${ARMS[@]}"; do n=${a%%:*}; echo --tts "dn-$n=$WORK/tts/$n"; done)
pids=()
for set in data unseen unseen2; do
  manifest=exp/default/$set/test.jsonl; [ $set = data ] && manifest=$data/test.jsonl
  # shellcheck disable=SC2086
  $PY -m pipelines.evaluate compare $tts --manifest "$manifest" --max-utts "$MAX_UTTS" --seed 0 \
    --asr none --device "$DEVICE" --out "$WORK/report-$set" >"$WORK/logs/synth-$set.log" 2>&1 &
  pids+=($!)
done
# shellcheck disable=SC2046
$PY -m lm.score $(for a in "${ARMS[@]}"; do n=${a%%:*} T=$WORK/tokens/${a%%:*}
    echo --lm "$n=$WORK/tts/$n/lm:$T/test" --unigram "$n-unigram=$T/train:$T/test"; done) \
  --reference 65536 --out "$WORK/lm_score" >"$WORK/logs/lm_score.log" 2>&1 || log "lm.score failed"
for p in "${pids[@]}"; do wait "$p" || log "a synthesis run failed (exit $?)"; done
log "synthesis: $(ls $WORK/report-*/tts/*/codes.safetensors 2>/dev/null | wc -l) of 9 code files"

# 6. issue 8, on the now quiet GPU while the call has time: LM `small` training at 8x the benchmark's tokens per step
#    (is its 9.9 % MFU launch-bound?), then compiled; the xcodec2 step at the GPU recipes' batch 32 (the SG overhead
#    where the step is device-bound)
bench() {  # seconds it may take, then the benchmark's arguments
  local left=$((BENCH_END_S - (SECONDS - t0))); [ "$left" -gt "$1" ] || { log "no time for benchmarks ${*:2}"; return; }
  timeout "$left" $PY -m benchmarks "${@:2}" --device "$DEVICE" --out "$OUT/bench.jsonl" >>"$WORK/logs/bench.log" 2>&1
  log "benchmarks ${*:2}: exit $? ($(grep -E "MFU|s/step" "$WORK/logs/bench.log" | tail -n 2 | tr '\n' ' '))"
}
if [ "$DEVICE" = cuda ]; then
  bench 40 lm-train --presets small --batch-tokens 65536 --repeats 5 --warmup 2
  bench 35 codec-train --presets xcodec2 --train-batch 32 --repeats 5 --warmup 2
  bench 60 lm-train --presets small --batch-tokens 65536 --repeats 5 --warmup 2 --compile
fi

# 7. send back: the codecs whole (the codes are theirs), everything else small
tar -cf "$OUT/results.tar" --exclude='samples' --exclude='*.safetensors.tmp' "$WORK/logs" "$WORK/lm_score" \
  "$WORK"/report-* "$WORK"/lm/*/best/best.json "$WORK"/lm/*/train_config.json "$WORK"/codec/*/eval \
  "$WORK"/codec/*/final/config.json "$WORK"/tokens/*/*/tokens.json 2>>"$OUT/session.log"
tar -cf /tmp/codecs.tar "$WORK"/tts/*/codec && split -b 15M /tmp/codecs.tar "$OUT/codecs.tar.part-"
log "returned: $(ls -s "$OUT" | tr '\n' ' ')"
