#!/bin/bash
# After make-set.sh: the codecs' resynthesis WER on ordinary English, 500 utterances (5x the fortunes test set), for
# the intelligibility condition ("resynthesis WER within a few points of the ground-truth row"): the
# judge's own row on the input, the bundled codec (pipelines/default_model/codec) and the 6-block start every SG
# arm of eval.sh began from (exp/decoder-deeper/same), pocketsphinx, into exp/wn-judge/judged-wer (a folder of its
# own: eval.sh's folder judges without the ASR). Then each codec over the ground truth, paired by utterance
# (wer_over_ground_truth.txt). From the repository root.
set -euo pipefail
D=docs/results/sg-wordnet-judge-2026-12-06 R=exp/wn-judge/judged-wer
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
mkdir -p $D/wer
$P -m pipelines.evaluate compare --codec bundle=pipelines/default_model/codec \
  --codec start-same=exp/decoder-deeper/same/final --manifest exp/wn-judge/data/test.jsonl --seed 0 \
  --asr pocketsphinx --out $R > exp/wn-judge/judge-wer.log 2>&1
$P scripts/paired_wer.py $R ground_truth:bundle ground_truth:start-same bundle:start-same > $D/wer/wer_over_ground_truth.txt
cp $R/report.md $R/results.json $D/wer/
