"""Where a fresh process's first synthesis call goes (what ./run.sh does: one sentence, then exit), against the
second call of the same process: imports, loading, the call, and inside it the half-precision verdict (timing the
copies against float32 on first use: lm/generate.py _half_precision_faster), the decoder's construction, the
sentence split with the phonemizer, and the codec's rendering. 2 threads.

    .venv/bin/python docs/results/lean-step-2026-12-07/cold_call.py
"""
import collections
import json
import time

start = time.perf_counter()
import torch  # noqa: E402

from lm import decoding, generate  # noqa: E402
from pipelines import tts  # noqa: E402

TEXT = "The quick brown fox jumps over the lazy dog, and then it runs away into the forest."  # ./run.sh's
spent = collections.defaultdict(float)


def timed(name, f):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t
    return wrapper


generate._half_precision_faster = timed("precision_verdict", generate._half_precision_faster)
generate.StaticCacheDecoder = timed("decoder_init", decoding.StaticCacheDecoder)
tts.TTSPipeline._sentences = timed("sentences", tts.TTSPipeline._sentences)
tts.render_codes = timed("render", tts.render_codes)
torch.set_num_threads(2)
imported = time.perf_counter()
pipeline = tts.TTSPipeline.from_pretrained("pipelines/default_model")
loaded = time.perf_counter()
calls = []
for _ in range(2):
    spent.clear()
    t = time.perf_counter()
    out = pipeline(TEXT, seed=0)
    seconds = time.perf_counter() - t
    calls.append({"seconds": seconds, "rtf": seconds / (len(out["audio"]) / out["sampling_rate"]), **dict(spent)})
print(json.dumps({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "threads": 2,
                  "cpu_capability": torch.backends.cpu.get_cpu_capability(), "imports_s": imported - start,
                  "load_s": loaded - imported, "first_call": calls[0], "second_call": calls[1]}))
