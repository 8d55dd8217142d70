#!/usr/bin/env bash
# The next lease's benchmark calls (docs/GPU.md "Next lease: the plan"), each run capped so that one cut run loses
# only its own row. Prepare here: `bash scripts/gpu/prepare.sh`, then `bash scripts/gpu/travel.sh out` (and `back`
# after the lease). Through the device tool: carry [".whl-gpu", ".debs"], command
#   STAGE=lm bash scripts/gpu/next_lease.sh        (~4-8 min: issue 8's LM rows, FlexAttention and compile)
#   STAGE=codec bash scripts/gpu/next_lease.sh     (~4-5 min: the compiled xcodec2 codec step; only where status's
#                                                   budget_left_s is over ~330 after the first call)
# Returns under $OUT: session.log, bench.jsonl (one record per finished run), profiles/ (the FlexAttention profile).
# Each compiled run gets a fresh inductor cache: a compile cut by its cap can leave a truncated artefact that breaks
# the next run's compile on the same warm machine.
set -uo pipefail
t0=$SECONDS
log() { echo "[$((SECONDS - t0)) s] $*" | tee -a "$OUT/session.log"; }
export SGSPEECH_WHEELS=${SGSPEECH_WHEELS:-.whl-gpu}
source scripts/gpu/env.sh || exit 1
log "env ready; $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader)"
capped() {  # CAP_SECONDS ARGS...: one benchmark run, its record appended to $OUT/bench.jsonl when it finishes
  local cap=$1; shift
  log "run (cap ${cap} s): $*"
  TORCHINDUCTOR_CACHE_DIR=$(mktemp -d) timeout "$cap" python3 "$@" 2>&1 | tail -n 25 | tee -a "$OUT/session.log"
  log "rc ${PIPESTATUS[0]}"
}
case "${STAGE:-lm}" in
  lm)
    # the packed rows' tokens, built once outside the caps (flite renders 48 utterances, a debug codec encodes them)
    python3 -c 'from benchmarks import fixtures; fixtures.tokens(); fixtures.tokenizer()' || { log "fixtures failed"; exit 1; }
    log "fixtures built"
    B=(-m benchmarks lm-train --presets small --batch-tokens 65536 --device cuda --repeats 5 --warmup 2
       --packing packed --out "$OUT/bench.jsonl")
    capped 60 "${B[@]}"                                 # sdpa, this card: the baseline of the rows below
    capped 120 "${B[@]}" --attention flex_attention    # FlexAttention skips the masked blocks of packed rows
    capped 60 -m benchmarks.profile_step --lm small --batch-tokens 65536 --device cuda --attention flex_attention \
      --out "$OUT/profiles"                             # what is left after it, kernel by kernel
    capped 200 "${B[@]}" --attention flex_attention --compile ;;
  codec)
    C=(-m benchmarks codec-train --presets xcodec2 --train-batch 32 --device cuda --repeats 5 --warmup 2 --sg off
       --out "$OUT/bench.jsonl")
    capped 60 "${C[@]}"                                 # eager, this card: the baseline (5.4 % MFU on an H200)
    capped 240 "${C[@]}" --compile ;;                   # fused element-wise chains (SnakeBeta, the losses)
  *) log "STAGE must be lm or codec"; exit 2 ;;
esac
log "done"
