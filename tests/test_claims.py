"""pipelines.claims: paired CIs and the verdict rules on synthetic reports whose truth is known."""
import json

import numpy as np
import pytest

from pipelines.claims import check_claims, main, ratio_of_means
from pipelines.metrics import grouped_mean_ci


def _codec(report, name, qe, hidden, pesq, stoi, counts):
    d = report / "codec" / name
    d.mkdir(parents=True)
    np.savez(d / "frames.npz", quantization_error=qe, hidden_mse=hidden, frame_counts=counts)
    n = len(counts)
    (d / "per_utterance.json").write_text(json.dumps({
        "id": [f"u{i}" for i in range(n)], "pesq_wb": list(pesq), "pesq_nb": list(pesq), "stoi": list(stoi),
        "mel_distance": list(np.ones(n))}))
    return {"hidden_mse": {"std": float(hidden.std()), "p99": float(np.percentile(hidden, 99))}}


def _report(tmp_path, candidate_pesq_shift):
    rng = np.random.default_rng(0)
    counts = rng.integers(20, 60, size=40)
    frames = int(counts.sum())
    qe = rng.gamma(2.0, 0.4, frames)
    heavy = rng.pareto(1.5, frames) * 5  # no SG: a heavy tail of hidden MSE
    pesq, stoi = rng.uniform(2.0, 3.0, 40), rng.uniform(0.8, 0.9, 40)
    results = {
        "64": _codec(tmp_path, "64", qe, heavy, pesq, stoi, counts),
        "64-sg": _codec(tmp_path, "64-sg", qe * 1.01, heavy * 0.3, pesq, stoi, counts),
        "16": _codec(tmp_path, "16", qe * 0.9, heavy * 1.5, pesq - 0.2, stoi - 0.02, counts),
        "16-sg": _codec(tmp_path, "16-sg", qe * 0.9, heavy * 0.2, pesq + candidate_pesq_shift, stoi, counts),
    }
    (tmp_path / "results.json").write_text(json.dumps({"codecs": results}))
    return tmp_path


def _one_pair(path, qe_ratio, qe_spread=0.0, hidden_sg=lambda heavy: heavy * 0.3):
    """check_claims on one pair 64 -> 64-sg: SG's QE is the base's times `qe_ratio` (the point ratio exactly) and a
    per-utterance factor of spread `qe_spread` (a wider CI); SG's hidden MSE is hidden_sg(the base's)."""
    path.mkdir()
    rng = np.random.default_rng(0)
    counts = rng.integers(20, 60, size=40)
    frames = int(counts.sum())
    qe = rng.gamma(2.0, 0.4, frames)
    heavy = rng.pareto(1.5, frames) * 5
    pesq, stoi = rng.uniform(2.0, 3.0, 40), rng.uniform(0.8, 0.9, 40)
    qe_sg = qe * np.repeat(rng.normal(1.0, qe_spread, 40), counts)
    qe_sg *= qe_ratio * qe.sum() / qe_sg.sum()
    results = {"64": _codec(path, "64", qe, heavy, pesq, stoi, counts),
               "64-sg": _codec(path, "64-sg", qe_sg, hidden_sg(heavy), pesq, stoi, counts)}
    (path / "results.json").write_text(json.dumps({"codecs": results}))
    return check_claims(path, [("64", "64-sg")], "64", "64-sg")


