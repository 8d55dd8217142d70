"""SG's early transient: the training mel loss of each SG arm minus its plain twin's (same seed, same batches), per
window of 100 steps, for the 6-block 16384 fine-tunes at every seed, beside each pair's test PESQ-WB effect; with
the ramped SG arm and the null arms (SG at weight 1e-4: a perturbation, not a loss) of eval.sh.

    .venv/bin/python docs/results/sg-ramp-2026-12-06/transient.py > docs/results/sg-ramp-2026-12-06/transient.jsonl

Drawn from committed records only: the runs' gzipped metrics.jsonl (sg-capacity-2026-12-05/runs: seeds 1-2, the
original start; sg-seed3-2026-12-05/runs: seeds 3-9, the rebuilt start; this folder's runs: the ramped arm and the
null arms at seeds 5 and 6; sg-drift-2026-12-06/runs: the null arm at seed 7; sg-null-2026-12-06/runs: the null
arms at seeds 3, 4, 8 and 9) and the test reports' results.json. Both arms of a pair see the same crops in the same
order, so the gap at a step is what SG did to the fit, not the batch. One JSON line per arm: the steps compared (a
stopped run: fewer), the gap per window, its largest window, the last 200 steps' gap, and the test PESQ-WB
difference; the plot is transient.png.
"""
import gzip
import json
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent
WINDOW = 100
# (seed, folder holding the runs and test report, start) for the pairs; the ramped arms are this folder's
PAIRS = [(1, "sg-capacity-2026-12-05", "original"), (2, "sg-capacity-2026-12-05", "original"),
         (3, "sg-seed3-2026-12-05", "rebuilt"), (4, "sg-seed3-2026-12-05", "rebuilt"),
         (5, "sg-seed3-2026-12-05", "rebuilt"), (6, "sg-seed3-2026-12-05", "rebuilt"),
         (7, "sg-seed3-2026-12-05", "rebuilt"), (8, "sg-seed3-2026-12-05", "rebuilt"),
         (9, "sg-seed3-2026-12-05", "rebuilt")]
# the ramped and null arms: (label, run name, folder) by seed
EXTRA = {5: [("SG ramped", "same-sgcr-s5", "sg-ramp-2026-12-06"), ("null", "same-sgc0-s5", "sg-ramp-2026-12-06")],
         6: [("null", "same-sgc0-s6", "sg-ramp-2026-12-06")], 7: [("null", "same-sgc0-s7", "sg-drift-2026-12-06")],
         **{s: [("null", f"same-sgc0-s{s}", "sg-null-2026-12-06")] for s in (3, 4, 8, 9)}}
STYLES = {"SG": ("-", "o"), "SG ramped": ("--", "^"), "null": (":", "x")}


def mel_curve(path: Path) -> np.ndarray:
    with gzip.open(path, "rt") as f:
        rows = [json.loads(line) for line in f]
    by_step = {r["step"]: r["mel"] for r in rows if "mel" in r}  # a resumed run's later lines replace earlier ones
    return np.array([by_step[s] for s in sorted(by_step)])


def pesq_wb(folder: str, name: str) -> float | None:
    report = RESULTS / folder / "test" / "results.json"
    codecs = json.loads(report.read_text())["codecs"] if report.exists() else {}
    return codecs[name]["pesq_wb"]["mean"] if name in codecs else None


def gap(plain: np.ndarray, other: np.ndarray) -> list[float]:
    n = min(len(plain), len(other)) // WINDOW * WINDOW
    return (other[:n] - plain[:n]).reshape(-1, WINDOW).mean(axis=1).tolist()


def arms() -> list[dict]:
    rows = []
    for seed, folder, start in PAIRS:
        runs = RESULTS / folder / "runs"
        plain_path = runs / f"same-s{seed}.metrics.jsonl.gz"
        if not plain_path.exists():
            continue
        plain = mel_curve(plain_path)
        candidates = [("SG", runs / f"same-sgc-s{seed}.metrics.jsonl.gz", folder, f"same-sgc-s{seed}")]
        for kind, name, extra_folder in EXTRA.get(seed, []):
            candidates.append((kind, RESULTS / extra_folder / "runs" / f"{name}.metrics.jsonl.gz", extra_folder, name))
        for kind, path, report_folder, name in candidates:
            if not path.exists():
                continue
            windows = gap(plain, mel_curve(path))
            base, other = pesq_wb(folder, f"same-s{seed}"), pesq_wb(report_folder, name)
            rows.append({"seed": seed, "start": start, "arm": kind, "steps": WINDOW * len(windows), "windows": windows,
                         "largest": max(windows), "largest_at": WINDOW * int(np.argmax(windows)),
                         "last_200": float(np.mean(windows[-2:])),
                         "test_pesq_wb_effect": None if base is None or other is None else other - base})
    return rows


def main() -> None:
    rows = arms()
    for row in rows:
        print(json.dumps(row))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    colours = plt.cm.tab10(np.arange(10))
    for row in rows:
        steps = WINDOW * (np.arange(len(row["windows"])) + 0.5)
        line, marker = STYLES[row["arm"]]
        ax.plot(steps, row["windows"], line, color=colours[row["seed"] - 1],
                label=f"seed {row['seed']} ({row['start']} start), {row['arm']}")
        if row["test_pesq_wb_effect"] is not None:
            bx.scatter(row["last_200"], row["test_pesq_wb_effect"], color=colours[row["seed"] - 1],
                       marker=marker)
            bx.annotate(f"s{row['seed']}" + {"SG": "", "SG ramped": " ramped", "null": " null"}[row["arm"]],
                        (row["last_200"], row["test_pesq_wb_effect"]), fontsize=8, xytext=(3, 3),
                        textcoords="offset points")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel(f"training mel loss, arm − plain (mean of {WINDOW} steps)")
    ax.legend(fontsize=7)
    ax.set_title("the gap SG opens early, per seed (same batches in both arms)", fontsize=9)
    bx.axhline(0, color="grey", lw=0.8), bx.axvline(0, color="grey", lw=0.8)
    bx.set_xlabel("training mel gap, last 200 steps")
    bx.set_ylabel("test PESQ-WB, arm − plain")
    bx.set_title("where the pairs end (o: SG, ^: SG ramped, x: null)", fontsize=9)
    fig.suptitle("16384 fine-tunes of the 6-block decoder, 2000 steps, mel loss only", fontsize=10)
    fig.tight_layout()
    fig.savefig(HERE / "transient.png", dpi=120)


if __name__ == "__main__":
    main()
