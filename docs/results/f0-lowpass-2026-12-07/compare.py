"""Pitch scores and cepstral distance of the bundled codec's resynthesis before (commit a75a6ef) and after f0_track's
1.5 kHz low-pass and the cepstra's relative floor, on 40 utterances of the four flite voices. From the repository root:

    .venv/bin/python -m pipelines.corpus synth --out /tmp/f0corpus --voices slt,rms,awb,kal16 --max-utts 40 \
        --seed 3 --dev-fraction 0 --test-fraction 1
    .venv/bin/python docs/results/f0-lowpass-2026-12-07/compare.py /tmp/f0corpus/test.jsonl   # -> output.txt
"""
import importlib.util
import subprocess
import sys
import tempfile

import numpy as np
import torch

from codec import Codec
from codec.audio import load_audio
from codec.data import read_manifest
from pipelines import metrics as new

with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
    f.write(subprocess.run(["git", "show", "a75a6ef:pipelines/metrics.py"], capture_output=True, text=True,
                           check=True).stdout)
spec = importlib.util.spec_from_file_location("old_metrics", f.name)
old = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)
codec = Codec.from_pretrained("pipelines/default_model/codec")
rows = {"before": [], "after": []}
for u in read_manifest(sys.argv[1]):
    wav = load_audio(u.audio, codec.sample_rate)
    with torch.inference_mode():
        codes, n = codec.encode(torch.from_numpy(wav)[None])
        out = codec.decode(codes, n)[0, : len(wav)].float().numpy()
    for name, m in (("before", old), ("after", new)):
        rows[name].append({**m.pitch_scores(wav, out, codec.sample_rate),
                           "cepstral_distance": m.cepstral_distance(wav, out, codec.sample_rate)})
for name, r in rows.items():
    print(name, {k: round(float(np.nanmean([x[k] for x in r])), 4) for k in ("f0_corr", "gross_pitch_error",
                                                                               "voicing_error", "cepstral_distance")}, len(r), "utterances")
