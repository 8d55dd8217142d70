#!/bin/bash
# TTS with the bundled default model on the 100 test sentences, then the very same LM codes decoded by each arm's
# decoder (the tokenizer was frozen, so the codes mean the same to all three): the decoder's effect on TTS, with
# the LM's sampling held fixed. Run from the repository root after eval.sh.
set -euo pipefail
D=docs/results/cepstral-2026-12-04
E=${OUT:-exp/cepstral}
P=.venv/bin/python
export OMP_NUM_THREADS=2
$P -m pipelines.evaluate compare --tts bundle=pipelines/default_model --manifest exp/default/data/test.jsonl \
  --max-utts 100 --seed 0 --asr pocketsphinx --out $E/tts-test > $E/tts-test.log 2>&1
K=$E/tts-test/tts/bundle/codes.safetensors
$P -m pipelines.evaluate compare --tts-codes bundle=pipelines/default_model/codec:$K --tts-codes mel=$E/mel/final:$K \
  --tts-codes cepstral=$E/cepstral/final:$K \
  --manifest exp/default/data/test.jsonl --max-utts 100 --seed 0 --asr pocketsphinx --out $E/tts-test-decoders \
  > $E/tts-test-decoders.log 2>&1
$P scripts/paired_wer.py $E/tts-test-decoders bundle:mel bundle:cepstral mel:cepstral --folder tts > $E/tts-test-decoders/paired_tts_wer.txt
mkdir -p $D/tts
cp $E/tts-test/report.md $D/tts/bundle-report.md
cp $E/tts-test-decoders/report.md $E/tts-test-decoders/paired_tts_wer.txt $D/tts/
