#!/bin/bash
# After train.sh: the four arms judged beside their start (exp/decoder-deeper/same, cached as start-same) on the slt
# corpus's 100 test and 80 dev utterances (pocketsphinx; PESQ, STOI, mel distance, QE, hidden MSE), in the judging
# cache of the 6-block pairs (exp/sg-capacity/judged-{test,dev}-new; the new arms appear there as own-sN and
# own-sgc-sN, with links in exp/sg-own/runs/). Then, per split (scripts/seed_pooled.py, seeds pooled):
#   sg_effect.jsonl      SG against plain, per seed and pooled;
#   from_start.jsonl     each plain arm against the start: what 2000 more whole-codec steps do without SG;
#   paired.md (every pair); on test: paired_wer_test_dev.txt (test + dev pooled), over_ground_truth.txt,
#   hidden_energy.txt, claims/ (claims 1-2 for both pairs; claim 3's slot asks whether own-sgc-s3 is
#   non-inferior to own-s3, the SG arm against its plain twin, since the codebook does not change here).
# Waits for the arms' final/ folders. From the repository root.
set -euo pipefail
D=docs/results/sg-own-quantizer-2026-12-06
O=exp/sg-own E=exp/sg-capacity
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
mkdir -p $O/runs $D/test $D/dev $D/runs
codecs=(--codec start-same=exp/decoder-deeper/same/final) sg=() start=() arms=()
for s in 3 4; do
  for a in same-s$s same-sgc-s$s; do
    until [ -f $O/$a/final/model.safetensors ]; do sleep 30; done
    ln -sfn ../$a $O/runs/${a/same/own}
    codecs+=(--codec ${a/same/own}=$O/$a/final) arms+=(${a/same/own})
  done
  sg+=(own-s$s:own-sgc-s$s) start+=(start-same:own-s$s)
done
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
PAIRS=("${sg[@]}" "${start[@]}" start-same:own-sgc-s3 start-same:own-sgc-s4)
for split in test:100 dev:80; do
  s=${split%%:*} r=$E/judged-${split%%:*}-new
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/$s.jsonl --max-utts ${split##*:} \
    --seed 0 --asr pocketsphinx --out $r > $O/judge-$s.log 2>&1
  $P scripts/seed_pooled.py $r "${sg[@]}" "${metrics[@]}" > $D/$s/sg_effect.jsonl
  $P scripts/seed_pooled.py $r "${start[@]}" "${metrics[@]}" > $D/$s/from_start.jsonl
  $P docs/results/codec-claims-gpu-2026-12-04/paired.py $r "${PAIRS[@]}" > $D/$s/paired.md
  cp $r/report.md $r/results.json $D/$s/
done
R=$E/judged-test-new
$P scripts/paired_wer.py $R "${PAIRS[@]}" --pool $E/judged-dev-new > $D/test/paired_wer_test_dev.txt
$P scripts/paired_wer.py $R $(for a in start-same "${arms[@]}"; do echo ground_truth:$a; done) --pool $E/judged-dev-new \
  > $D/test/over_ground_truth.txt
$P -m pipelines.claims --report $R --runs $O/runs $(for p in "${sg[@]}"; do echo --pair $p; done) \
  --reference own-s3 --candidate own-sgc-s3 --out $D/test/claims > /dev/null
$P scripts/hidden_energy.py exp/decoder-deeper/same/final $(for a in "${arms[@]}"; do echo $O/runs/$a/final; done) \
  --tap last_block --manifest exp/default/data/test.jsonl --n 100 > $D/test/hidden_energy.txt
for a in "${arms[@]}"; do
  gzip -9c $O/runs/$a/metrics.jsonl > $D/runs/$a.metrics.jsonl.gz
  mkdir -p $D/runs/$a-eval && cp $O/runs/$a/eval/*.json $D/runs/$a-eval/
done
