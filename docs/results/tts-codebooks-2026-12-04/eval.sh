#!/bin/bash
# run from the project root after the device call of scripts/gpu/tts_codebooks.sh (issue 7, 2026-12-04): unpack what
# it returned, then judge here, on the CPU, with pocketsphinx: each codec's resynthesis of the test split, and each
# arm's TTS from the codes it generated there (`compare --tts-codes`, decoded by the arm's returned codec, whose
# fingerprint the codes file names), on the 100 test and 40 + 60 unseen sentences; paired TTS WER between the arms.
# The corpus here, rendered as there (byte-identical, docs/GPU.md):
#   python -m pipelines.corpus synth --out exp/default/data --voices slt --max-utts 14985 --seed 0 \
#     --dev-fraction 0.01 --test-fraction 0.0125 --held-out-of 8000
#   python -m pipelines.corpus synth --out exp/default/unseen --voices slt --max-utts 40 \
#     --text recipes/data/unseen_sentences.txt --dev-fraction 0 --test-fraction 1 --seed 0     # and unseen2: 60
# What the device calls returned, unpacked in the project root first (2026-12-04: four calls, /work/.device/1-4/;
# docs/results/tts-codebooks-2026-12-04/README.md says why four):
#   tar -xf 2/results.tar && cat 2/codecs.tar.part-* | tar -xf - && tar -xf 3/results2.tar && tar -xf 4/lm_score.tar
set -euo pipefail
D=docs/results/tts-codebooks-2026-12-04
G=exp/gpu7
P=.venv/bin/python
ARMS="65536 16384 16384-sgc"
export OMP_NUM_THREADS=1
codes() { for a in $ARMS; do echo --tts-codes "dn-$a=$G/tts/$a/codec:$G/report-$1/tts/dn-$a/codes.safetensors"; done; }
judge() {  # report name, manifest, systems...
  local out=$G/judged-$1 m=$2; shift 2
  $P -m pipelines.evaluate compare "$@" --manifest "$m" --max-utts 100 --out "$out" --asr pocketsphinx --seed 0
}
# two processes at a time on the 2 cores: the codecs' resynthesis, then the three TTS sets
(judge test exp/default/data/test.jsonl $(for a in $ARMS; do echo --codec c-$a=$G/tts/$a/codec; done) $(codes data) \
  --unquantized) \
  > $G/judge-test.log 2>&1 &
(judge unseen exp/default/unseen/test.jsonl $(codes unseen) && judge unseen2 exp/default/unseen2/test.jsonl \
  $(codes unseen2)) > $G/judge-unseen.log 2>&1 &
wait
R=$G/judged-test
$P scripts/paired_wer.py --folder tts $R dn-65536:dn-16384 dn-65536:dn-16384-sgc dn-16384:dn-16384-sgc \
  --pool $G/judged-unseen --pool $G/judged-unseen2 > $R/paired_tts_wer.txt
$P scripts/paired_wer.py --folder tts $R dn-65536:dn-16384 dn-65536:dn-16384-sgc dn-16384:dn-16384-sgc \
  > $R/paired_tts_wer_test_only.txt
$P scripts/paired_wer.py $R c-65536:c-16384 c-65536:c-16384-sgc c-16384:c-16384-sgc > $R/paired_codec_wer.txt
for set in test unseen unseen2; do
  mkdir -p $D/$set && cp $G/judged-$set/report.md $G/judged-$set/results.json $G/judged-$set/*.png $D/$set/
done
cp $R/paired_*.txt $D/test/
mkdir -p $D/gpu && cp -r $G/lm_score $D/gpu/
for a in $ARMS; do cp $G/lm/$a/best/best.json $D/gpu/lm-$a-best.json; done
# the codec claims on the same report (issue 6): each codec's dev evaluation as its run folder
for a in $ARMS; do mkdir -p $G/runs/c-$a && cp -r $G/codec/$a/eval $G/runs/c-$a/; done
$P -m pipelines.claims --report $R --runs $G/runs --pair c-16384:c-16384-sgc --reference c-65536 \
  --candidate c-16384-sgc --out $G/claims
mkdir -p $D/test/claims && cp $G/claims/claims.md $G/claims/claims.json $D/test/claims/
