"""Substitution / deletion / insertion rates of each TTS arm's judged transcripts (2026-12-04, issue 7):
python docs/results/tts-codebooks-2026-12-04/error_kinds.py exp/gpu7   (after eval.sh)"""
import json
import sys

import jiwer

from lm.normalize import normalize_text

root = sys.argv[1]
for s in ["test", "unseen", "unseen2"]:
    for a in ["65536", "16384", "16384-sgc"]:
        rows = json.load(open(f"{root}/judged-{s}/tts/dn-{a}/results.json"))["wer"]["per_utterance"]
        refs = [normalize_text(r["reference"]) for r in rows]
        hyps = [normalize_text(r.get("hypothesis", "")) for r in rows]
        o = jiwer.process_words(refs, hyps)  # an empty output: every reference word a deletion
        n = sum(len(r.split()) for r in refs)
        print(f"{s} {a}: S {o.substitutions / n:.3f} D {o.deletions / n:.3f} I {o.insertions / n:.3f}, "
              f"empty outputs {sum(1 for h in hyps if not h)}")
