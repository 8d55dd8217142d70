#!/usr/bin/env bash
# One device call (2026-11-28 lease): three jobs that share the one GPU, then the quiet-GPU measurements.
#   1. issue 7: the default model's LM (recipes/conf/default.sh: tiny LM over the 16384 codes of the default codec's
#      frozen tokenizer, phoneme input) trained on token stores extracted HERE and carried in;
#   2. issue 6: the codec trio again (65536, 16384, 16384 + SG), now with the centered SG loss that does not run away
#      (docs/RESULTS.md), side by side, same seed/data/batch/steps as each other;
#   3. issue 8, once the GPU is quiet: torch.profiler on the xcodec2 training step at batch 8 and 32 (is it host- or
#      device-bound?) and the `small` LM generation rows the 2026-11-27 lease missed.
# Run through the device tool (prepare here first: scripts/gpu/prepare.sh, then
#   python scripts/gpu/phoneme_table.py record --tokenizer exp/default/text_tokenizer \
#     --manifest exp/default/data/{train,dev,test}.jsonl --out .gpu/phonemes.json):
#   carry: .whl-gpu .debs .gpu exp/default/tokens exp/default/text_tokenizer
#   command: SGSPEECH_WHEELS=.whl-gpu bash scripts/gpu/default_lm_and_trio.sh
# Returns under $OUT: session.log, results-cuda.jsonl, logs.tar (every log, metrics, profiles, TensorBoard) and
# lm.tar.part-* (exp/default/lm/default without its checkpoints, 15 MB parts). The trio's generators stay in
# /tmp/trio.tar for a second, immediate call: `split -b 15M /tmp/trio.tar $OUT/trio.tar.part-`.
set -uo pipefail
t0=$SECONDS
CODEC_STEPS=${CODEC_STEPS:-2000} LM_STEPS=${LM_STEPS:-4000} BATCH=${BATCH:-32}
TRAIN_END_S=${TRAIN_END_S:-430} END_S=${END_S:-520}
log() { echo "[$((SECONDS - t0)) s] $*" | tee -a "$OUT/session.log"; }
source scripts/gpu/env.sh || { echo "env.sh failed" >&2; exit 1; }
log "env ready; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
# the LM's phoneme input: espeak-ng's answers recorded here (scripts/gpu/phoneme_table.py), played back there
mkdir -p /tmp/shim && printf '#!/bin/sh\nexec python3 -S %s/scripts/gpu/phoneme_table.py play "$@"\n' "$PWD" \
  >/tmp/shim/espeak-ng && chmod +x /tmp/shim/espeak-ng
