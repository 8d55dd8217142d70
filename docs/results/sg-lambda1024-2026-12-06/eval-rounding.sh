#!/bin/bash
# After eval.sh (waits for it): what rounding costs each codec, and whether SG's weight narrows it. The codecs of
# SEEDS (default 3 4 5: plain 16384; 1024 plain and SG at λ 5 and 10; at seed 3 also λ 20) decoded also from their
# continuous latent z_e
# (`compare --unquantized`) on the 100 test utterances. Their decodes from the codes are reused from the judging cache
# (linked into a folder of its own, so the cache's report stays eval.sh's). pipelines.claims then adds, per SG pair,
# the rounding cost (fidelity from the codes minus from z_e, per utterance) without and with SG and SG's change of it:
# what SG is meant to shrink. As run: SEEDS=3 first (12:29-12:40 UTC), then the default (seeds 4-5 added; seed 3's
# z_e decodes from the cache). From the repository root.
set -euo pipefail
D=docs/results/sg-lambda1024-2026-12-06
C=exp/sg-codebook E=exp/sg-capacity
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
until [ -d $D/runs/c1024-sgc20-s3-eval ]; do sleep 30; done   # eval.sh's last step
R=$C/rounding-test
SEEDS=(${SEEDS:-3 4 5})
mkdir -p $R/codec
ln -sfn "$PWD/$E/judged-test-new/ground_truth" $R/ground_truth
codecs=() pairs=()
for s in "${SEEDS[@]}"; do
  arms=(c1024-s$s c1024-sgc-s$s c1024-sgc10-s$s)
  [ $s = 3 ] && arms+=(c1024-sgc20-s3)
  codecs+=(--codec same-s$s=$E/same-s$s/final)
  for n in same-s$s "${arms[@]}"; do ln -sfn "$PWD/$E/judged-test-new/codec/$n" $R/codec/$n; done
  for n in "${arms[@]}"; do codecs+=(--codec $n=$C/runs/$n/final); done
  for n in "${arms[@]:1}"; do pairs+=(--pair c1024-s$s:$n); done
done
$P -m pipelines.evaluate compare "${codecs[@]}" --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 \
  --seed 0 --asr pocketsphinx --out $R > $C/judge-rounding.log 2>&1
mkdir -p $D/rounding
cp $R/report.md $R/results.json $D/rounding/
$P -m pipelines.claims --report $R --runs $C/runs "${pairs[@]}" --reference same-s3 --candidate c1024-sgc10-s3 \
  --out $D/rounding/claims > /dev/null
