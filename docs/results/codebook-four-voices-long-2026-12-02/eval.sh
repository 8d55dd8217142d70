#!/bin/bash
# run from the project root (2026-12-02, twenty-third session) after train.sh: the three arms' final codecs (step
# 3000, end of the schedule) scored like the 1250-step family (100 test utterances of the four voices, decoded from
# the codes, pocketsphinx), claims 1-3, paired WER / fidelity, hidden energy, per voice; then the WER of each arm at
# step 3000 against the earlier run of that arm stopped at step 1250 of a 2000-step schedule
# (../codebook-four-voices-2026-12-02, seed 1, same flags),
# paired over utterances from that folder's committed results.json.
set -e
R=exp/voices4/report-long
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
OUT=docs/results/codebook-four-voices-long-2026-12-02
OLD=docs/results/codebook-four-voices-2026-12-02
A="v4L-65536-s1 v4L-16384-s1 v4L-16384-sgc-s1"
ready() { for n in "$@"; do [ -d $C/$n/final ] || return 1; done; }
# two compare calls side by side (one core each), each started as soon as its codecs' runs have finished (the SG
# arm trains slower); the second into $R-b and its codec folder then moved into $R
until ready v4L-65536-s1 v4L-16384-s1; do sleep 30; done
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4L-65536-s1=$C/v4L-65536-s1/final \
  --codec v4L-16384-s1=$C/v4L-16384-s1/final --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0 &
(until ready v4L-16384-sgc-s1; do sleep 30; done
 OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare \
  --codec v4L-16384-sgc-s1=$C/v4L-16384-sgc-s1/final --manifest $M --max-utts 100 --out $R-b --asr pocketsphinx --seed 0
 OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py $(for n in $A; do echo $C/$n/final; done) \
  --tap last_block --manifest $M --n 100 > $R-b/hidden_energy.txt) &
wait
rm -rf $R/codec/v4L-16384-sgc-s1 && mv $R-b/codec/v4L-16384-sgc-s1 $R/codec/ && mv $R-b/hidden_energy.txt $R/
.venv/bin/python -m pipelines.evaluate compare $(for n in $A; do echo --codec $n=$C/$n/final; done) \
  --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair v4L-16384-s1:v4L-16384-sgc-s1 \
  --reference v4L-65536-s1 --candidate v4L-16384-sgc-s1 --out $R/claims
.venv/bin/python scripts/paired_wer.py $R v4L-65536-s1:v4L-16384-s1 v4L-65536-s1:v4L-16384-sgc-s1 \
  v4L-16384-s1:v4L-16384-sgc-s1 > $R/paired_wer.txt
for pair in v4L-65536-s1:v4L-16384-sgc-s1 v4L-65536-s1:v4L-16384-s1 v4L-16384-s1:v4L-16384-sgc-s1; do
  .venv/bin/python scripts/seed_pooled.py $R $pair
done > $R/paired_fidelity.jsonl
# step 1250 (of 2000) against step 3000 (of 3000), arm by arm: both sets of per-utterance WER rows in one folder
P=exp/voices4/wer-1250-vs-3000
.venv/bin/python - $OLD/results.json $R/results.json $P <<'PY'
import json, sys
from pathlib import Path
sys.path.insert(0, ".")
from pipelines.evaluate import _slug
old, new, out = sys.argv[1:]
for src, names in ((old, ["v4-65536-s1", "v4-16384-s1", "v4-16384-sgc-s1"]),
                   (new, ["v4L-65536-s1", "v4L-16384-s1", "v4L-16384-sgc-s1"])):
    codecs = json.load(open(src))["codecs"]
    for n in names:
        d = Path(out) / "codec" / _slug(n); d.mkdir(parents=True, exist_ok=True)
        (d / "results.json").write_text(json.dumps({"wer": codecs[n]["wer"]}))
PY
.venv/bin/python scripts/paired_wer.py $P v4-65536-s1:v4L-65536-s1 v4-16384-s1:v4L-16384-s1 \
  v4-16384-sgc-s1:v4L-16384-sgc-s1 > $R/paired_wer-1250-vs-3000.txt
mkdir -p $OUT
cp -r $R/claims $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer*.txt $R/paired_fidelity.jsonl $R/hidden_energy.txt $OUT/
for n in $A; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $R $M > $OUT/by_voice.md
