"""The self-guidance paper's three codec claims, checked on a comparison report with paired bootstrap CIs.

  python -m pipelines.claims --report exp/tiny/report --runs exp/tiny/codec --pair 65536:65536-sg \\
      --pair 16384:16384-sg --reference 65536 --candidate 16384-sg --out docs/results/tiny

`--report` is a `pipelines.evaluate compare` folder (results.json, and per codec frames.npz + per_utterance.json);
`--runs` holds the training folders (<name>/eval/step_*.json, <name>/metrics.jsonl) for the curves and wall times.
Writes claims.md, claims.json, training_curves.png and training_losses.png into --out. Where the report also decoded each codec from its
continuous latent (`compare --unquantized`), the rounding cost of every pair is added: fidelity decoded from the
codes minus fidelity decoded from z_e, per utterance, without and with SG, and SG's change of it (no verdict: the
paper states no number for it, but narrowing this gap is what SG is meant to do).

Every comparison is paired: the systems were scored on the same utterances, so utterances are resampled together
(1000 resamples, percentile 95% CI). The verdict rules, fixed before looking at the numbers:
  1. "SG leaves QE almost unchanged": the CI of the relative change of mean QE (SG vs no SG) lies inside
     +/-QE_MARGIN for every pair -> reproduced; entirely outside for some pair -> not reproduced; else inconclusive.
  2. "SG cuts the hidden MSE and its tail, more for smaller codebooks": for every pair the CI of the ratio of mean
     hidden MSE (SG / no SG) lies below 1 and the std falls -> the cut is reproduced (a CI above 1 for some pair:
     not reproduced; else inconclusive); "more for smaller codebooks" is reported from the point ratios.
  3. "the candidate (16384 + SG) matches the reference (65536, no SG)": non-inferiority on PESQ-WB and STOI: the
     CI of the paired difference (candidate - reference) lies above -margin (PESQ 0.1, STOI 0.01) -> reproduced;
     its upper end below -margin -> not reproduced; else inconclusive.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from codec.trainloop import write_json
from pipelines.evaluate import UNQUANTIZED_FOLDER, _slug
from pipelines.plots import curves_png, markdown_table

QE_MARGIN = 0.05  # relative change of mean quantization error still called "almost unchanged"
NON_INFERIORITY = {"pesq_wb": 0.1, "stoi": 0.01}  # largest loss (candidate - reference) still called "matches"
N_RESAMPLES = 1000


def parse_pairs(parser: argparse.ArgumentParser, items: list[str], form: str) -> list[tuple[str, str]]:
    """"A:B" command-line items as (A, B); anything else, or a system paired with itself (which would pass every
    comparison: a typo, not a comparison), is a usage error naming the item and `form`."""
    pairs = []
    for item in items:
        if item.count(":") != 1:
            parser.error(f"{item!r}: expected {form}")
        a, b = item.split(":")
        if a == b:
            parser.error(f"{item!r}: a system paired with itself")
        pairs.append((a, b))
    return pairs


def paired_ci(statistic, n_items: int, seed: int = 0) -> tuple[float, float]:
    """Percentile 95% CI of `statistic(idx)` over bootstrap resamples `idx` [N_RESAMPLES, n_items] of item indices."""
    idx = np.random.default_rng(seed).integers(0, n_items, size=(N_RESAMPLES, n_items))
    low, high = np.quantile(statistic(idx), [0.025, 0.975])
    return float(low), float(high)


def utterance_sums(report: Path, name: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-utterance sums [U] of a per-frame diagnostic and the frames per utterance [U] of one codec."""
    path = report / "codec" / _slug(name) / "frames.npz"
    if not path.exists():
        raise FileNotFoundError(f"claims: {path} missing: evaluate codec {name!r} with pipelines.evaluate compare")
    frames = np.load(path)
    if "frame_counts" not in frames:
        raise ValueError(f"claims: {path} has no frame_counts (written by an older evaluation): delete it and re-run")
    counts = frames["frame_counts"]
    return np.add.reduceat(frames[key], np.concatenate([[0], np.cumsum(counts)[:-1]])), counts


