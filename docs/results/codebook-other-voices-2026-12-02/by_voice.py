"""Per-voice means of a `pipelines.evaluate compare` folder: PESQ-WB, STOI and corpus WER for each speaker of the
manifest, for every codec (decoded from the codes) and the ground truth (WER only).

    .venv/bin/python docs/results/codebook-other-voices-2026-12-02/by_voice.py exp/default/report-voices \
        exp/default/othervoices/data/test.jsonl > by_voice.md

The WER rows of a report are in manifest order (the first n_utterances of it), which is how they are matched to
speakers here; the fidelity rows carry their utterance ids.
"""
import json
import sys
from collections import defaultdict
from pathlib import Path

report, manifest = Path(sys.argv[1]), Path(sys.argv[2])
speakers = [json.loads(line)["speaker"] for line in manifest.read_text().splitlines() if line.strip()]
results = json.loads((report / "results.json").read_text())


def wer_by_voice(rows: list[dict]) -> dict[str, float]:
    errors, words = defaultdict(float), defaultdict(float)
    for speaker, row in zip(speakers, rows):
        errors[speaker] += row["errors"]
        words[speaker] += row["n_words"]
    return {s: errors[s] / words[s] for s in words}


voices = sorted(set(speakers[:results["ground_truth"]["n_utterances"]]))
counts = {v: speakers[:results["ground_truth"]["n_utterances"]].count(v) for v in voices}
print("| system | " + " | ".join(f"{v} ({counts[v]}): PESQ-WB / STOI / WER" for v in voices) + " |")
print("|---|" + "---|" * len(voices))
gt = wer_by_voice(results["ground_truth"]["wer"]["per_utterance"])
print("| ground truth | " + " | ".join(f"/ / {gt[v]:.3f}" for v in voices) + " |")
for name, row in results["codecs"].items():
    per_utt = json.loads((report / "codec" / name / "per_utterance.json").read_text())
    fid = defaultdict(lambda: defaultdict(list))
    for uid, pesq, stoi in zip(per_utt["id"], per_utt["pesq_wb"], per_utt["stoi"]):
        fid[uid.split("_")[0]]["pesq_wb"].append(pesq)
        fid[uid.split("_")[0]]["stoi"].append(stoi)
    wer = wer_by_voice(row["wer"]["per_utterance"])
    cells = [f"{sum(fid[v]['pesq_wb']) / len(fid[v]['pesq_wb']):.3f} / "
             f"{sum(fid[v]['stoi']) / len(fid[v]['stoi']):.3f} / {wer[v]:.3f}" for v in voices]
    print(f"| {name} | " + " | ".join(cells) + " |")