def test_verdicts_follow_the_numbers(tmp_path):
    report = _report(tmp_path / "good", candidate_pesq_shift=0.0)
    claims = check_claims(report, [("64", "64-sg"), ("16", "16-sg")], "64", "16-sg")
    assert claims["verdicts"] == {"1 QE unchanged": "reproduced", "2 hidden MSE cut": "reproduced",
                                  "3 smaller codebook + SG matches": "reproduced"}
    cut = claims["hidden_mse"]["16 -> 16-sg"]
    assert cut["ratio"] == pytest.approx(0.2 / 1.5) and cut["ratio_ci"][0] <= cut["ratio"] <= cut["ratio_ci"][1]
    assert claims["quantization_error"]["64 -> 64-sg"]["ratio"] == pytest.approx(1.01)

    worse = _report(tmp_path / "worse", candidate_pesq_shift=-0.5)
    claims = check_claims(worse, [("64", "64-sg")], "64", "16-sg")
    assert claims["verdicts"]["3 smaller codebook + SG matches"] == "not reproduced"
    assert claims["match"]["pesq_wb"]["difference"] == pytest.approx(-0.5)

    # claim 1 (QE within +/-5 %), decided by the CI of the ratio, not by the point ratio
    claims = _one_pair(tmp_path / "qe_up", qe_ratio=1.10)  # CI tight around x1.10: entirely outside
    assert claims["quantization_error"]["64 -> 64-sg"]["ratio_ci"][0] > 1.05
    assert claims["verdicts"]["1 QE unchanged"] == "not reproduced"
    for ratio in (1.04, 1.07):  # point ratio inside / outside the margin, CI across its edge either way
        claims = _one_pair(tmp_path / f"qe_{ratio}", qe_ratio=ratio, qe_spread=0.15)
        low, high = claims["quantization_error"]["64 -> 64-sg"]["ratio_ci"]
        assert low < 1.05 < high, (ratio, low, high)
        assert claims["verdicts"]["1 QE unchanged"] == "inconclusive", ratio
    # claim 2 (SG cuts the hidden MSE and its spread)
    claims = _one_pair(tmp_path / "mse_up", qe_ratio=1.0, hidden_sg=lambda heavy: heavy * 1.5)
    assert claims["hidden_mse"]["64 -> 64-sg"]["ratio_ci"][0] > 1
    assert claims["verdicts"] == {"1 QE unchanged": "reproduced", "2 hidden MSE cut": "not reproduced",
                                  "3 smaller codebook + SG matches": "reproduced"}

    def cut_but_the_largest(heavy):  # every frame x0.3 but the largest, x1.5: the mean falls, the std does not
        sg = heavy * 0.3
        sg[heavy.argmax()] = heavy.max() * 1.5
        return sg

    claims = _one_pair(tmp_path / "std_up", qe_ratio=1.0, hidden_sg=cut_but_the_largest)
    cut = claims["hidden_mse"]["64 -> 64-sg"]
    assert cut["ratio_ci"][1] < 1 and cut["std_other"] > cut["std_base"]
    assert claims["verdicts"]["2 hidden MSE cut"] == "inconclusive"


def test_rounding_cost_is_measured_per_utterance_and_sg_change_is_paired(tmp_path):
    report = _report(tmp_path / "r", candidate_pesq_shift=0.0)
    assert check_claims(report, [("64", "64-sg")], "64", "16-sg")["rounding_cost"] == {}  # nothing unquantized yet
    for name, cost in (("64", 0.5), ("64-sg", 0.2)):  # decoding z_e beats decoding the codes by 0.5 / 0.2 PESQ
        quantized = json.loads((report / "codec" / name / "per_utterance.json").read_text())
        continuous = {**quantized, "pesq_wb": [v + cost for v in quantized["pesq_wb"]]}
        (report / "codec_unquantized" / name).mkdir(parents=True)
        (report / "codec_unquantized" / name / "per_utterance.json").write_text(json.dumps(continuous))
    claims = check_claims(report, [("64", "64-sg"), ("16", "16-sg")], "64", "16-sg")
    assert list(claims["rounding_cost"]) == ["64 -> 64-sg"]  # the 16 pair has no unquantized rows: left out
    cost = claims["rounding_cost"]["64 -> 64-sg"]["pesq_wb"]
    assert cost["cost_base"] == pytest.approx(-0.5) and cost["cost_sg"] == pytest.approx(-0.2)
    assert cost["change"] == pytest.approx(0.3) and cost["change_ci"] == pytest.approx([0.3, 0.3])
    assert claims["rounding_cost"]["64 -> 64-sg"]["stoi"]["change"] == pytest.approx(0.0)
    shuffled = json.loads((report / "codec_unquantized" / "64" / "per_utterance.json").read_text())
    shuffled["id"] = shuffled["id"][::-1]
    (report / "codec_unquantized" / "64" / "per_utterance.json").write_text(json.dumps(shuffled))
    with pytest.raises(ValueError, match="with and without rounding"):
        check_claims(report, [("64", "64-sg")], "64", "16-sg")


