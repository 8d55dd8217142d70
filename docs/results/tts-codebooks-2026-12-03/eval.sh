#!/bin/bash
# run from the project root after lm-train.sh: stage 3. Each LM packaged with its own codec (float32 weights,
# sampling at temperature 0.2 as the bundle's), then on the default corpus's 100 test sentences, and on the 40 + 60
# unseen sentences (recipes/data/unseen_sentences*.txt, rendered by rebuild-lm-data.sh): TTS WER (pocketsphinx, seed
# 0) beside the ground truth and beside each codec's own resynthesis of the test audio (the floor its TTS can reach);
# each LM's bits per second on the test split's tokens (lm.score), with each codec's unigram floor; paired TTS WER
# between the arms over all 200 sentences. R=exp/default/report-dn-<set>.
set -euo pipefail
ARMS=${ARMS:-"16384 16384-sgc 65536"}
REF=65536
P=.venv/bin/python
OUT=docs/results/tts-codebooks-2026-12-03
for arm in $ARMS; do
  $P -m pipelines.package --codec exp/voices4/codec/v4L-$arm-s1/final --lm exp/default/lm/dn-$arm/final \
    --out exp/default/tts/dn-$arm --temperature 0.2
done
tts=$(for arm in $ARMS; do echo --tts dn-$arm=exp/default/tts/dn-$arm; done)
codecs=$(for arm in $ARMS; do echo --codec v4L-$arm-s1=exp/voices4/codec/v4L-$arm-s1/final; done)
$P -m pipelines.evaluate compare $codecs $tts --manifest exp/default/data/test.jsonl --max-utts 100 \
  --out exp/default/report-dn-test --asr pocketsphinx --seed 0
for set in unseen unseen2; do
  $P -m pipelines.evaluate compare $tts --manifest exp/default/$set/test.jsonl --max-utts 100 \
    --out exp/default/report-dn-$set --asr pocketsphinx --seed 0
done
$P -m lm.score $(for arm in $ARMS; do T=exp/default/tokens/v4L-$arm-s1
    echo --lm $arm=exp/default/lm/dn-$arm/final:$T/test --unigram "$arm-unigram=$T/train:$T/test"; done) \
  --reference $REF --out exp/default/report-dn-test/lm_score
pairs=$(for arm in $ARMS; do [ $arm = $REF ] || echo dn-$REF:dn-$arm; done)
[[ " $ARMS " == *" 16384-sgc "* ]] && pairs="$pairs dn-16384:dn-16384-sgc"
$P scripts/paired_wer.py --folder tts exp/default/report-dn-test $pairs \
  --pool exp/default/report-dn-unseen --pool exp/default/report-dn-unseen2 > exp/default/report-dn-test/paired_tts_wer.txt
for set in test unseen unseen2; do
  mkdir -p $OUT/$set && cp exp/default/report-dn-$set/report.md exp/default/report-dn-$set/results.json \
    exp/default/report-dn-$set/*.png $OUT/$set/
done
cp -r exp/default/report-dn-test/lm_score exp/default/report-dn-test/paired_tts_wer.txt $OUT/test/
for arm in $ARMS; do cp exp/default/lm/dn-$arm/best/best.json $OUT/test/lm-$arm-best.json; done
