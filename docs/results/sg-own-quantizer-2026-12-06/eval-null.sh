#!/bin/bash
# After train-null.sh: the null twins judged into the same cache (as own-sgc0-sN), then per split:
#   null_vs_plain.jsonl   null − plain per seed and pooled: the drift between near-identical runs here;
#   sg_vs_null.jsonl      SG − null per seed and pooled;
#   sg_vs_twins.jsonl     SG against the mean of both its no-SG twins (plain + null), per seed and pooled;
# and on test the WER over test + dev (null_paired_wer_test_dev.txt). Waits for the arms. From the repository root.
set -euo pipefail
D=docs/results/sg-own-quantizer-2026-12-06
O=exp/sg-own E=exp/sg-capacity
P=.venv/bin/python
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
codecs=() null=() sgnull=() twins=()
for s in 3 4; do
  until [ -f $O/same-sgc0-s$s/final/model.safetensors ]; do sleep 30; done
  ln -sfn ../same-sgc0-s$s $O/runs/own-sgc0-s$s
  codecs+=(--codec own-sgc0-s$s=$O/same-sgc0-s$s/final --codec own-s$s=$O/same-s$s/final
           --codec own-sgc-s$s=$O/same-sgc-s$s/final)
  null+=(own-s$s:own-sgc0-s$s) sgnull+=(own-sgc0-s$s:own-sgc-s$s) twins+=(own-s$s+own-sgc0-s$s:own-sgc-s$s)
done
metrics=(--metric pesq_wb --metric pesq_nb --metric stoi --metric mel_distance --metric wer)
for split in test:100 dev:80; do
  s=${split%%:*} r=$E/judged-${split%%:*}-new
  $P -m pipelines.evaluate compare "${codecs[@]}" --manifest exp/default/data/$s.jsonl --max-utts ${split##*:} \
    --seed 0 --asr pocketsphinx --out $r > $O/judge-null-$s.log 2>&1
  $P scripts/seed_pooled.py $r "${null[@]}" "${metrics[@]}" > $D/$s/null_vs_plain.jsonl
  $P scripts/seed_pooled.py $r "${sgnull[@]}" "${metrics[@]}" > $D/$s/sg_vs_null.jsonl
  $P scripts/seed_pooled.py $r "${twins[@]}" "${metrics[@]}" > $D/$s/sg_vs_twins.jsonl
  cp $r/report.md $D/$s/report-null.md
done
$P scripts/paired_wer.py $E/judged-test-new "${null[@]}" "${sgnull[@]}" --pool $E/judged-dev-new \
  > $D/test/null_paired_wer_test_dev.txt
for s in 3 4; do
  gzip -9c $O/runs/own-sgc0-s$s/metrics.jsonl > $D/runs/own-sgc0-s$s.metrics.jsonl.gz
  mkdir -p $D/runs/own-sgc0-s$s-eval && cp $O/runs/own-sgc0-s$s/eval/*.json $D/runs/own-sgc0-s$s-eval/
done
