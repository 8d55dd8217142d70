#!/bin/bash
# After train.sh and train-s5.sh: the 1024 arms of SEEDS (default 3 4 5) judged beside the 16384 arms of the same
# seeds (plain, SG, null: sg-capacity's and sg-null's, reused from the judging cache) and the start, on the slt
# corpus's 100 test and 80 dev utterances (pocketsphinx; PESQ, STOI, mel distance, QE, hidden MSE). Then, per split (scripts/seed_pooled.py, seeds pooled):
#   codebook_cost.jsonl   what the 16x smaller codebook costs, without SG (16384 -> 1024, same seed and batches);
#   sg_effect_1024.jsonl  SG's effect at 1024 (SG - plain), per seed and pooled: does it win back part of that cost?
#   sg_effect_16384.jsonl SG's effect at 16384 at the same seeds, against both of its no-SG twins (plain + null);
#   sg_by_codebook_sN.jsonl  at seed N, the two SG effects and their contrast (1024's minus 16384's against plain):
#                         the interaction, utterance by utterance;
#   paired.md, paired_wer_test_dev.txt (test + dev pooled), over_ground_truth.txt, hidden_energy.txt (test);
#   claims/ (test): claims 1-2 for the 1024 pairs; claim 3's slot asks whether 1024 + SG matches plain 16384.
# The 1024 arms appear as c1024-sN / c1024-sgc-sN (exp/sg-codebook/runs/: links to train.sh's folders, for
# pipelines.claims --runs, where "same-s3" must not find the 1024 arm of that name).
# Waits for the arms' final/ folders. From the repository root.
set -euo pipefail
D=docs/results/sg-codebook1024-2026-12-06
C=exp/sg-codebook E=exp/sg-capacity
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
SEEDS=(${SEEDS:-3 4 5})
for s in "${SEEDS[@]}"; do for a in same same-sgc; do
  until [ -f $C/$a-s$s/final/model.safetensors ]; do sleep 30; done
  mkdir -p $C/runs && ln -sfn ../$a-s$s $C/runs/${a/same/c1024}-s$s
done; done
codecs=(--codec start-same=exp/decoder-deeper/same/final) cost=() sg1024=() sg16384=() arms1024=()
for s in "${SEEDS[@]}"; do
  codecs+=(--codec same-s$s=$E/same-s$s/final --codec same-sgc-s$s=$E/same-sgc-s$s/final
           --codec same-sgc0-s$s=$E/same-sgc0-s$s/final
           --codec c1024-s$s=$C/same-s$s/final --codec c1024-sgc-s$s=$C/same-sgc-s$s/final)
  cost+=(same-s$s:c1024-s$s) sg1024+=(c1024-s$s:c1024-sgc-s$s) sg16384+=(same-s$s+same-sgc0-s$s:same-sgc-s$s)
  arms1024+=(c1024-s$s c1024-sgc-s$s)
done
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
PAIRS=("${cost[@]}" "${sg1024[@]}" $(for s in "${SEEDS[@]}"; do echo same-sgc-s$s:c1024-sgc-s$s; done))
mkdir -p $D/test $D/dev $D/runs
for split in test:100 dev:80; do
  s=${split%%:*} r=$E/judged-${split%%:*}-new   # the cache that holds the 16384 arms
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/$s.jsonl --max-utts ${split##*:} \
    --seed 0 --asr pocketsphinx --out $r > $C/judge-$s.log 2>&1
  $P scripts/seed_pooled.py $r "${cost[@]}" "${metrics[@]}" > $D/$s/codebook_cost.jsonl
  $P scripts/seed_pooled.py $r "${sg1024[@]}" "${metrics[@]}" > $D/$s/sg_effect_1024.jsonl
  $P scripts/seed_pooled.py $r "${sg16384[@]}" "${metrics[@]}" > $D/$s/sg_effect_16384.jsonl
  for seed in "${SEEDS[@]}"; do
    $P scripts/seed_pooled.py $r same-s$seed:same-sgc-s$seed c1024-s$seed:c1024-sgc-s$seed "${metrics[@]}" \
      > $D/$s/sg_by_codebook_s$seed.jsonl
  done
  $P docs/results/codec-claims-gpu-2026-12-04/paired.py $r "${PAIRS[@]}" > $D/$s/paired.md
  cp $r/report.md $r/results.json $D/$s/
done
R=$E/judged-test-new
$P scripts/paired_wer.py $R "${PAIRS[@]}" --pool $E/judged-dev-new > $D/test/paired_wer_test_dev.txt
$P scripts/paired_wer.py $R $(for a in "${arms1024[@]}"; do echo ground_truth:$a; done) --pool $E/judged-dev-new \
  > $D/test/over_ground_truth.txt
$P -m pipelines.claims --report $R --runs $C/runs $(for s in "${SEEDS[@]}"; do echo --pair c1024-s$s:c1024-sgc-s$s; done) \
  --reference same-s3 --candidate c1024-sgc-s3 --out $D/test/claims > /dev/null
$P scripts/hidden_energy.py $(for a in "${arms1024[@]}"; do echo $C/runs/$a/final; done) --tap last_block \
  --manifest exp/default/data/test.jsonl --n 100 > $D/test/hidden_energy.txt
for a in "${arms1024[@]}"; do
  gzip -9c $C/runs/$a/metrics.jsonl > $D/runs/$a.metrics.jsonl.gz
  mkdir -p $D/runs/$a-eval && cp $C/runs/$a/eval/*.json $D/runs/$a-eval/
done
