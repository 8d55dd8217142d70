#!/bin/bash
# A third, larger judging set for the 6-block SG studies: 500 of WordNet's example sentences spoken by flite slt (the
# voice every 6-block codec was trained on), none of whose audio or text any codec heard (the codecs trained on the
# fortunes corpus; examples equal to a train sentence, or containing or contained in a test/dev sentence, are left
# out). 500 utterances, 22.1 min (mean 2.65 s; the fortunes test set: 100 utterances). From the repository root.
set -euo pipefail
P=.venv/bin/python
$P -m pipelines.corpus wordnet-text --out exp/wn-judge/wordnet.txt \
  --held-out exp/default/data/test.jsonl exp/default/data/dev.jsonl --known exp/default/data/train.jsonl
# -> 33 413 sentences (7.1 words each); the seed draws 500 of them, all into a test-only manifest
$P -m pipelines.corpus synth --out exp/wn-judge/data --voices slt --text exp/wn-judge/wordnet.txt --max-utts 500 \
  --seed 0 --dev-fraction 0 --test-fraction 1
