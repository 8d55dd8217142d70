#!/bin/bash
# After eval.sh (waits for it): what rounding costs a codec whose quantizer is trained, and whether SG narrows it.
# The start and the four arms decoded also from their continuous latent z_e (`compare --unquantized`) on the 100
# test utterances; their decodes from the codes are reused from the judging cache (linked into a folder of its own,
# so the cache's report stays eval.sh's). pipelines.claims then adds, per SG pair, the rounding cost (fidelity from
# the codes minus from z_e, per utterance) without and with SG, and SG's change of it. From the repository root.
set -euo pipefail
D=docs/results/sg-own-quantizer-2026-12-06
O=exp/sg-own E=exp/sg-capacity
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
until [ -d $D/runs/own-sgc-s4-eval ]; do sleep 30; done   # eval.sh's last step
R=$O/rounding-test
mkdir -p $R/codec
ln -sfn "$PWD/$E/judged-test-new/ground_truth" $R/ground_truth
ln -sfn "$PWD/$E/judged-test-new/codec/start-same" $R/codec/start-same
codecs=(--codec start-same=exp/decoder-deeper/same/final) pairs=()
for s in 3 4; do
  for n in own-s$s own-sgc-s$s; do
    ln -sfn "$PWD/$E/judged-test-new/codec/$n" $R/codec/$n
    codecs+=(--codec $n=$O/runs/$n/final)
  done
  pairs+=(--pair own-s$s:own-sgc-s$s)
done
$P -m pipelines.evaluate compare "${codecs[@]}" --unquantized --manifest exp/default/data/test.jsonl --max-utts 100 \
  --seed 0 --asr pocketsphinx --out $R > $O/judge-rounding.log 2>&1
mkdir -p $D/rounding
cp $R/report.md $R/results.json $D/rounding/
$P -m pipelines.claims --report $R --runs $O/runs "${pairs[@]}" --reference own-s3 --candidate own-sgc-s3 \
  --out $D/rounding/claims > /dev/null
