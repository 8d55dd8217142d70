"""Paired A/B of the LM code at git revision REV (its lm/ package, imported as lm_old) against the working tree's,
in one process, 2 threads, with the bundled default model (pipelines/default_model):

    .venv/bin/python docs/results/lean-step-2026-12-07/ab.py REV speed [ROUNDS] > speed.json
        one-token step ms at 1 / 8 / 32 rows (float16 copies, as bundled; lm.decoding.step_milliseconds of each),
        then end-to-end RTF of benchmarks tts's short sentence, ./run.sh's sentence and a paragraph of four, the
        arms interleaved round by round after a warm-up round; median per arm and the paired ratio new / old.
    .venv/bin/python docs/results/lean-step-2026-12-07/ab.py REV codes > codes.json
        the codes of the model card's judged sentences (test 100, unseen 40, unseen2 60, dev 80: the manifests
        that docs/results/fp16-packed-2026-12-07/bundle.sh renders), generated as pipelines.evaluate's TTS judging
        does (batches of 8, seed = batch start), compared sentence by sentence between the two.
"""
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.tts import SHORT_SENTENCE
from codec.data import read_manifest
from lm import decoding as new_decoding
from lm import generate as new_generate
from pipelines import tts


def old_lm(rev: str):
    """lm/ at `rev` as the package lm_old (its own imports of lm.* rewritten): (decoding, generate)."""
    root = Path(tempfile.mkdtemp()) / "lm_old"
    root.mkdir()
    names = subprocess.run(["git", "ls-tree", "--name-only", rev, "lm/"], check=True, capture_output=True,
                           text=True).stdout.split()
    for name in (n for n in names if n.endswith(".py")):
        source = subprocess.run(["git", "show", f"{rev}:{name}"], check=True, capture_output=True, text=True).stdout
        (root / Path(name).name).write_text(source.replace("from lm.", "from lm_old.").replace("import lm.", "import lm_old."))
    sys.path.insert(0, str(root.parent))
    return importlib.import_module("lm_old.decoding"), importlib.import_module("lm_old.generate")


INPUTS = {"short_sentence": SHORT_SENTENCE,
          "run_sh_sentence": "The quick brown fox jumps over the lazy dog, and then it runs away into the forest.",
          "paragraph_4_sentences": "The sun was setting behind the hills. A small boat drifted slowly across the "
                                   "lake. Nobody on the shore seemed to notice it. Later that night, the wind began "
                                   "to rise."}
JUDGED = {"test": ("exp/default/data/test.jsonl", 100), "unseen": ("exp/default/unseen/test.jsonl", 40),
          "unseen2": ("exp/default/unseen2/test.jsonl", 60), "dev": ("exp/default/data/dev.jsonl", 80)}


def speed(pipeline, arms, rounds: int) -> dict:
    model, steps = pipeline.lm.model, {}
    for batch in (1, 8, 32):
        ms = {arm: [] for arm in arms}
        for k in range(rounds + 1):  # round 0 warms up
            for arm, (decoding, _) in arms.items():
                t = decoding.step_milliseconds(model, batch, 40, head_dtype=torch.float16, layer_dtype=torch.float16)
                if k:
                    ms[arm].append(t)
        steps[batch] = {"old_ms": statistics.median(ms["old"]), "new_ms": statistics.median(ms["new"]),
                        "paired_ratio": statistics.median(n / o for o, n in zip(ms["old"], ms["new"]))}
        print("batch", batch, steps[batch], file=sys.stderr)
    rtf = {(arm, name): [] for arm in arms for name in INPUTS}
    for k in range(rounds + 1):
        for name, text in INPUTS.items():
            for arm, (_, generate) in arms.items():
                tts.generate_codes = generate.generate_codes
                start = time.perf_counter()
                out = pipeline(text, seed=0)
                if k:
                    rtf[arm, name].append((time.perf_counter() - start) / (len(out["audio"]) / out["sampling_rate"]))
    e2e = {}
    for name in INPUTS:
        old, new = rtf["old", name], rtf["new", name]
        e2e[name] = {"rtf_old": statistics.median(old), "rtf_new": statistics.median(new),
                     "paired_ratio": statistics.median(n / o for o, n in zip(old, new)), "rtf_old_all": old,
                     "rtf_new_all": new}
        print(name, {k: round(v, 4) for k, v in e2e[name].items() if not k.endswith("_all")}, file=sys.stderr)
    return {"rounds": rounds, "step": steps, "e2e": e2e}


def codes(pipeline, arms) -> dict:
    summary = {}
    for name, (path, n) in JUDGED.items():
        texts = [u.text for u in read_manifest(path).utterances[:n]]
        texts = [t for t, ids in zip(texts, pipeline.lm.tokenizer.encode_many(texts)) if t.strip() and ids]
        counts, seconds = {"identical": 0, "different": 0}, {arm: 0.0 for arm in arms}
        for start in range(0, len(texts), 8):
            out = {}
            for arm, (_, generate) in arms.items():
                tts.generate_codes = generate.generate_codes
                t = time.perf_counter()
                out[arm] = pipeline.generate(texts[start : start + 8], seed=start)
                seconds[arm] += time.perf_counter() - t
            for a, b in zip(out["old"], out["new"]):
                for x, y in zip(a, b):  # per sentence of each text
                    counts["identical" if torch.equal(x, y) else "different"] += 1
        summary[name] = {"utterances": len(texts), "sentences": counts, "generate_seconds": seconds}
        print(name, summary[name], file=sys.stderr, flush=True)
    return {"sets": summary}


if __name__ == "__main__":
    rev, mode = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    arms = {"old": old_lm(rev), "new": (new_decoding, new_generate)}
    pipeline = tts.TTSPipeline.from_pretrained("pipelines/default_model")
    result = speed(pipeline, arms, int(sys.argv[3]) if len(sys.argv) > 3 else 8) if mode == "speed" else codes(pipeline, arms)
    print(json.dumps({"old": rev, "new": "working tree", "threads": 2, "torch": torch.__version__,
                      "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}))
