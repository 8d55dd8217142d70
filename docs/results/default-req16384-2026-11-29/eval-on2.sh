#!/bin/bash
set -e
P=.venv/bin/python
NEW=req16384on2-t0.2
$P -m pipelines.package --codec exp/default/codec/req-16384/final --lm exp/default/lm/req16384-on2/final \
  --out exp/default/tts/$NEW --head-dtype bfloat16 --layer-dtype bfloat16 --lm-dtype float16 \
  --codec-decoder-dtype float16 --temperature 0.2
for pair in test:exp/default/data/test.jsonl:100 unseen:exp/default/unseen/test.jsonl:40 \
            unseen2:exp/default/unseen2/test.jsonl:60 dev:exp/default/data/dev.jsonl:80; do
  IFS=: read set manifest n <<< "$pair"
  out=exp/default/report-req16384-$set
  $P -m pipelines.evaluate compare --tts wn3000-t0.2-grow6-f16=exp/default/tts/wn3000-t0.2-grow6-f16 \
    --tts req16384on-t0.2=exp/default/tts/req16384on-t0.2 --tts $NEW=exp/default/tts/$NEW \
    --manifest $manifest --max-utts $n --out $out --asr pocketsphinx --seed 0 > exp/default/eval-req16384on2-$set.log 2>&1
  grep -a "|" $out/report.md | head -8
done
for pair in wn3000-t0.2-grow6-f16:$NEW req16384on-t0.2:$NEW; do
  $P scripts/paired_wer.py --folder tts exp/default/report-req16384-test $pair \
    --pool exp/default/report-req16384-unseen --pool exp/default/report-req16384-unseen2 --pool exp/default/report-req16384-dev
done
