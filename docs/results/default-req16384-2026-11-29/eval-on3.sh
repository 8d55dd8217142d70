#!/bin/bash
# run from the project root after lm-train-on3.sh has run all its 3000 steps: package the continued LM with the
# bundle's codec and sampling, then evaluate it beside the bundle (both synthesized afresh, seed 0) on the four sets,
# and pair them utterance by utterance. OLD is pipelines/default_model as it is now: run this before re-bundling.
set -e
P=.venv/bin/python
OLD=req16384on2-t0.2
NEW=req16384on3-t0.2
$P -m pipelines.package --codec pipelines/default_model/codec --lm exp/default/lm/req16384-on3/final \
  --out exp/default/tts/$NEW --head-dtype bfloat16 --layer-dtype bfloat16 --lm-dtype float16 \
  --codec-decoder-dtype float16 --temperature 0.2
for pair in unseen:exp/default/unseen/test.jsonl:40 unseen2:exp/default/unseen2/test.jsonl:60 \
            dev:exp/default/data/dev.jsonl:80 test:exp/default/data/test.jsonl:100; do
  IFS=: read set manifest n <<< "$pair"
  out=exp/default/report-on3-$set
  $P -m pipelines.evaluate compare --tts $OLD=pipelines/default_model --tts $NEW=exp/default/tts/$NEW \
    --manifest $manifest --max-utts $n --out $out --asr pocketsphinx --seed 0 > exp/default/eval-on3-$set.log 2>&1
  grep -a "|" $out/report.md | head -6
done
$P scripts/paired_wer.py --folder tts exp/default/report-on3-test $OLD:$NEW --pool exp/default/report-on3-unseen \
  --pool exp/default/report-on3-unseen2 --pool exp/default/report-on3-dev
for set in unseen unseen2 dev test; do $P scripts/paired_wer.py --folder tts exp/default/report-on3-$set $OLD:$NEW; done
