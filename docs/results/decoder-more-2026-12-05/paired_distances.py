"""Paired cepstral and mel distance differences between codecs of a report (per-utterance results, 1000 bootstrap
resamples), as a markdown table.

    python docs/results/decoder-more-2026-12-05/paired_distances.py REPORT BASE:OTHER [BASE:OTHER ...]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from pipelines.claims import paired_difference  # noqa: E402

report = Path(sys.argv[1])
print("| pair (other - base) | cepstral distance [95% CI] | mel distance [95% CI] |")
print("|---|---|---|")
for base, other in (p.split(":") for p in sys.argv[2:]):
    cells = [paired_difference(report, base, other, m) for m in ("cepstral_distance", "mel_distance")]
    print(f"| {other} - {base} | " + " | ".join(f"{d['difference']:+.4f} [{d['difference_ci'][0]:+.4f}, "
                                                 f"{d['difference_ci'][1]:+.4f}]" for d in cells) + " |")
