"""Paired differences between the codecs of this run's report (PESQ-WB, PESQ-NB, STOI, 100 test utterances), and each
codec's resynthesis WER decoded from its codes and from its continuous latent z_e (`compare --unquantized`).

    python docs/results/codec-claims-gpu-2026-12-04/paired.py exp/gpu6/judged-test > .../test/paired.md
    python docs/results/codec-claims-gpu-2026-12-04/paired.py REPORT BASE:OTHER [BASE:OTHER ...]   (other pairs)
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from pipelines.claims import paired_difference  # noqa: E402

report = Path(sys.argv[1])
pairs = [tuple(p.split(":")) for p in sys.argv[2:]] or [("c-65536", "c-16384"), ("c-65536", "c-16384-sgc"), ("c-16384", "c-16384-sgc"),
         ("c-16384-gan", "c-16384-sgc-gan"), ("c-16384", "c-16384-gan"), ("c-16384-sgc", "c-16384-sgc-gan"),
         ("c-16384-800", "c-16384"), ("bundle", "c-16384")]
print("| pair (other - base) | PESQ-WB [95% CI] | PESQ-NB [95% CI] | STOI [95% CI] |")
print("|---|---|---|---|")
for base, other in pairs:
    cells = []
    for metric in ("pesq_wb", "pesq_nb", "stoi"):
        d = paired_difference(report, base, other, metric)
        digits = 4 if metric == "stoi" else 3
        cells.append(f"{d['difference']:+.{digits}f} [{d['difference_ci'][0]:+.{digits}f}, {d['difference_ci'][1]:+.{digits}f}]")
    print(f"| {other} - {base} | " + " | ".join(cells) + " |")
if not (report / "codec_unquantized").is_dir():
    sys.exit(0)
print()
print("| codec | WER from codes | WER from z_e | PESQ-WB from codes | from z_e |")
print("|---|---|---|---|---|")
for d in sorted((report / "codec").iterdir()):
    q = json.loads((d / "results.json").read_text())
    u = json.loads((report / "codec_unquantized" / d.name / "results.json").read_text())
    print(f"| {d.name} | {q['wer']['wer']:.3f} | {u['wer']['wer']:.3f} | {q['pesq_wb']['mean']:.3f} | "
          f"{u['pesq_wb']['mean']:.3f} |")
