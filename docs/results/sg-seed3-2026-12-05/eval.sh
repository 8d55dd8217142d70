#!/bin/bash
# After train.sh (SEEDS: the seeds it was run with): judge the rebuilt 6-block start and the pair at each seed on
# the test (100) and dev (80) splits (rerun after a later seed: the arms judged before are reused), then SG's paired
# effect at those seeds (sg_effect_new_seeds.jsonl: each seed's, and pooled over utterances), the same effect over
# every seed with the spread between seeds (across_seeds.py: seeds 1 and 2 from docs/results/sg-capacity-2026-12-05,
# whose per-utterance files did not survive the machine, so all seeds are combined through their per-seed means:
# mean, standard deviation, t interval), claims 1-2 per seed, paired WER, the tap's energy. From the repository root.
# As run: SEEDS=3, then SEEDS="3 4", then SEEDS="3 4 5", then SEEDS="3 4 5 6 7" (2026-12-06), then "3 4 5 6 7 8"
# (sg-drift-2026-12-06's eval.sh), then "3 4 5 6 7 8 9" (after sg-null-2026-12-06's train-s9.sh);
# {test,dev}/sg_effect_6_{three,four,five,eight}_seeds.jsonl are the earlier runs' sg_effect_6_all_seeds.jsonl (seeds
# 1-3, 1-4, 1-5, 1-8; the five-seed one remade with across_seeds.py's sign test), kept when a later run overwrote them.
set -euo pipefail
D=docs/results/sg-seed3-2026-12-05
C=docs/results/sg-capacity-2026-12-05
E=${OUT:-exp/sg-capacity}
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
SEEDS=(${SEEDS:-3})
NEW=() PAIRS=()
for s in "${SEEDS[@]}"; do NEW+=(same-s$s same-sgc-s$s); PAIRS+=(same-s$s:same-sgc-s$s); done
for arm in "${NEW[@]}"; do until [ -f $E/$arm/final/model.safetensors ]; do sleep 30; done; done
codecs=(--codec start-same=exp/decoder-deeper/same/final)
for arm in "${NEW[@]}"; do codecs+=(--codec $arm=$E/$arm/final); done
for split in test:100 dev:80; do
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/${split%%:*}.jsonl \
    --max-utts ${split##*:} --seed 0 --asr pocketsphinx --out $E/judged-${split%%:*}-new \
    > $E/judge-${split%%:*}-new.log 2>&1
done
R=$E/judged-test-new
# claim 3 needs a reference: the plain arm stands in (the pair's own comparison, no 65536 codec here)
for s in "${SEEDS[@]}"; do
  $P -m pipelines.claims --report $R --runs $E --pair same-s$s:same-sgc-s$s --reference same-s$s \
    --candidate same-sgc-s$s --out $R/claims-s$s > /dev/null
done
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
for split in test dev; do
  r=$E/judged-$split-new
  $P scripts/seed_pooled.py $r "${PAIRS[@]}" "${metrics[@]}" > $r/sg_effect_new_seeds.jsonl
  $P $D/across_seeds.py $C/$split/sg_effect_6_seeds.jsonl $r/sg_effect_new_seeds.jsonl > $r/sg_effect_6_all_seeds.jsonl
done
$P scripts/paired_wer.py $R "${PAIRS[@]}" --pool $E/judged-dev-new > $R/paired_wer_test_dev.txt
$P scripts/paired_wer.py $R ground_truth:start-same "${NEW[@]/#/ground_truth:}" > $R/over_ground_truth.txt
finals=(); for arm in "${NEW[@]}"; do finals+=($E/$arm/final); done
$P scripts/hidden_energy.py "${finals[@]}" --tap last_block --manifest exp/default/data/test.jsonl --n 100 \
  > $R/hidden_energy.txt
mkdir -p $D/test $D/dev $D/runs
cp -r $R/report.md $R/results.json $R/claims-s* $R/sg_effect_new_seeds.jsonl $R/sg_effect_6_all_seeds.jsonl \
  $R/paired_wer_test_dev.txt $R/over_ground_truth.txt $R/hidden_energy.txt $D/test/
cp $E/judged-dev-new/report.md $E/judged-dev-new/results.json $E/judged-dev-new/sg_effect_new_seeds.jsonl \
  $E/judged-dev-new/sg_effect_6_all_seeds.jsonl $D/dev/
for arm in "${NEW[@]}"; do
  gzip -9c $E/$arm/metrics.jsonl > $D/runs/$arm.metrics.jsonl.gz
  mkdir -p $D/runs/$arm-eval && cp $E/$arm/eval/*.json $D/runs/$arm-eval/
done
gzip -9c exp/decoder-deeper/same/metrics.jsonl > $D/runs/same-rebuilt.metrics.jsonl.gz
mkdir -p $D/runs/same-rebuilt-eval && cp exp/decoder-deeper/same/eval/*.json $D/runs/same-rebuilt-eval/
$P $D/plot.py   # sg_effect_by_seed.png, from the records just copied
