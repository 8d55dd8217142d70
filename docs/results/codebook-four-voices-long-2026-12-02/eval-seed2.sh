#!/bin/bash
# run from the project root (2026-12-02, twenty-fourth session) after `SEED=2 bash train.sh`: seed 2's final codecs
# (step 3000, end of the schedule) scored like seed 1 by eval.sh (100 test utterances of the four voices, decoded
# from the codes, pocketsphinx), claims 1-3 at seed 2, the paired differences pooled over seeds 1 and 2, and seed 2's
# WER at step 3000 against the earlier seed-2 runs stopped at step 1250 of 2000 (../codebook-four-voices-2026-12-02).
set -e
R=exp/voices4/report-long
C=exp/voices4/codec
M=exp/voices4/data/test.jsonl
OUT=docs/results/codebook-four-voices-long-2026-12-02
OLD=docs/results/codebook-four-voices-2026-12-02
S1="v4L-65536-s1 v4L-16384-s1 v4L-16384-sgc-s1"
S2="v4L-65536-s2 v4L-16384-s2 v4L-16384-sgc-s2"
ready() { for n in "$@"; do [ -d $C/$n/final ] || return 1; done; }
# two compare calls side by side (one core each), each started once its codecs' runs have finished; the second
# into $R-b, its codec folder then moved into $R
until ready v4L-65536-s2 v4L-16384-s2; do sleep 30; done
OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare --codec v4L-65536-s2=$C/v4L-65536-s2/final \
  --codec v4L-16384-s2=$C/v4L-16384-s2/final --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0 &
(until ready v4L-16384-sgc-s2; do sleep 30; done
 rm -rf $R-b
 OMP_NUM_THREADS=1 .venv/bin/python -m pipelines.evaluate compare \
  --codec v4L-16384-sgc-s2=$C/v4L-16384-sgc-s2/final --manifest $M --max-utts 100 --out $R-b --asr pocketsphinx --seed 0
 OMP_NUM_THREADS=1 .venv/bin/python scripts/hidden_energy.py $(for n in $S2; do echo $C/$n/final; done) \
  --tap last_block --manifest $M --n 100 > $R-b/hidden_energy-s2.txt) &
wait
rm -rf $R/codec/v4L-16384-sgc-s2 && mv $R-b/codec/v4L-16384-sgc-s2 $R/codec/ && mv $R-b/hidden_energy-s2.txt $R/
# the whole report again from the cached per-codec results (seeds 1 and 2)
.venv/bin/python -m pipelines.evaluate compare $(for n in $S1 $S2; do echo --codec $n=$C/$n/final; done) \
  --manifest $M --max-utts 100 --out $R --asr pocketsphinx --seed 0
.venv/bin/python -m pipelines.claims --report $R --runs $C --pair v4L-16384-s2:v4L-16384-sgc-s2 \
  --reference v4L-65536-s2 --candidate v4L-16384-sgc-s2 --out $R/claims-s2
.venv/bin/python scripts/paired_wer.py $R v4L-65536-s2:v4L-16384-s2 v4L-65536-s2:v4L-16384-sgc-s2 \
  v4L-16384-s2:v4L-16384-sgc-s2 > $R/paired_wer-s2.txt
# paired PESQ-WB / PESQ-NB / STOI differences, seed by seed and pooled over seeds 1 and 2
for pairs in "v4L-65536-s1:v4L-16384-sgc-s1 v4L-65536-s2:v4L-16384-sgc-s2" \
             "v4L-65536-s1:v4L-16384-s1 v4L-65536-s2:v4L-16384-s2" \
             "v4L-16384-s1:v4L-16384-sgc-s1 v4L-16384-s2:v4L-16384-sgc-s2"; do
  .venv/bin/python scripts/seed_pooled.py $R $pairs
done > $R/seed_pooled.jsonl
# seed 2, step 1250 (of 2000) against step 3000 (of 3000), arm by arm
P=exp/voices4/wer-1250-vs-3000-s2
.venv/bin/python - $OLD/results.json $R/results.json $P <<'PY'
import json, sys
from pathlib import Path
sys.path.insert(0, ".")
from pipelines.evaluate import _slug
old, new, out = sys.argv[1:]
for src, names in ((old, ["v4-65536-s2", "v4-16384-s2", "v4-16384-sgc-s2"]),
                   (new, ["v4L-65536-s2", "v4L-16384-s2", "v4L-16384-sgc-s2"])):
    codecs = json.load(open(src))["codecs"]
    for n in names:
        d = Path(out) / "codec" / _slug(n); d.mkdir(parents=True, exist_ok=True)
        (d / "results.json").write_text(json.dumps({"wer": codecs[n]["wer"]}))
PY
.venv/bin/python scripts/paired_wer.py $P v4-65536-s2:v4L-65536-s2 v4-16384-s2:v4L-16384-s2 \
  v4-16384-sgc-s2:v4L-16384-sgc-s2 > $R/paired_wer-1250-vs-3000-s2.txt
cp -r $R/claims-s2 $OUT/
cp $R/report.md $R/results.json $R/*.png $R/paired_wer*-s2.txt $R/seed_pooled.jsonl $R/hidden_energy-s2.txt $OUT/
for n in $S2; do mkdir -p $OUT/dev-evals/$n; cp $C/$n/eval/step_*.json $OUT/dev-evals/$n/; done
.venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py $R $M > $OUT/by_voice.md