export PATH="/tmp/shim:$PATH" SGSPEECH_PHONEME_TABLE="$PWD/.gpu/phonemes.json"
v=$(python3 -c 'import torch, transformers, codec, lm, lm.train, codec.train, pipelines.corpus, soundfile, soxr
print("torch", torch.__version__, "transformers", transformers.__version__)' 2>&1) || { log "imports failed: $v"; exit 1; }
log "$v; phoneme stand-in: $(echo 'a' | espeak-ng -q -x --ipa -v en-us 2>&1 | head -c 80)"
mkdir -p exp/logs

# 1. the default LM, on the carried tokens (the GPU's first job: the one that must come back)
lm_out=exp/default/lm/default
python3 -m lm.train --preset tiny --tokens exp/default/tokens/default/train --dev-tokens exp/default/tokens/default/dev \
  --tokenizer exp/default/text_tokenizer --out "$lm_out" --steps "$LM_STEPS" --batch-tokens 8192 --lr 1e-3 --seed 0 \
  --warmup-steps 100 --eval-every 250 --save-every 500 --keep-last 1 >exp/logs/lm.log 2>&1 &
lm_pid=$!
log "LM: tiny, $LM_STEPS steps x 8192 tokens, lr 1e-3 (pid $lm_pid)"

# 2. the trio, on the tiny corpus rendered here exactly as on the CPU machine (docs/GPU.md)
py=python3; source recipes/conf/tiny.sh
data=exp/tiny/data
python3 -m pipelines.corpus synth --out "$data" --voices "$voices" --max-utts "$corpus_utts" --seed "$corpus_seed" \
  --dev-fraction "$dev_fraction" --test-fraction "$test_fraction" --workers 8 >exp/logs/corpus.log 2>&1
log "corpus exit $?: $(wc -l <"$data/train.jsonl") train utterances"
trio=()
for v in "65536:--no-sg" "16384:--no-sg" "16384-sgc:--sg --sg-weight 5 --sg-loss centered"; do
  name=${v%%:*} flags=${v#*:} cb=${name%%-*}
  # shellcheck disable=SC2086
  python3 -m codec.train --preset tiny --codebook-size "$cb" $flags --seed 0 \
    --train-manifest "$data/train.jsonl" --dev-manifest "$data/dev.jsonl" --out "exp/gpu-tiny/$name" \
    --steps "$CODEC_STEPS" --batch-size "$BATCH" --segment-seconds "$codec_segment" --lr "$codec_lr" \
    --adv-start-step "$CODEC_STEPS" --save-every 250 --keep-last 1 --eval-every "$CODEC_STEPS" \
    >"exp/logs/codec-$name.log" 2>&1 &
  trio+=($!)
done
log "trio: 65536, 16384, 16384 + centered SG (lambda 5); $CODEC_STEPS steps, batch $BATCH x $codec_segment s, lr $codec_lr"

while [ $((SECONDS - t0)) -lt "$TRAIN_END_S" ] && kill -0 "$lm_pid" "${trio[@]}" 2>/dev/null; do sleep 3; done
for p in "$lm_pid" "${trio[@]}"; do kill -0 "$p" 2>/dev/null && { log "deadline: stopping pid $p"; kill "$p"; }; done
wait
log "LM: final $( [ -f "$lm_out/final/model.safetensors" ] && echo yes || echo no); $(grep -o 'dev[^,]*' exp/logs/lm.log | tail -n 1)"

# 3. the quiet GPU: each measurement its own process and cap, inside END_S
bench() {
  local cap=$1 left=$((END_S - (SECONDS - t0))); shift
  [ "$left" -gt 20 ] || { log "skipped (no time left): $*"; return; }
  [ "$cap" -lt "$left" ] || cap=$left
  log "$* (cap $cap s)"
  timeout "$cap" "$@" >>exp/logs/bench.log 2>&1
  log "  exit $?"
}
bench 30 python3 -m benchmarks.profile_step --preset xcodec2 --device cuda --batch 8 --out exp/logs/profiles
bench 35 python3 -m benchmarks.profile_step --preset xcodec2 --device cuda --batch 32 --out exp/logs/profiles
bench 50 python3 -m benchmarks lm-generate --presets small --repeats 3 --warmup 1 --device cuda \
  --out "$OUT/results-cuda.jsonl"

# what comes back (8 files at most): the LM without its checkpoints; logs; the trio waits for a second call
for d in exp/gpu-tiny/*/; do
  [ -f "$d/final/model.safetensors" ] && continue
  last=$(ls -d "$d"checkpoints/step_* 2>/dev/null | tail -n 1)  # stopped by the deadline: its last generator
  [ -n "$last" ] && mkdir -p "$d/partial" && cp "$last"/generator.safetensors "$last"/trainer_state.json "$d/partial/"
done
log "trio: $(for d in exp/gpu-tiny/*/; do echo -n "${d%/} final=$( [ -f "$d/final/model.safetensors" ] && echo yes || echo no) "; done)"
tar -cf /tmp/trio.tar --exclude=checkpoints --exclude=samples exp/gpu-tiny
tar -cf - --exclude=checkpoints "$lm_out" | split -b 15M - "$OUT/lm.tar.part-"
for d in exp/gpu-tiny/*/; do cp "$d/metrics.jsonl" "exp/logs/$(basename "$d").metrics.jsonl" 2>/dev/null; done
tar -cf "$OUT/logs.tar" exp/logs
log "done: $(ls "$OUT" | tr '\n' ' ')"
