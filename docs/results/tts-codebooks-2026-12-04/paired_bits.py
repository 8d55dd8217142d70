"""Paired difference of two LMs' bits per second of audio on the same utterances (lm.score's scores.json), with a
bootstrap CI over utterances: python docs/results/tts-codebooks-2026-12-04/paired_bits.py SCORES.json BASE OTHER"""
import json
import sys

import numpy as np

scores = json.load(open(sys.argv[1]))
base, other = ({r["id"]: r for r in scores[name]} for name in sys.argv[2:4])
ids = sorted(base)
bits = np.array([[base[i]["bits"], other[i]["bits"]] for i in ids])
seconds = np.array([base[i]["seconds"] for i in ids])
idx = np.random.default_rng(0).integers(0, len(ids), (2000, len(ids)))
diff = (bits[idx, 1].sum(1) - bits[idx, 0].sum(1)) / seconds[idx].sum(1)
print(json.dumps({"base": sys.argv[2], "other": sys.argv[3], "difference_bits_per_s": (bits[:, 1] - bits[:, 0]).sum() / seconds.sum(),
                  "ci": list(np.percentile(diff, [2.5, 97.5])), "utterances": len(ids)}))