def per_utterance(report: Path, name: str, folder: str = "codec") -> dict:
    path = report / folder / _slug(name) / "per_utterance.json"
    if not path.exists():
        raise FileNotFoundError(f"claims: {path} missing: re-run pipelines.evaluate compare for {name!r}")
    return json.loads(path.read_text())


def word_errors(report: Path, name: str, folder: str = "codec") -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """One system's ASR judgement per utterance: (utterance keys, errors [U], reference words [U]). A key is
    (id, normalized reference text), the id None in results written before 2026-12-07; compare keys with
    `same_utterances`. The name "ground_truth" is the report's ground-truth row (the judge on the input itself),
    whatever the folder."""
    path = report / "ground_truth" / "results.json" if name == "ground_truth" else \
        report / folder / _slug(name) / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing (no system {name!r} in {report}/{folder})")
    result = json.loads(path.read_text())
    if "wer" not in result:
        raise ValueError(f"{path}: no WER (judged with --asr none?): judge it with pipelines.evaluate compare")
    rows = result["wer"]["per_utterance"]
    return ([(r.get("id"), r["reference"]) for r in rows], np.array([r["errors"] for r in rows], float),
            np.array([r["n_words"] for r in rows], float))


def same_utterances(keys_a: list[tuple], keys_b: list[tuple]) -> bool:
    """Whether two `word_errors` judgements hold the same utterances in the same order: the same texts, and the same
    ids where both recorded them (one sentence read by several voices is told apart by its id only)."""
    return len(keys_a) == len(keys_b) and all(
        ref_a == ref_b and (id_a is None or id_b is None or id_a == id_b)
        for (id_a, ref_a), (id_b, ref_b) in zip(keys_a, keys_b))


def ratio_of_means(report: Path, base: str, other: str, key: str) -> dict:
    """Mean of a per-frame diagnostic for `other` / for `base`, with a paired CI over utterances (paired by id: the
    frame counts alone would pass utterances of equal length in another order)."""
    (a, counts_a), (b, counts_b) = utterance_sums(report, base, key), utterance_sums(report, other, key)
    same_ids = per_utterance(report, base)["id"] == per_utterance(report, other)["id"]
    if not np.array_equal(counts_a, counts_b) or not same_ids:
        raise ValueError(f"claims: {base!r} and {other!r} were not evaluated on the same utterances")
    ci = paired_ci(lambda idx: b[idx].sum(1) / a[idx].sum(1), len(a))
    return {"base": float(a.sum() / counts_a.sum()), "other": float(b.sum() / counts_b.sum()),
            "ratio": float(b.sum() / a.sum()), "ratio_ci": ci}


