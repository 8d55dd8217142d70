#!/bin/bash
# Issue 6, "find out why ... capacity" asked of SG itself: does self-guidance's fidelity effect grow with the
# decoder's capacity? The grid's SG effect at 16384 was +0.002 PESQ-WB (6-block decoder, 256 wide); the paper's
# decoder is far larger. A 2 x 2 from two decoders that differ only in depth (docs/results/decoder-deeper-2026-12-05:
# `same`, 6 blocks, and `deep12`, grown to 12 blocks, both +10 000 decoder steps from the bundled codec at fixed
# codes): each fine-tuned STEPS steps, the whole codec training, with a fresh 16384 quantizer (seed 1, so not the
# source's own), without SG or with it (`--sg --sg-weight 5 --sg-loss centered`, last block: the grid's SG), mel
# loss only, LR 1e-4, batch 8 x 1 s, the slt fortunes corpus both decoders were trained on. An arm is a decoder
# name, with "-sgc" for SG, or "-sgcd" for SG whose gradient stops at the decoder's input (`--no-sg-encoder-grad`:
# the encoder and quantizer then learn from the mel loss alone), or "-sgcr" for SG whose weight rises from 0 over the
# first SG_RAMP steps (default 500; `--sg-ramp-steps`, docs/results/sg-ramp-2026-12-06), or "-sgc0" for SG at a
# weight too small to matter (SG_NULL, default 1e-4): a null control that differs from the plain arm by a
# perturbation alone, to measure how far two runs drift apart from the same seed and batches; or "-sgcN" (N a whole
# number from 1 up: "-sgc10") for SG at weight N instead of 5 (docs/results/sg-lambda1024-2026-12-06), or "-sgca" for
# SG tapped at every transformer block instead of the last (`--sg-tap all_blocks`, the loss averaged over the blocks;
# docs/results/sg-tap-2026-12-06); one thread per arm (THREADS), all side by side.
# As run: the four arms (07:44-08:58 UTC), then ARMS=deep12-sgcd THREADS=2 alone (why QE fell with SG at 12 blocks).
# Then (the replicate, side by side, one thread each): SEED=2 ARMS="deep12 deep12-sgc deep12-sgcd" and ARMS=same-sgcd.
# Then SEED=2 ARMS="same same-sgc" (the 6-block pair at seed 2, so that both depths have two seeds).
# CODEBOOK (default 16384) sets the fresh quantizer's size (docs/results/sg-codebook1024-2026-12-06); CODEBOOK=own
# keeps the source's trained quantizer instead (no --codebook-size; docs/results/sg-own-quantizer-2026-12-06).
# Run from the repository root; resumes a killed run.
set -euo pipefail
STEPS=${STEPS:-2000}
SEED=${SEED:-1}
CODEBOOK=${CODEBOOK:-16384}
ARMS=(${ARMS:-same same-sgc deep12 deep12-sgc})
OUT=${OUT:-exp/sg-capacity}
THREADS=${THREADS:-1}
SG=(--sg --sg-weight 5 --sg-loss centered)
mkdir -p "$OUT"
for arm in "${ARMS[@]}"; do
  decoder=${arm%-sgc*} name=$arm-s$SEED resume=() sg=(--no-sg)
  case $arm in
    *-sgc) sg=("${SG[@]}") ;;
    *-sgcd) sg=("${SG[@]}" --no-sg-encoder-grad) ;;
    *-sgcr) sg=("${SG[@]}" --sg-ramp-steps "${SG_RAMP:-500}") ;;
    *-sgca) sg=("${SG[@]}" --sg-tap all_blocks) ;;
    *-sgc[1-9]*) sg=(--sg --sg-weight "${arm##*-sgc}" --sg-loss centered) ;;
    *-sgc0) sg=(--sg --sg-weight "${SG_NULL:-1e-4}" --sg-loss centered) ;;
  esac
  [ -d "$OUT/$name/checkpoints" ] && resume=(--resume)
  quantizer=(--codebook-size "$CODEBOOK")
  [ "$CODEBOOK" = own ] && quantizer=()
  OMP_NUM_THREADS=$THREADS .venv/bin/python -m codec.train --init-from exp/decoder-deeper/$decoder/final "${quantizer[@]}" \
    "${sg[@]}" --seed "$SEED" --train-manifest exp/default/data/train.jsonl --dev-manifest exp/default/data/dev.jsonl \
    --steps "$STEPS" --batch-size 8 --segment-seconds 1.0 --lr 1e-4 --warmup-steps 50 --adv-start-step "$STEPS" \
    --save-every 250 --eval-every 500 --cpu "${resume[@]}" --out "$OUT/$name" >> "$OUT/$name.log" 2>&1 &
done
wait
