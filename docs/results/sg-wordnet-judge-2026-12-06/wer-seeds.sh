#!/bin/bash
# After eval.sh: the seeds' arms judged by pocketsphinx on the WordNet set too, seed by seed (SEEDS, default 3-6: what
# fits the session's last hour), in eval.sh's folder: each arm was measured there with --asr none, so only its WER is
# added (pipelines.evaluate's judge path: the decode again, then the ASR; ~3 min an arm on two threads). Then SG
# against both twins in WER (scripts/seed_pooled.py --metric wer: per seed and pooled, corpus WER differences) and each
# arm over the ground truth. From the repository root.
set -euo pipefail
D=docs/results/sg-wordnet-judge-2026-12-06 E=exp/sg-capacity R=exp/wn-judge/judged
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
SEEDS=(${SEEDS:-3 4 5 6})
mkdir -p $D/wer
codecs=() both=() truth=()
for s in "${SEEDS[@]}"; do
  codecs+=(--codec same-s$s=$E/same-s$s/final --codec same-sgc0-s$s=$E/same-sgc0-s$s/final
           --codec same-sgc-s$s=$E/same-sgc-s$s/final)
  both+=(same-s$s+same-sgc0-s$s:same-sgc-s$s) truth+=(ground_truth:same-s$s ground_truth:same-sgc0-s$s ground_truth:same-sgc-s$s)
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/wn-judge/data/test.jsonl --seed 0 \
    --asr pocketsphinx --out $R >> exp/wn-judge/judge-wer-seeds.log 2>&1
done
$P scripts/seed_pooled.py $R "${both[@]}" --metric wer > $D/wer/sg_vs_two_baselines_wer.jsonl
$P scripts/paired_wer.py $R "${truth[@]}" > $D/wer/arms_over_ground_truth.txt
