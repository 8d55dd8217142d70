#!/bin/bash
# After train.sh: the all-blocks arms (same-sgca-s3..5) judged beside their plain and null twins and the last-block
# SG arms of the same seeds, on test (100) and dev (80) with pocketsphinx and on the 500 WordNet utterances without it
# (sg-wordnet-judge-2026-12-06; the other arms come from each folder's cache). Each all-blocks arm is judged through a
# view, final-lasttap/ (its weights, its config with sg_tap "last_block"): the tap changes training and where
# diagnose() measures the hidden MSE, nothing in the inference path, so the view's hidden MSE is at the twins' tap
# (claim 2 comparable) and its audio is the arm's. Per set (test/, dev/, wordnet/):
#   all_vs_two_baselines.jsonl (+ _across)  all-blocks SG against the mean of both no-SG twins, per seed, pooled, t;
#   all_vs_last.jsonl (+ _across)           all-blocks SG against last-block SG of the same seed;
#   claims/                                 claims 1-2 for the three pairs (plain twin : all-blocks arm), test only;
# and runs/ (training metrics, eval records). From the repository root.
set -euo pipefail
D=docs/results/sg-tap-2026-12-06 A=docs/results/sg-seed3-2026-12-05
E=exp/sg-capacity
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
SEEDS=(3 4 5)
codecs=() both=() last=() pairs=()
for s in "${SEEDS[@]}"; do
  until [ -f $E/same-sgca-s$s/final/model.safetensors ]; do sleep 30; done
  v=$E/same-sgca-s$s/final-lasttap
  mkdir -p $v && ln -sf ../final/model.safetensors $v/model.safetensors
  $P -c "import json,sys; c=json.load(open(sys.argv[1])); c['sg_tap']='last_block'; json.dump(c,open(sys.argv[2],'w'),indent=2)" \
    $E/same-sgca-s$s/final/config.json $v/config.json
  codecs+=(--codec same-s$s=$E/same-s$s/final --codec same-sgc0-s$s=$E/same-sgc0-s$s/final
           --codec same-sgc-s$s=$E/same-sgc-s$s/final --codec same-sgca-s$s=$v)
  both+=(same-s$s+same-sgc0-s$s:same-sgca-s$s) last+=(same-sgc-s$s:same-sgca-s$s) pairs+=(--pair same-s$s:same-sgca-s$s)
done
mkdir -p $D/test $D/dev $D/wordnet $D/runs
for split in test:exp/default/data/test.jsonl:$E/judged-test-new:pocketsphinx \
             dev:exp/default/data/dev.jsonl:$E/judged-dev-new:pocketsphinx \
             wordnet:exp/wn-judge/data/test.jsonl:exp/wn-judge/judged:none; do
  IFS=: read -r name manifest r asr <<< "$split"
  metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance)
  [ "$asr" = none ] || metrics+=(--metric wer)
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest $manifest --seed 0 --asr $asr --out $r \
    > exp/sg-capacity/judge-$name-tap.log 2>&1
  $P scripts/seed_pooled.py $r "${both[@]}" "${metrics[@]}" > $D/$name/all_vs_two_baselines.jsonl
  $P $A/across_seeds.py $D/$name/all_vs_two_baselines.jsonl > $D/$name/all_vs_two_baselines_across.jsonl
  $P scripts/seed_pooled.py $r "${last[@]}" "${metrics[@]}" > $D/$name/all_vs_last.jsonl
  $P $A/across_seeds.py $D/$name/all_vs_last.jsonl > $D/$name/all_vs_last_across.jsonl
  cp $r/report.md $D/$name/
done
$P -m pipelines.claims --report $E/judged-test-new --runs $E "${pairs[@]}" --reference same-s3 \
  --candidate same-sgca-s3 --out $D/claims > /dev/null
for s in "${SEEDS[@]}"; do
  gzip -9c $E/same-sgca-s$s/metrics.jsonl > $D/runs/same-sgca-s$s.metrics.jsonl.gz
  mkdir -p $D/runs/same-sgca-s$s-eval && cp $E/same-sgca-s$s/eval/*.json $D/runs/same-sgca-s$s-eval/
done
