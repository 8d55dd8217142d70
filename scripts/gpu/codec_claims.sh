#!/usr/bin/env bash
# Issue 6 on one GPU (2026-12-04, fourth lease): the codec comparison of issue 7's GPU family, trained 3x longer, and
# the same pair with the GAN on - does the paper's full objective close the intelligibility gap (resynthesis WER
# 0.315 against the ground truth's 0.237 after 800 mel-only steps), and does SG help under it?
# Every arm starts from the bundled 16384 codec with a fresh quantizer at its size (`codec.train --init-from
# --codebook-size N`), same seed, data, batch 32 x 1 s, LR 2e-4; they run side by side on the one GPU:
#   65536, 16384, 16384 + centered SG (lambda 5, last block)          mel only, MEL_STEPS
#   16384 + GAN, 16384 + centered SG + GAN (adversarial from step 0)   GAN_STEPS (a GAN step costs about twice)
# Training audio: the first 6000 sentences of the default corpus's train split (6.1 h) and its 80 dev sentences,
# rendered here by flite slt as on the CPU machine (the whole corpus takes 138 s to render; this ~55 s).
# Evaluation (PESQ, STOI, resynthesis WER, QE, hidden MSE) runs on the CPU machine on the returned codecs
# (docs/results/codec-claims-gpu-2026-12-04/eval.sh), whose decoder side is stored in float16 (17 MB each, as the
# issue-7 codecs were returned).
# Prepare here: scripts/gpu/prepare.sh, the two sentence lists (.gpu/codec_train.txt: the first 6000 texts of
# exp/default/data/train.jsonl; .gpu/codec_dev.txt: the 80 of dev.jsonl), and move docs/results out of the
# travelling tree (docs/GPU.md). Two device calls, carrying .whl-gpu .debs .gpu:
#   SGSPEECH_WHEELS=.whl-gpu bash scripts/gpu/codec_claims.sh            (~580 s; returns part of the codecs)
#   then at once, on the warm machine: cp exp/gpu6/return/* $OUT/ and the issue-8 benchmarks (docs/GPU.md)
# Returns under $OUT: session.log, logs.tar (training logs, metrics, dev evaluations) and codecs.tar.part-* (15 MB
# parts, as many as fit in 64 MiB; the rest wait in exp/gpu6/return for the second call).
# A second seed of the key pair only: SEED=2 ONLY="16384 16384-sgc" SGSPEECH_WHEELS=.whl-gpu bash scripts/gpu/codec_claims.sh
# It must start where seed 1 did, from the bundle of 2026-11-29 (replaced 2026-12-05 by commit f1581ac): for that call
# check its codec out in place of the bundled one (a copy beside it would not fit the 64 MiB a call carries):
#   git checkout f1581ac^ -- pipelines/default_model/codec   ...   afterwards: git checkout HEAD -- pipelines/default_model/codec
# (a run of 50 steps or fewer warms up over 1 step: lm.train and codec.train refuse a warm-up as long as the run)
# A CPU dry run: OUT=/tmp/o DEVICE=cpu MEL_STEPS=2 GAN_STEPS=2 BATCH=2 TEXTS=3 PY=.venv/bin/python bash scripts/gpu/codec_claims.sh
set -uo pipefail
t0=$SECONDS
DEVICE=${DEVICE:-cuda} PY=${PY:-python3} SEED=${SEED:-1}
MEL_STEPS=${MEL_STEPS:-2000} GAN_STEPS=${GAN_STEPS:-1000} BATCH=${BATCH:-32} LR=${LR:-2e-4}
TRAIN_END_S=${TRAIN_END_S:-545} TEXTS=${TEXTS:-6000}
WORK=${WORK:-exp/gpu6}
SG="--sg --sg-weight 5 --sg-loss centered --sg-tap last_block"
ARMS=("65536:mel:--no-sg" "16384:mel:--no-sg" "16384-sgc:mel:$SG" "16384-gan:gan:--no-sg" "16384-sgc-gan:gan:$SG")
if [ -n "${ONLY:-}" ]; then  # e.g. ONLY="16384 16384-sgc": a second seed of the key pair in a shorter call
  kept=(); for arm in "${ARMS[@]}"; do [[ " $ONLY " == *" ${arm%%:*} "* ]] && kept+=("$arm"); done; ARMS=("${kept[@]}")
fi
mkdir -p "$OUT" "$WORK/logs" "$WORK/return"
log() { echo "[$((SECONDS - t0)) s] $*" | tee -a "$OUT/session.log"; }
if [ "$DEVICE" = cuda ]; then
  source scripts/gpu/env.sh || { echo "env.sh failed" >&2; exit 1; }
  log "env ready; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
fi
v=$($PY -c 'import torch, codec.train, pipelines.corpus; print("torch", torch.__version__)' 2>&1) \
  || { log "imports failed: $v"; exit 1; }
