"""Paired end-to-end A/B of two TTS folders (the bundle with bfloat16 copies, the same with float16 ones), one
process, 2 threads, arms interleaved round by round; each as bundled (sampling.half_precision "where_faster": the
copies apply where they time faster, decided on first use and kept). Real-time factor per input, median over rounds
after a warm-up round, and the paired ratio new / old per round. The inputs: benchmarks tts's short sentence, the
README's sentence (what ./run.sh speaks) and a paragraph of four different sentences.

    .venv/bin/python docs/results/fp16-packed-2026-12-07/e2e_ab.py OLD_DIR NEW_DIR [ROUNDS]
"""
import json
import statistics
import sys
import time

import torch

from benchmarks.tts import SHORT_SENTENCE
from pipelines.tts import TTSPipeline

INPUTS = {"short_sentence": SHORT_SENTENCE,
          "run_sh_sentence": "The quick brown fox jumps over the lazy dog, and then it runs away into the forest.",
          "paragraph_4_sentences": "The sun was setting behind the hills. A small boat drifted slowly across the "
                                   "lake. Nobody on the shore seemed to notice it. Later that night, the wind began "
                                   "to rise."}

torch.set_num_threads(2)
old, new = (TTSPipeline.from_pretrained(d) for d in sys.argv[1:3])
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
rtf = {(arm, name): [] for arm in ("old", "new") for name in INPUTS}
for r in range(rounds + 1):  # round 0 warms up (and makes each pipeline's per-batch-size verdict)
    for name, text in INPUTS.items():
        for arm, pipeline in (("old", old), ("new", new)):
            start = time.perf_counter()
            out = pipeline(text, seed=0)
            seconds = time.perf_counter() - start
            if r:
                rtf[arm, name].append(seconds / (len(out["audio"]) / out["sampling_rate"]))
rows = []
for name in INPUTS:
    a, b = rtf["old", name], rtf["new", name]
    rows.append({"input": name, "rtf_old_median": statistics.median(a), "rtf_new_median": statistics.median(b),
                 "paired_ratio_median": statistics.median(y / x for x, y in zip(a, b)),
                 "rtf_old": a, "rtf_new": b})
    print(f"{name:24s} RTF {rows[-1]['rtf_old_median']:.3f} -> {rows[-1]['rtf_new_median']:.3f} "
          f"(paired x{rows[-1]['paired_ratio_median']:.2f})", file=sys.stderr)
print(json.dumps({"old": sys.argv[1], "new": sys.argv[2], "rounds": rounds, "threads": 2,
                  "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__,
                  "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": rows}))
