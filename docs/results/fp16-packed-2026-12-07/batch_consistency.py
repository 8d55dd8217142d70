"""Does a sentence sample the same codes alone and in a batch? The four sentences of e2e_ab.py's paragraph, seed 0,
through one TTS folder's generate, together and one by one; one line per sentence: same?, code lengths together, alone.

    .venv/bin/python docs/results/fp16-packed-2026-12-07/batch_consistency.py DIR
"""
import sys

import torch

from pipelines.tts import TTSPipeline

torch.set_num_threads(1)
pipeline = TTSPipeline.from_pretrained(sys.argv[1])
texts = ["The sun was setting behind the hills.", "A small boat drifted slowly across the lake.",
         "Nobody on the shore seemed to notice it.", "Later that night, the wind began to rise."]
batch = pipeline.generate(texts, seed=0)
alone = [pipeline.generate([t], seed=0)[0] for t in texts]
for t, b, a in zip(texts, batch, alone):
    same = len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))
    print(same, [len(x) for x in b], [len(x) for x in a])