log "$v; MEL_STEPS=$MEL_STEPS GAN_STEPS=$GAN_STEPS x batch $BATCH, LR $LR, seed $SEED"

# 1. the training audio
data=$WORK/data
if [ ! -f "$data/train.jsonl" ]; then
  head -n "$TEXTS" .gpu/codec_train.txt >/tmp/codec_train.txt
  $PY -m pipelines.corpus synth --out "$data" --voices slt --text /tmp/codec_train.txt --max-utts "$TEXTS" \
    --dev-fraction 0 --test-fraction 0 --seed 0 --workers 16 >"$WORK/logs/corpus.log" 2>&1
  $PY -m pipelines.corpus synth --out "$WORK/dev" --voices slt --text .gpu/codec_dev.txt --max-utts 80 \
    --dev-fraction 0 --test-fraction 1 --seed 0 --workers 16 >>"$WORK/logs/corpus.log" 2>&1
fi
log "audio: $(wc -l <"$data/train.jsonl") train, $(wc -l <"$WORK/dev/test.jsonl") dev utterances"

# 2. the arms side by side; stopped at TRAIN_END_S if not done (SIGTERM saves the step under way)
pids=()
for arm in "${ARMS[@]}"; do
  IFS=: read -r name kind flags <<<"$arm"
  steps=$MEL_STEPS adv=$MEL_STEPS
  [ "$kind" = gan ] && steps=$GAN_STEPS adv=0
  # shellcheck disable=SC2086
  $PY -m codec.train --init-from pipelines/default_model/codec --codebook-size "${name%%-*}" $flags --seed "$SEED" \
    --train-manifest "$data/train.jsonl" --dev-manifest "$WORK/dev/test.jsonl" --out "$WORK/codec/$name" \
    --steps "$steps" --batch-size "$BATCH" --segment-seconds 1.0 --lr "$LR" --warmup-steps $((steps > 50 ? 50 : 1)) \
    --adv-start-step "$adv" --save-every 200 --keep-last 1 --eval-every "$steps" --num-workers 2 \
    $([ "$DEVICE" = cpu ] && echo --cpu) >"$WORK/logs/codec-$name.log" 2>&1 &
  pids+=($!)
done
while [ $((SECONDS - t0)) -lt "$TRAIN_END_S" ] && kill -0 "${pids[@]}" 2>/dev/null; do sleep 2; done
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { log "deadline: stopping pid $p"; kill -TERM "$p"; }; done
for p in "${pids[@]}"; do wait "$p" || log "a codec run ended with exit $?"; done

# 3. each arm as a codec folder, decoder side in float16: final/, or the last checkpoint of a stopped run
for arm in "${ARMS[@]}"; do
  name=${arm%%:*} d=$WORK/codec/${arm%%:*}
  src=$d/final
  if [ ! -f "$src/model.safetensors" ]; then
    last=$(ls -d "$d"/checkpoints/step_* 2>/dev/null | tail -n 1)
    [ -n "$last" ] || { log "$name: no checkpoint"; continue; }
    $PY -m codec.export "$last" "$d/partial" >>"$WORK/logs/export.log" 2>&1 && src=$d/partial
  fi
  $PY -c 'import sys, torch; from codec.model import Codec
Codec.from_pretrained(sys.argv[1]).save_pretrained(sys.argv[2], decoder_dtype=torch.float16)' "$src" "$WORK/send/$name" \
    && log "$name: $(basename "$src"), last logged step $(grep -o '"step": [0-9]*' "$d"/metrics.jsonl | tail -n 1 | cut -d' ' -f2)"
done

# 4. send back: logs whole; the codecs in 15 MB parts, as many as fit beside them
for arm in "${ARMS[@]}"; do
  n=${arm%%:*}; cp "$WORK/codec/$n/metrics.jsonl" "$WORK/logs/$n.metrics.jsonl" 2>/dev/null
  cp -r "$WORK/codec/$n/eval" "$WORK/logs/$n.eval" 2>/dev/null
done
tar -cf "$OUT/logs.tar" --exclude='*.wav' "$WORK/logs"
tar -cf /tmp/codecs6.tar "$WORK/send" && split -b 15M /tmp/codecs6.tar "$WORK/return/codecs.tar.part-"
for p in "$WORK"/return/codecs.tar.part-*; do  # in order, while they fit (64 MiB, 8 files)
  [ $(( $(du -cb "$OUT"/* | tail -n 1 | cut -f1) + $(stat -c %s "$p") )) -lt 62000000 ] \
    && [ "$(ls "$OUT" | wc -l)" -lt 8 ] || break
  mv "$p" "$OUT/"
done
log "returned: $(ls "$OUT" | tr '\n' ' '); waiting in $WORK/return: $(ls "$WORK/return" | tr '\n' ' ')"