def paired_difference(report: Path, reference: str, candidate: str, metric: str) -> dict:
    """Mean over utterances of candidate - reference for a per-utterance metric, with its bootstrap CI."""
    ref, cand = per_utterance(report, reference), per_utterance(report, candidate)
    if ref["id"] != cand["id"]:
        raise ValueError(f"claims: {reference!r} and {candidate!r} were not evaluated on the same utterances")
    a, b = np.asarray(ref[metric], dtype=np.float64), np.asarray(cand[metric], dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    diff = (b - a)[keep]
    return {"reference": float(a[keep].mean()), "candidate": float(b[keep].mean()), "difference": float(diff.mean()),
            "difference_ci": paired_ci(lambda idx: diff[idx].mean(1), len(diff)), "n": int(keep.sum())}


def rounding_cost(report: Path, base: str, sg: str, metrics: tuple[str, ...]) -> dict | None:
    """Per metric: metric(decoded from codes) - metric(decoded from z_e) per utterance for `base` and `sg`, their
    means with CIs, and the paired change sg - base; None unless both were also evaluated unquantized."""
    if not all((report / UNQUANTIZED_FOLDER / _slug(n) / "per_utterance.json").exists() for n in (base, sg)):
        return None
    scores = {}  # name -> (decoded from codes, decoded from z_e)
    for name in (base, sg):
        scores[name] = per_utterance(report, name), per_utterance(report, name, UNQUANTIZED_FOLDER)
        if scores[name][0]["id"] != scores[name][1]["id"]:
            raise ValueError(f"claims: {name!r} was not evaluated on the same utterances with and without rounding")
    if scores[base][0]["id"] != scores[sg][0]["id"]:
        raise ValueError(f"claims: {base!r} and {sg!r} were not evaluated on the same utterances")
    mean_ci = lambda x: paired_ci(lambda idx: x[idx].mean(1), len(x))  # noqa: E731
    out = {}
    for metric in metrics:
        a, b = (np.asarray(q[metric], dtype=np.float64) - np.asarray(e[metric], dtype=np.float64)
                for q, e in (scores[base], scores[sg]))
        keep = np.isfinite(a) & np.isfinite(b)
        a, b = a[keep], b[keep]
        out[metric] = {"cost_base": float(a.mean()), "cost_base_ci": mean_ci(a), "cost_sg": float(b.mean()),
                       "cost_sg_ci": mean_ci(b), "change": float((b - a).mean()), "change_ci": mean_ci(b - a),
                       "n": int(keep.sum())}
    return out


def _verdict(inside: bool, outside: bool) -> str:
    return "reproduced" if inside else "not reproduced" if outside else "inconclusive"


def _metrics_rows(run: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"claims: {run / 'metrics.jsonl'} is empty")
    return rows


def training_summary(run: Path, until_step: int | None = None) -> dict:
    """Steps, summed step wall time and the last 100 steps' mean training mel loss of one training folder (of its
    steps up to `until_step` when given)."""
    rows = [r for r in _metrics_rows(run) if until_step is None or r["step"] <= until_step]
    if not rows:
        raise ValueError(f"claims: {run / 'metrics.jsonl'} has no step up to {until_step}")
    summary = {"steps": rows[-1]["step"], "wall_hours": sum(r.get("step_seconds", 0.0) for r in rows) / 3600,
               "train_mel_last100": float(np.mean([r["mel"] for r in rows[-100:]]))}
    sg = [r["sg"] for r in rows if "sg" in r]
    if sg:
        summary["train_sg_last100"], summary["train_sg_max"] = float(np.mean(sg[-100:])), float(np.max(sg))
    return summary


def train_curves(run: Path, window: int = 50) -> dict[str, tuple[list, list]]:
    """Training mel and SG losses averaged over windows of `window` steps (the raw per-step values are noisy)."""
    rows, curves = _metrics_rows(run), {}
    for key in ("mel", "sg"):
        points = [(r["step"], r[key]) for r in rows if key in r]
        chunks = [points[i : i + window] for i in range(0, len(points) - window + 1, window)]
        if chunks:
            curves[f"train {key}"] = ([c[-1][0] for c in chunks], [float(np.mean([v for _, v in c])) for c in chunks])
    return curves


def dev_curves(run: Path) -> dict[str, tuple[list, list]]:
    evals = sorted((run / "eval").glob("step_*.json"))
    points = [(int(p.stem.split("_")[1]), json.loads(p.read_text())) for p in evals]
    keys = ["eval/hidden_mse", "eval/quantization_error", "eval/mel"]
    return {k.split("/")[1]: ([s for s, _ in points], [m[k] for _, m in points]) for k in keys}


def check_claims(report: Path, pairs: list[tuple[str, str]], reference: str, candidate: str) -> dict:
    qe = {f"{b} -> {s}": ratio_of_means(report, b, s, "quantization_error") for b, s in pairs}
    hidden = {f"{b} -> {s}": ratio_of_means(report, b, s, "hidden_mse") for b, s in pairs}
    results = json.loads((report / "results.json").read_text())["codecs"]
    # a later compare into the same folder that named only some systems leaves the others out of results.json
    # (their folders stay, which the ratios above read): KeyError further down
    if missing := sorted({n for pair in pairs for n in pair} - set(results)):
        raise ValueError(f"{report / 'results.json'}: no codec {', '.join(missing)} in it (its last compare named "
                         f"{', '.join(sorted(results)) or 'none'}): run pipelines.evaluate compare with all of them")
    for (b, s), h in zip(pairs, hidden.values()):
        h["std_base"], h["std_other"] = results[b]["hidden_mse"]["std"], results[s]["hidden_mse"]["std"]
        h["p99_base"], h["p99_other"] = results[b]["hidden_mse"]["p99"], results[s]["hidden_mse"]["p99"]
    match = {m: paired_difference(report, reference, candidate, m) for m in ("pesq_wb", "pesq_nb", "stoi", "mel_distance")}
    costs = {f"{b} -> {s}": rounding_cost(report, b, s, ("pesq_wb", "stoi", "mel_distance")) for b, s in pairs}
    costs = {p: c for p, c in costs.items() if c is not None}

    claim1 = _verdict(all(-QE_MARGIN <= r["ratio_ci"][0] - 1 and r["ratio_ci"][1] - 1 <= QE_MARGIN for r in qe.values()),
                      any(r["ratio_ci"][0] - 1 > QE_MARGIN or r["ratio_ci"][1] - 1 < -QE_MARGIN for r in qe.values()))
    claim2 = _verdict(all(r["ratio_ci"][1] < 1 and r["std_other"] < r["std_base"] for r in hidden.values()),
                      any(r["ratio_ci"][0] > 1 for r in hidden.values()))
    claim3 = _verdict(all(match[m]["difference_ci"][0] > -margin for m, margin in NON_INFERIORITY.items()),
                      any(match[m]["difference_ci"][1] < -margin for m, margin in NON_INFERIORITY.items()))
    return {"quantization_error": qe, "hidden_mse": hidden, "match": match, "rounding_cost": costs, "reference": reference,
            "candidate": candidate, "verdicts": {"1 QE unchanged": claim1, "2 hidden MSE cut": claim2,
                                                 "3 smaller codebook + SG matches": claim3}}


def claims_markdown(claims: dict, runs: dict[str, dict]) -> str:
    f = lambda ci: f"[{ci[0]:.3f}, {ci[1]:.3f}]"  # noqa: E731
    lines = []
    if runs:
        lines += ["### Training", "", markdown_table(
            [{"codec": n, "steps": r["steps"], "wall h (sum of steps)": r["wall_hours"],
              "train mel (last 100 steps)": r["train_mel_last100"], "train SG (last 100)": r.get("train_sg_last100"),
              "train SG (max)": r.get("train_sg_max")} for n, r in runs.items()],
            ["codec", "steps", "wall h (sum of steps)", "train mel (last 100 steps)", "train SG (last 100)",
             "train SG (max)"], "{:.3g}"), ""]
    rows = [{"pair": p, "QE no SG": r["base"], "QE SG": r["other"], "change": f"{r['ratio'] - 1:+.1%}",
             "change 95% CI": f"[{r['ratio_ci'][0] - 1:+.1%}, {r['ratio_ci'][1] - 1:+.1%}]"}
            for p, r in claims["quantization_error"].items()]
    lines += [f"### Claim 1: SG leaves QE almost unchanged (margin ±{QE_MARGIN:.0%}): "
              f"**{claims['verdicts']['1 QE unchanged']}**", "",
              markdown_table(rows, ["pair", "QE no SG", "QE SG", "change", "change 95% CI"], "{:.4f}"), ""]
    rows = [{"pair": p, "mean no SG": r["base"], "mean SG": r["other"], "SG / no SG": r["ratio"],
             "95% CI": f(r["ratio_ci"]), "std no SG": r["std_base"], "std SG": r["std_other"],
             "p99 no SG": r["p99_base"], "p99 SG": r["p99_other"]} for p, r in claims["hidden_mse"].items()]
    lines += [f"### Claim 2: SG cuts the hidden MSE and its tail: **{claims['verdicts']['2 hidden MSE cut']}**", "",
              markdown_table(rows, ["pair", "mean no SG", "mean SG", "SG / no SG", "95% CI", "std no SG", "std SG",
                                    "p99 no SG", "p99 SG"], "{:.4g}"), ""]
    rows = [{"metric": m, claims["reference"]: r["reference"], claims["candidate"]: r["candidate"],
             "difference": r["difference"], "95% CI": f(r["difference_ci"]),
             "margin": -NON_INFERIORITY[m] if m in NON_INFERIORITY else None} for m, r in claims["match"].items()]
    lines += [f"### Claim 3: {claims['candidate']} matches {claims['reference']}: "
              f"**{claims['verdicts']['3 smaller codebook + SG matches']}**", "",
              markdown_table(rows, ["metric", claims["reference"], claims["candidate"], "difference", "95% CI",
                                    "margin"], "{:.3f}"), ""]
    if claims.get("rounding_cost"):
        rows = [{"pair": p, "metric": m, "cost no SG": r["cost_base"], "95% CI no SG": f(r["cost_base_ci"]),
                 "cost SG": r["cost_sg"], "95% CI SG": f(r["cost_sg_ci"]), "SG - no SG": r["change"],
                 "95% CI": f(r["change_ci"])} for p, by_metric in claims["rounding_cost"].items()
                for m, r in by_metric.items()]
        lines += ["### Rounding cost: decoded from the codes minus decoded from z_e (per utterance)", "",
                  markdown_table(rows, ["pair", "metric", "cost no SG", "95% CI no SG", "cost SG", "95% CI SG",
                                        "SG - no SG", "95% CI"], "{:.3f}"), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.claims", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--runs", type=Path, default=None)
    parser.add_argument("--pair", action="append", required=True, metavar="NO_SG:SG")
    parser.add_argument("--reference", required=True)
    parser.add_argument("--candidate", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    pairs = parse_pairs(parser, args.pair, "--pair NO_SG_NAME:SG_NAME")
    if args.reference == args.candidate:
        parser.error(f"--reference and --candidate are both {args.reference!r}")
    if args.runs is not None and not args.runs.is_dir():
        parser.error(f"--runs {args.runs}: not a folder (the codec training folders, e.g. exp/<preset>/codec)")
    try:
        claims = check_claims(args.report, pairs, args.reference, args.candidate)
    except (FileNotFoundError, ValueError) as e:  # a system the report lacks, systems of other utterances: named
        print(f"error: {e}", file=sys.stderr)
        return 2
    names = list(dict.fromkeys([n for p in pairs for n in p] + [args.reference, args.candidate]))
    runs, curves, losses = {}, {}, {}
    if args.runs is not None:
        for name in names:
            if (args.runs / name / "metrics.jsonl").exists():
                runs[name], curves[name] = training_summary(args.runs / name), dev_curves(args.runs / name)
                losses[name] = train_curves(args.runs / name)
        if missing := [name for name in names if name not in runs]:
            print(f"note: --runs {args.runs} holds no training folder (with metrics.jsonl) of {', '.join(missing)}: "
                  f"no training curves or wall times for {'them' if len(missing) > 1 else 'it'}", file=sys.stderr)
        if curves:
            curves_png(curves, ["hidden_mse", "quantization_error", "mel"], args.out / "training_curves.png",
                       title="dev diagnostics during training")
            curves_png(losses, ["train mel", "train sg"], args.out / "training_losses.png",
                       title="training losses (means over 50 steps)")
    write_json(args.out / "claims.json", {**claims, "training": runs})
    text = claims_markdown(claims, runs) + ("\n![training curves](training_curves.png) "
                                            "![training losses](training_losses.png)\n" if curves else "")
    (args.out / "claims.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
