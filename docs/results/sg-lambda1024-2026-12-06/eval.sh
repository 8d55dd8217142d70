#!/bin/bash
# After train.sh: the λ 10 arms (seeds 3-5) and the λ 20 arm (seed 3) judged beside the 1024 arms of the same seeds
# without SG and with SG at λ 5 and the plain 16384 arms (all from the judging cache), on the slt corpus's 100 test
# and 80 dev utterances (pocketsphinx; PESQ, STOI, mel distance, QE, hidden MSE). Then, per split
# (scripts/seed_pooled.py, seeds pooled):
#   sg_effect_l10.jsonl   SG at λ 10 against plain 1024, per seed and pooled: does it win back the codebook's cost
#                         (codebook_cost.jsonl of docs/results/sg-codebook1024-2026-12-06)?
#   l10_vs_l5.jsonl       λ 10 against λ 5, same seeds: what doubling λ changes;
#   sg_effect_s3.jsonl    at seed 3, SG at λ 5, 10 and 20 against plain 1024 (the dose; "pooled" there means nothing);
#   paired.md, paired_wer_test_dev.txt (test + dev pooled), over_ground_truth.txt, hidden_energy.txt (test);
#   claims/ (test): claims 1-2 for the λ 10 and λ 20 pairs; claim 3's slot asks whether 1024 + SG at λ 10 matches
#   plain 16384.
# The new arms appear as c1024-sgc10-sN / c1024-sgc20-s3 (links in exp/sg-codebook/runs/). Waits for the arms'
# final/ folders. From the repository root.
set -euo pipefail
D=docs/results/sg-lambda1024-2026-12-06
C=exp/sg-codebook E=exp/sg-capacity
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
NEW=(same-sgc10-s3 same-sgc20-s3 same-sgc10-s4 same-sgc10-s5)
for a in "${NEW[@]}"; do
  until [ -f $C/$a/final/model.safetensors ]; do sleep 30; done
  ln -sfn ../$a $C/runs/${a/same/c1024}
done
codecs=() l10=() l10l5=() arms=()
for s in 3 4 5; do
  codecs+=(--codec same-s$s=$E/same-s$s/final --codec c1024-s$s=$C/same-s$s/final
           --codec c1024-sgc-s$s=$C/same-sgc-s$s/final --codec c1024-sgc10-s$s=$C/same-sgc10-s$s/final)
  l10+=(c1024-s$s:c1024-sgc10-s$s) l10l5+=(c1024-sgc-s$s:c1024-sgc10-s$s) arms+=(c1024-sgc10-s$s)
done
codecs+=(--codec c1024-sgc20-s3=$C/same-sgc20-s3/final) arms+=(c1024-sgc20-s3)
dose=(c1024-s3:c1024-sgc-s3 c1024-s3:c1024-sgc10-s3 c1024-s3:c1024-sgc20-s3)
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
PAIRS=("${l10[@]}" c1024-s3:c1024-sgc20-s3 "${l10l5[@]}" same-s3:c1024-sgc10-s3)
mkdir -p $D/test $D/dev $D/runs
for split in test:100 dev:80; do
  s=${split%%:*} r=$E/judged-${split%%:*}-new   # the cache that holds the 16384 and 1024 arms
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/$s.jsonl --max-utts ${split##*:} \
    --seed 0 --asr pocketsphinx --out $r > $C/judge-lambda-$s.log 2>&1
  $P scripts/seed_pooled.py $r "${l10[@]}" "${metrics[@]}" > $D/$s/sg_effect_l10.jsonl
  $P scripts/seed_pooled.py $r "${l10l5[@]}" "${metrics[@]}" > $D/$s/l10_vs_l5.jsonl
  $P scripts/seed_pooled.py $r "${dose[@]}" "${metrics[@]}" > $D/$s/sg_effect_s3.jsonl
  $P docs/results/codec-claims-gpu-2026-12-04/paired.py $r "${PAIRS[@]}" > $D/$s/paired.md
  cp $r/report.md $r/results.json $D/$s/
done
R=$E/judged-test-new
$P scripts/paired_wer.py $R "${PAIRS[@]}" --pool $E/judged-dev-new > $D/test/paired_wer_test_dev.txt
$P scripts/paired_wer.py $R $(for a in "${arms[@]}"; do echo ground_truth:$a; done) --pool $E/judged-dev-new \
  > $D/test/over_ground_truth.txt
$P -m pipelines.claims --report $R --runs $C/runs $(for p in "${l10[@]}"; do echo --pair $p; done) \
  --pair c1024-s3:c1024-sgc20-s3 --reference same-s3 --candidate c1024-sgc10-s3 --out $D/test/claims > /dev/null
$P scripts/hidden_energy.py $(for a in "${arms[@]}"; do echo $C/runs/$a/final; done) --tap last_block \
  --manifest exp/default/data/test.jsonl --n 100 > $D/test/hidden_energy.txt
for a in "${arms[@]}"; do
  gzip -9c $C/runs/$a/metrics.jsonl > $D/runs/$a.metrics.jsonl.gz
  mkdir -p $D/runs/$a-eval && cp $C/runs/$a/eval/*.json $D/runs/$a-eval/
done