def test_cli_writes_markdown_and_refuses_mismatched_utterances(tmp_path, capsys):
    report = _report(tmp_path / "r", candidate_pesq_shift=0.0)
    assert main(["--report", str(report), "--pair", "64:64-sg", "--reference", "64", "--candidate", "16-sg",
                 "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "claims.md").read_text()
    assert "Claim 1" in text and "Claim 3" in text and "**reproduced**" in text
    runs = tmp_path / "runs"  # training folders of two of the four systems: the other two are named, not dropped
    for name in ("64", "64-sg"):
        (runs / name).mkdir(parents=True)
        (runs / name / "metrics.jsonl").write_text('{"step": 1, "mel": 1.0, "sg": 0.1, "time": 0.5}\n')
    capsys.readouterr()
    assert main(["--report", str(report), "--pair", "64:64-sg", "--reference", "64", "--candidate", "16-sg",
                 "--runs", str(runs), "--out", str(tmp_path / "out-runs")]) == 0
    assert f"--runs {runs} holds no training folder (with metrics.jsonl) of 16-sg" in capsys.readouterr().err
    frames = dict(np.load(report / "codec" / "16-sg" / "frames.npz"))
    frames["frame_counts"] = frames["frame_counts"][::-1]
    np.savez(report / "codec" / "16-sg" / "frames.npz", **frames)
    with pytest.raises(ValueError, match="same utterances"):
        check_claims(report, [("16", "16-sg")], "64", "16-sg")
    with pytest.raises(SystemExit):
        main(["--report", str(report), "--pair", "64", "--reference", "64", "--candidate", "16-sg", "--out", "x"])
    # a system the report lacks: one error line naming it, not a traceback
    assert main(["--report", str(report), "--pair", "64:64-sg", "--pair", "8:8-sg", "--reference", "64",
                 "--candidate", "16-sg", "--out", str(tmp_path / "out2")]) == 2
    assert "'8'" in capsys.readouterr().err
    # systems on other utterances, and one whose folder stays but a later compare left out of results.json: a
    # traceback each (ValueError, KeyError)
    assert main(["--report", str(report), "--pair", "16:16-sg", "--reference", "64", "--candidate", "16-sg",
                 "--out", str(tmp_path / "out2")]) == 2
    assert "same utterances" in capsys.readouterr().err  # 16-sg's frames were shuffled above
    results = json.loads((report / "results.json").read_text())
    (report / "results.json").write_text(json.dumps({"codecs": {k: v for k, v in results["codecs"].items() if k != "64"}}))
    with pytest.raises(ValueError, match=r"results.json: no codec 64 in it \(its last compare named 16, 16-sg, 64-sg\)"):
        check_claims(report, [("64", "64-sg")], "16", "16-sg")
    assert main(["--report", str(report), "--pair", "64:64-sg", "--reference", "16", "--candidate", "16-sg",
                 "--out", str(tmp_path / "out2")]) == 2
    assert "no codec 64 in it" in capsys.readouterr().err
    # a system against itself passes every claim: refused as the typo it is, as is a --runs folder that is not one
    for bad, message in [(["--pair", "64:64", "--reference", "64", "--candidate", "16-sg"], "paired with itself"),
                         (["--pair", "64:64-sg", "--reference", "64", "--candidate", "64"], "both '64'"),
                         (["--pair", "64:64-sg", "--reference", "64", "--candidate", "16-sg", "--runs",
                           str(tmp_path / "nope")], "not a folder")]:
        with pytest.raises(SystemExit) as err:
            main(["--report", str(report), *bad, "--out", str(tmp_path / "out3")])
        assert err.value.code == 2 and message in capsys.readouterr().err


def test_grouped_ci_resamples_utterances_not_frames():
    rng = np.random.default_rng(1)
    counts = np.full(30, 50)
    values = np.repeat(rng.normal(1.0, 1.0, 30), 50)  # frames within an utterance identical: 30 values, not 1500
    low, high = grouped_mean_ci(values, counts)
    assert low < values.mean() < high
    frame_low, frame_high = np.quantile([rng.choice(values, values.size).mean() for _ in range(500)], [0.025, 0.975])
    assert (high - low) > 3 * (frame_high - frame_low)
    with pytest.raises(ValueError, match="sum to 1500"):
        grouped_mean_ci(values, counts[:-1])


def test_training_summary_and_loss_curves_average_windows(tmp_path):
    from pipelines.claims import train_curves, training_summary

    run = tmp_path / "run"
    run.mkdir()
    rows = [{"step": s, "mel": float(s), "step_seconds": 1.0, **({"sg": 0.5 if s == 60 else 0.1})} for s in range(1, 121)]
    (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    summary = training_summary(run)
    assert summary["steps"] == 120 and summary["wall_hours"] == pytest.approx(120 / 3600)
    assert summary["train_mel_last100"] == pytest.approx(np.mean(range(21, 121)))
    assert summary["train_sg_max"] == 0.5 and summary["train_sg_last100"] == pytest.approx((99 * 0.1 + 0.5) / 100)
    curves = train_curves(run, window=50)
    assert curves["train mel"] == ([50, 100], [25.5, 75.5])  # the last 20 steps make no full window
    assert curves["train sg"][1][1] == pytest.approx((49 * 0.1 + 0.5) / 50)


def test_diagnostic_ratios_pair_utterances_by_id_not_by_frame_counts(tmp_path):
    # utterances of equal length listed in another order: the frame counts agree, the utterances do not
    counts = np.full(4, 10)
    for name, ids, per_utt in (("64", ["u0", "u1", "u2", "u3"], [1.0, 2.0, 3.0, 4.0]),
                               ("64-sg", ["u3", "u2", "u1", "u0"], [4.0, 3.0, 2.0, 1.0])):
        d = tmp_path / "codec" / name
        d.mkdir(parents=True)
        values = np.repeat(per_utt, counts)
        np.savez(d / "frames.npz", quantization_error=values, hidden_mse=values, frame_counts=counts)
        (d / "per_utterance.json").write_text(json.dumps({"id": ids, "pesq_wb": [2.0] * 4}))
    with pytest.raises(ValueError, match="same utterances"):  # paired as listed, the ratio's CI was [0.43, 2.33]
        ratio_of_means(tmp_path, "64", "64-sg", "quantization_error")


# -- mutation-testing review (2026-12): each verdict bound on its own --------------------------------------------

def test_each_verdict_needs_the_whole_ci_on_its_side_of_the_margin(tmp_path):
    # claim 1: a QE that falls by 10 % is no more "almost unchanged" than one that rises by 10 %
    claims = _one_pair(tmp_path / "qe_down", qe_ratio=0.90)
    assert claims["quantization_error"]["64 -> 64-sg"]["ratio_ci"][1] < 0.95
    assert claims["verdicts"]["1 QE unchanged"] == "not reproduced"
    # claim 2: a hidden-MSE ratio CI across 1 (the std falling) is inconclusive, not a cut
    rng = np.random.default_rng(5)
    claims = _one_pair(tmp_path / "mse_across", qe_ratio=1.0,
                       hidden_sg=lambda heavy: np.minimum(heavy, np.percentile(heavy, 99.5)) * rng.uniform(0.2, 2.0, heavy.size))
    cut = claims["hidden_mse"]["64 -> 64-sg"]
    assert cut["ratio_ci"][0] < 1 < cut["ratio_ci"][1] and cut["std_other"] < cut["std_base"], cut
    assert claims["verdicts"]["2 hidden MSE cut"] == "inconclusive"

    # claim 3: non-inferiority margins PESQ 0.1 and STOI 0.01, decided by the CI's lower end
    def claim3(name, pesq_shift, stoi_shift, spread=0.0):
        report = _report(tmp_path / name, candidate_pesq_shift=0.0)
        path = report / "codec" / "16-sg" / "per_utterance.json"
        scores = json.loads(path.read_text())
        noise = np.random.default_rng(1).normal(0, spread, 40)
        reference = json.loads((report / "codec" / "64" / "per_utterance.json").read_text())
        scores["pesq_wb"] = list(np.asarray(reference["pesq_wb"]) + pesq_shift + noise)
        scores["stoi"] = list(np.asarray(reference["stoi"]) + stoi_shift)
        path.write_text(json.dumps(scores))
        claims = check_claims(report, [("64", "64-sg")], "64", "16-sg")
        return claims["verdicts"]["3 smaller codebook + SG matches"], claims["match"]

    assert claim3("pesq_within", -0.05, 0.0)[0] == "reproduced"
    assert claim3("stoi_within", 0.0, -0.005)[0] == "reproduced"
    assert claim3("stoi_beyond", 0.0, -0.05)[0] == "not reproduced"  # a loss of 0.05 STOI: 5 x the margin
    verdict, match = claim3("pesq_across", -0.1, 0.0, spread=0.3)  # the CI spans the margin
    assert match["pesq_wb"]["difference_ci"][0] < -0.1 < match["pesq_wb"]["difference_ci"][1]
    assert verdict == "inconclusive"
