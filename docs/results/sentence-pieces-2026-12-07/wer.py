"""(.venv/bin/python docs/results/sentence-pieces-2026-12-07/wer.py from the repository root; output.jsonl beside it)
TTS WER of long sentences (4 unseen sentences joined with ' and ', 40-50 words, no commas) spoken by the bundled
model with MAX_SENTENCE_WORDS 40 (pieces up to 40 words) against 25, judged by pocketsphinx; 2 seeds."""
import json, sys
import numpy as np
import pipelines.tts as tts
from pipelines.asr import load_asr
from pipelines.metrics import wer_report
lines = [l.strip().rstrip(".") for l in open("recipes/data/unseen_sentences.txt") if l.strip()]
texts = [" and ".join(s[0].lower() + s[1:] if k else s for k, s in enumerate(lines[i:i + 4])) + "." for i in range(0, 40, 4)]
pipe, asr = tts.load_pipeline(), load_asr("pocketsphinx")
rows = {}
for cap in (40, 25):
    tts.MAX_SENTENCE_WORDS = cap
    refs, hyps, secs = [], [], 0.0
    for seed in (0, 1):
        outs = pipe(texts, seed=seed)
        audio = [o["audio"] for o in outs]
        secs += sum(len(a) for a in audio) / 16000
        hyps += asr.transcribe(audio)
        refs += texts
    r = wer_report(refs, hyps, ids=[f"{s}-{i}" for s in (0, 1) for i in range(len(texts))])
    rows[cap] = r
    print(json.dumps({"cap": cap, "wer": round(r["wer"], 3), "wer_ci": [round(x, 3) for x in r["wer_ci"]],
                      "audio_seconds": round(secs, 1), "utterances": r["n_utterances"]}), flush=True)
e40 = np.array([u["errors"] for u in rows[40]["per_utterance"]]); e25 = np.array([u["errors"] for u in rows[25]["per_utterance"]])
w = np.array([u["n_words"] for u in rows[40]["per_utterance"]])
rng = np.random.default_rng(0); idx = rng.integers(0, len(w), (2000, len(w)))
d = (e25[idx].sum(1) - e40[idx].sum(1)) / w[idx].sum(1)
print(json.dumps({"wer_25_minus_40": round(float((e25.sum() - e40.sum()) / w.sum()), 3),
                  "ci": [round(float(x), 3) for x in np.quantile(d, [0.025, 0.975])]}))
