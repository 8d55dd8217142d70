"""Paired difference of two LMs' bits per second of audio on the same utterances (lm.score's scores.json), with a
bootstrap CI over utterances: python docs/results/tts-codebooks-2026-12-04/paired_bits.py SCORES.json BASE OTHER"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from pipelines.claims import paired_ci  # noqa: E402

scores = json.load(open(sys.argv[1]))
base, other = ({r["id"]: r for r in scores[name]} for name in sys.argv[2:4])
ids = sorted(base)
bits = np.array([[base[i]["bits"], other[i]["bits"]] for i in ids])
seconds = np.array([base[i]["seconds"] for i in ids])
ci = paired_ci(lambda idx: (bits[idx, 1].sum(1) - bits[idx, 0].sum(1)) / seconds[idx].sum(1), len(ids))
print(json.dumps({"base": sys.argv[2], "other": sys.argv[3], "difference_bits_per_s": (bits[:, 1] - bits[:, 0]).sum() / seconds.sum(),
                  "ci": list(ci), "utterances": len(ids)}))
