#!/bin/bash
# Run from the project root after the two device calls of scripts/gpu/codec_claims.sh (issue 6, 2026-12-04, H200):
# unpack what they returned into exp/gpu6, then judge here on the CPU with pocketsphinx, on the default corpus's 100
# test utterances (exp/default/data, rendered as in docs/results/tts-codebooks-2026-12-04/eval.sh's header):
#   mkdir -p exp/gpu6 && cd exp/gpu6 && cat /work/.device/1/codecs.tar.part-* /work/.device/2/codecs.tar.part-* \
#     | tar -xf - && tar -xf /work/.device/1/logs.tar && mv exp/gpu6/* . && rm -r exp && cd -
# Rows: the five codecs of this run (2000 mel-only steps; 1000 with the GAN), issue 7's 16384 codec of the same
# recipe at 800 steps (exp/gpu7/tts/16384/codec, returned 2026-12-04) and their common ancestor, the bundled codec.
set -euo pipefail
D=docs/results/codec-claims-gpu-2026-12-04
G=exp/gpu6
P=.venv/bin/python
ARMS="65536 16384 16384-sgc 16384-gan 16384-sgc-gan"
export OMP_NUM_THREADS=2
$P -m pipelines.evaluate compare $(for a in $ARMS; do echo --codec c-$a=$G/send/$a; done) \
  --codec c-16384-800=exp/gpu7/tts/16384/codec --codec bundle=pipelines/default_model/codec \
  --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 --asr pocketsphinx --unquantized \
  --out $G/judged-test > $G/judge-test.log 2>&1
R=$G/judged-test
$P scripts/paired_wer.py $R c-65536:c-16384 c-65536:c-16384-sgc c-16384:c-16384-sgc c-16384-gan:c-16384-sgc-gan \
  c-16384:c-16384-gan c-16384-sgc:c-16384-sgc-gan c-16384-800:c-16384 bundle:c-16384 bundle:c-16384-gan \
  > $R/paired_codec_wer.txt
# the claims: the mel-only family as issue 7's (reference 65536), and the GAN pair (claims 1-2; its claim-3 row is
# against the mel-only 65536, which trained twice the steps without the GAN)
for a in $ARMS; do mkdir -p $G/runs/c-$a && cp -r $G/logs/$a.eval $G/runs/c-$a/eval \
  && cp $G/logs/$a.metrics.jsonl $G/runs/c-$a/metrics.jsonl; done
$P -m pipelines.claims --report $R --runs $G/runs --pair c-16384:c-16384-sgc --reference c-65536 \
  --candidate c-16384-sgc --out $G/claims-mel
$P -m pipelines.claims --report $R --runs $G/runs --pair c-16384-gan:c-16384-sgc-gan --reference c-65536 \
  --candidate c-16384-sgc-gan --out $G/claims-gan
mkdir -p $D/test $D/gpu
cp $R/report.md $R/results.json $R/*.png $R/paired_codec_wer.txt $D/test/
for c in mel gan; do mkdir -p $D/test/claims-$c && cp $G/claims-$c/* $D/test/claims-$c/; done
cp -r $G/logs/*.metrics.jsonl $G/logs/*.eval /work/.device/1/session.log $D/gpu/
