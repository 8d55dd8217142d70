#!/bin/bash
# Judge the two arms of train.sh beside the codec they started from, on the default corpus's 100 test utterances
# and its 80 dev ones
# (pocketsphinx; PESQ, STOI, mel distance, pitch), then the paired differences. Run from the repository root.
set -euo pipefail
D=docs/results/cepstral-2026-12-04
E=${OUT:-exp/cepstral}
P=.venv/bin/python
export OMP_NUM_THREADS=2
$P -m pipelines.evaluate compare --codec bundle=pipelines/default_model/codec --codec mel=$E/mel/final \
  --codec cepstral=$E/cepstral/final --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 \
  --asr pocketsphinx --out $E/judged-test > $E/judge-test.log 2>&1
$P -m pipelines.evaluate compare --codec bundle=pipelines/default_model/codec --codec mel=$E/mel/final \
  --codec cepstral=$E/cepstral/final --manifest exp/default/data/dev.jsonl --max-utts 80 --seed 0 \
  --asr pocketsphinx --out $E/judged-dev > $E/judge-dev.log 2>&1
R=$E/judged-test
$P scripts/paired_wer.py $R bundle:mel bundle:cepstral mel:cepstral > $R/paired_codec_wer.txt
$P scripts/paired_wer.py $R bundle:mel bundle:cepstral mel:cepstral --pool $E/judged-dev > $R/paired_codec_wer_test_dev.txt
$P docs/results/codec-claims-gpu-2026-12-04/paired.py $R bundle:mel bundle:cepstral mel:cepstral > $R/paired.md
mkdir -p $D/test $D/runs
cp $R/report.md $R/results.json $R/*.png $R/paired_codec_wer*.txt $R/paired.md $D/test/
mkdir -p $D/dev && cp $E/judged-dev/report.md $E/judged-dev/results.json $D/dev/
for arm in mel cepstral; do gzip -9c $E/$arm/metrics.jsonl > $D/runs/$arm.metrics.jsonl.gz; done
# the envelope and mel distances, paired (lower is better)
$P - $R <<'PY' > $D/test/paired_distances.md
import sys
from pathlib import Path
from pipelines.claims import paired_difference
report = Path(sys.argv[1])
print("| pair (other - base) | cepstral distance [95% CI] | mel distance [95% CI] |")
print("|---|---|---|")
for base, other in (("bundle", "mel"), ("bundle", "cepstral"), ("mel", "cepstral")):
    cells = [paired_difference(report, base, other, m) for m in ("cepstral_distance", "mel_distance")]
    print(f"| {other} - {base} | " + " | ".join(f"{d['difference']:+.4f} [{d['difference_ci'][0]:+.4f}, "
                                                 f"{d['difference_ci'][1]:+.4f}]" for d in cells) + " |")
PY
