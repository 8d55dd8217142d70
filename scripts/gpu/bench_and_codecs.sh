#!/usr/bin/env bash
# One device call (a lease of 15 minutes leaves room for one command of <= 10 min): the GPU checks and benchmarks
# of issue 8, then the key trio of the codec study (issue 6: 65536, 16384, 16384 + SG; tiny preset, mel + SG,
# identical seed, data, batch and steps) trained side by side on the one GPU. Run it through the device tool:
#   carry: .whl .debs (scripts/gpu/prepare.sh)      command: bash scripts/gpu/bench_and_codecs.sh
# (as run on 2026-11-27; since then the tree has grown: .whl whole no longer fits beside it, docs/GPU.md)
# Returns under $OUT: session.log, bench.log, results-cuda.jsonl and codecs.tar.part-* (the three final generators,
# metrics and TensorBoard logs; fp32 safetensors, split into 15 MB parts for the transfer limit). Join them here
# with `cat codecs.tar.part-* | tar -x -C exp/gpu-tiny` and evaluate on the local copy of the same rendered corpus.
# Budgets (seconds since the start of this script): BENCH_S ends the benchmarks, END_S stops training.
# BENCHMARKS=missing skips the benchmarks the 2026-11-27 lease already measured (more time for training).
set -uo pipefail
t0=$SECONDS
BENCH_S=${BENCH_S:-275} END_S=${END_S:-560} BATCH=${BATCH:-32}
log() { echo "[$((SECONDS - t0)) s] $*" | tee -a "$OUT/session.log"; }
source scripts/gpu/env.sh || { echo "env.sh failed" >&2; exit 1; }
log "env ready; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
# fail fast (device time is scarce): every import the call needs, before anything runs
v=$(python3 -c 'import torch, transformers, codec, lm, pipelines, pipelines.evaluate, soundfile, soxr, vector_quantize_pytorch
print("torch", torch.__version__, "transformers", transformers.__version__)' 2>&1) || { log "imports failed: $v"; exit 1; }
log "$v"

# the tiny recipe's corpus, rendered exactly as on the CPU machine (docs/GPU.md): its settings from the recipe
py=python3; source recipes/conf/tiny.sh
data=exp/tiny/data
(python3 -m pipelines.corpus synth --out "$data" --voices "$voices" --max-utts "$corpus_utts" --seed "$corpus_seed" \
   --dev-fraction "$dev_fraction" --test-fraction "$test_fraction" --workers 8 >"$OUT/corpus.log" 2>&1
 echo $? >/tmp/corpus.rc) &
corpus_pid=$!

timeout 90 python3 -m pytest -q -p no:cacheprovider tests/test_lm_units.py -k cuda_graph 2>&1 | tail -3 \
  | tee -a "$OUT/session.log"
# Each benchmark its own process and cap, inside a shared deadline (BENCH_S): a slow one costs only its own rows.
bench() {
  local cap=$1 left=$((BENCH_S - (SECONDS - t0))); shift
  [ "$left" -gt 15 ] || { log "benchmark $1 skipped: no time left"; return; }
  [ "$cap" -lt "$left" ] || cap=$left
  log "benchmark $* (cap $cap s)"
  timeout "$cap" python3 -m benchmarks "$@" --device cuda --out "$OUT/results-cuda.jsonl" >>"$OUT/bench.log" 2>&1
  log "  exit $?"
}
mkdir -p exp/gpu-tiny
bench 30 codec-train --presets tiny   # first: its row sets the training steps below
if [ "${BENCHMARKS:-all}" = all ]; then
  bench 50 codec-train --presets small,xcodec2
  bench 45 codec-infer --presets tiny,small,xcodec2
  bench 40 lm-train --presets tiny,small
  bench 30 lm-generate --presets tiny --repeats 3 --warmup 1
  bench 30 tts
  bench 45 peers --presets tiny,xcodec2 --peers-python "$(command -v python3)"
fi
bench 60 lm-generate --presets small --repeats 3 --warmup 1   # missing from the 2026-11-27 lease
# host- or device-bound? (the MFU misses): kernel time / wall time, ops and kernels per step, top-op tables
for p in xcodec2 tiny; do
  timeout 60 python3 -m benchmarks.profile_step --preset "$p" --device cuda --out exp/gpu-tiny/profiles \
    >>"$OUT/bench.log" 2>&1; log "profile $p: exit $?"
done

wait "$corpus_pid"; log "corpus exit $(cat /tmp/corpus.rc): $(wc -l <"$data/train.jsonl") train utterances"
[ -f "$data/train.jsonl" ] || { log "no corpus, no training"; exit 1; }

# Steps from the budget: one of three side-by-side mel + SG runs at batch 32 cost 0.85x the benchmark's tiny SG step
# (GAN phase, batch 8): 0.12 vs 0.145 s on an H200, 2026-11-27; 4000 if the benchmark gave no figure.
budget=$((END_S - (SECONDS - t0) - 45))
steps=$(python3 - "$OUT/results-cuda.jsonl" "$budget" <<'EOF'
import json, sys
step = None
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r.get("benchmark") == "codec_train":
            for row in r.get("results", []):
                if row.get("preset") == "tiny" and row.get("sg") and "step_s" in row:
                    step = row["step_s"]["median"]
except OSError:
    pass
n = 4000 if step is None else int(int(sys.argv[2]) / (0.85 * step))
print(max(500, min(12000, n // 250 * 250)))
EOF
)
log "training 3 codecs side by side: $steps steps, batch $BATCH x $codec_segment s, lr $codec_lr, mel + SG, seed 0"
pids=()
for v in 65536:no-sg 16384:no-sg 16384-sg:sg; do
  name=${v%%:*} sg=${v##*:} cb=${name%%-*}
  python3 -m codec.train --preset tiny --codebook-size "$cb" --"$sg" --sg-weight 5 --seed 0 \
    --train-manifest "$data/train.jsonl" --dev-manifest "$data/dev.jsonl" --out "exp/gpu-tiny/$name" \
    --steps "$steps" --batch-size "$BATCH" --segment-seconds "$codec_segment" --lr "$codec_lr" \
    --adv-start-step "$steps" \
    --save-every 250 --keep-last 1 --eval-every "$steps" >"exp/gpu-tiny/$name.log" 2>&1 &
  pids+=($!)
done
while [ $((SECONDS - t0)) -lt "$END_S" ] && kill -0 "${pids[@]}" 2>/dev/null; do sleep 3; done
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { log "deadline: stopping pid $p"; kill "$p"; }; done
wait
for d in exp/gpu-tiny/*/; do
  [ -f "$d/metrics.jsonl" ] || continue  # profiles/
  last=$(ls -d "$d"checkpoints/step_* 2>/dev/null | tail -n 1)
  log "$d: final $( [ -f "$d/final/model.safetensors" ] && echo yes || echo no), last checkpoint ${last##*/}"
  # a run stopped by the deadline keeps only its last checkpoint's generator (no optimizer states: transfer limit)
  [ -f "$d/final/model.safetensors" ] || { mkdir -p "$d/partial" && cp "$last"/generator.safetensors \
      "$last"/trainer_state.json "$d/partial/"; }
  rm -rf "$d/checkpoints" "$d/samples"
done
tail -n 3 exp/gpu-tiny/*.log >>"$OUT/session.log"
tail -n 5 "$OUT/corpus.log" >>"$OUT/session.log" && rm "$OUT/corpus.log"  # 8 files come back at most
tar -cf - exp/gpu-tiny | split -b 15M - "$OUT/codecs.tar.part-"
log "done: $(ls "$OUT")"
