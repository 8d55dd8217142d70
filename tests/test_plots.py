"""Plots write readable PNGs of the expected size; markdown tables format values."""
import matplotlib.image as mpimg
import numpy as np
import pytest

from pipelines.plots import (DPI, bar_chart_png, histogram_png, histogram_styles, markdown_table,
                             spectrogram_comparison_png)

SR = 16000


def tone(seconds: float, freq: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def read_png(path):
    assert path.exists() and path.stat().st_size > 1000
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image


def test_histogram_png_log_bins(tmp_path):
    rng = np.random.default_rng(0)
    series = {"quantization error": rng.lognormal(-3, 1, 5000), "hidden MSE": rng.lognormal(-1, 0.5, (50, 100))}
    path = histogram_png(series, tmp_path / "sub" / "hist.png", xlabel="per-frame error")
    image = read_png(path)
    assert image.shape[:2] == (int(4.0 * DPI), int(6.4 * DPI))
    assert image[..., :3].std() > 0.05  # something was drawn, not a blank canvas


def test_histogram_styles_tell_many_series_apart():
    few, many = histogram_styles(3), histogram_styles(12)
    assert all(s["histtype"] == "stepfilled" and s["edgecolor"] == s["color"] for s in few)
    assert len({s["color"] for s in few}) == 3
    # nine codecs in one comparison: outlines only, each series its own (colour, line style)
    assert all(s["histtype"] == "step" for s in many)
    assert len({(s["color"], s["linestyle"]) for s in many}) == 12
    assert many[10]["color"] == many[0]["color"] and many[10]["linestyle"] != many[0]["linestyle"]


def test_histogram_png_draws_a_nine_system_comparison(tmp_path):
    rng = np.random.default_rng(1)
    series = {f"codec {i}": rng.lognormal(1 + 0.1 * i, 1, 2000) for i in range(9)}
    image = read_png(histogram_png(series, tmp_path / "nine.png", xlabel="hidden MSE"))
    # outlines in the colour cycle: the plot holds saturated colour, not only grey and black
    rgb = image[..., :3]
    assert (rgb.max(axis=-1) - rgb.min(axis=-1) > 0.4).mean() > 0.001


def test_histogram_png_drops_non_positive_with_warning_and_rejects_empty(tmp_path):
    with pytest.warns(RuntimeWarning, match="'a': 2 non-positive"):
        histogram_png({"a": np.array([0.0, -1.0, 0.5, 2.0])}, tmp_path / "h.png", xlabel="x")
    with pytest.raises(ValueError, match="series 'b' has no positive finite values"), pytest.warns(RuntimeWarning):
        histogram_png({"b": np.zeros(10)}, tmp_path / "h2.png", xlabel="x")
    path = histogram_png({"lin": np.array([-1.0, 0.0, 1.0])}, tmp_path / "lin.png", xlabel="x", log_x=False)
    read_png(path)


def test_spectrogram_comparison_png(tmp_path):
    rows = {"ground truth": tone(1.0, 440), "codec A": tone(1.0, 440) + 0.01 * np.random.default_rng(0)
            .standard_normal(SR).astype(np.float32), "codec B": tone(0.8, 880)}
    path = spectrogram_comparison_png(rows, SR, tmp_path / "spec.png", title="sample 1")
    image = read_png(path)
    height, width = image.shape[:2]
    assert width == int(8.0 * DPI) and abs(height - (1.9 * 3 + 0.6) * DPI) <= 1
    with pytest.raises(ValueError, match="'bad' must be non-empty mono"):
        spectrogram_comparison_png({"bad": np.zeros(0)}, SR, tmp_path / "bad.png")
    with pytest.raises(ValueError, match="'stereo' must be non-empty mono"):
        spectrogram_comparison_png({"stereo": np.zeros((SR, 2))}, SR, tmp_path / "bad.png")


def test_bar_chart_png_with_ci(tmp_path):
    table = [{"system": "ground truth", "wer": 0.05, "wer_ci": (0.03, 0.08)},
             {"system": "xcodec2", "wer": 0.09, "wer_ci": (0.06, 0.12)},
             {"system": "self-guided", "wer": 0.07, "wer_ci": (0.05, 0.10)}]
    path = bar_chart_png(table, "wer", tmp_path / "bar.png", ci_keys="wer_ci")
    image = read_png(path)
    assert image.shape[0] == int(4.0 * DPI)
    rows = [{"system": "a", "pesq": 3.0, "lo": 2.8, "hi": 3.1}]
    read_png(bar_chart_png(rows, "pesq", tmp_path / "bar2.png", ci_keys=("lo", "hi")))
    with pytest.raises(KeyError, match="row 'a' has no metric 'stoi'"):
        bar_chart_png(rows, "stoi", tmp_path / "bar3.png")
    with pytest.raises(KeyError, match="row 'a' has no CI key 'x'"):
        bar_chart_png(rows, "pesq", tmp_path / "bar4.png", ci_keys=("x", "hi"))
    # a swapped or missing CI would draw as no error bar at all, silently
    with pytest.raises(ValueError, match="low end above its high end"):
        bar_chart_png([{"system": "a", "pesq": 3.0, "lo": 3.1, "hi": 2.8}], "pesq", tmp_path / "bar5.png", ci_keys=("lo", "hi"))
    with pytest.warns(RuntimeWarning, match="drawn clamped"):
        bar_chart_png([{"system": "a", "pesq": 3.0, "lo": float("nan"), "hi": float("nan")}], "pesq",
                      tmp_path / "bar6.png", ci_keys=("lo", "hi"))


def test_markdown_table():
    rows = [{"system": "a|b", "wer": 0.12345, "ci": (0.1, 0.2), "n": 20},
            {"system": "c", "wer": float("nan"), "n": 3}]
    table = markdown_table(rows, ["system", "wer", "ci", "n"])
    assert table.splitlines() == [
        "| system | wer | ci | n |",
        "|---|---|---|---|",
        "| a\\|b | 0.123 | [0.100, 0.200] | 20 |",
        "| c | nan |  | 3 |",
    ]
    assert "0.12" in markdown_table(rows[:1], ["wer"], float_fmt="{:.2f}")
    with pytest.raises(KeyError, match=r"\['pesq'\] appear in no row"):
        markdown_table(rows, ["system", "pesq"])


# --- review of the plots (2026-12-07): a NaN bar marked, NaN histogram values counted, a PNG written whole ---


def test_bar_chart_png_marks_a_value_that_could_not_be_scored(tmp_path):
    """A NaN mean (evaluate's PESQ when no utterance could be scored, with a [nan, nan] CI) drew an empty slot with
    no label and no warning, read as a zero or as a missing system; it is marked n/a in red, with a warning."""
    table = [{"system": "silent", "pesq": float("nan"), "ci": [float("nan"), float("nan")]},
             {"system": "ok", "pesq": 2.5, "ci": [2.3, 2.7]}]
    with pytest.warns(RuntimeWarning, match="row 'silent': pesq is nan: no bar, marked n/a"):
        image = read_png(bar_chart_png(table, "pesq", tmp_path / "nan.png", ci_keys="ci"))
    rgb = image[..., :3]
    red = (rgb[..., 0] > 0.7) & (rgb[..., 1] < 0.35) & (rgb[..., 2] < 0.35)  # tab:red, drawn by nothing else
    assert red[:, : rgb.shape[1] // 2].sum() > 20


def test_histogram_png_counts_nan_and_inf_it_leaves_off(tmp_path):
    with pytest.warns(RuntimeWarning, match="'a': 3 NaN or Inf values left off"):
        read_png(histogram_png({"a": np.array([np.nan, np.inf, -np.inf, 0.5, 2.0])}, tmp_path / "h.png", xlabel="x"))


def test_a_png_that_fails_to_write_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    """savefig wrote into the target itself: a write that failed half way (disk full, a kill) left a truncated PNG
    in place of the previous one. Now the previous PNG stays, no temporary is left, and the figure is closed."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    path = tmp_path / "h.png"
    histogram_png({"a": np.array([0.5, 2.0])}, path, xlabel="x")
    before = path.read_bytes()

    def half_written(self, fname, **kwargs):
        with open(fname, "wb") as f:
            f.write(before[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", half_written)
    with pytest.raises(OSError, match="No space left"):
        histogram_png({"a": np.array([0.5, 3.0])}, path, xlabel="x")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["h.png"]
    assert plt.get_fignums() == []


# ---- what the bars and bins are, not only that a PNG was written ----


def test_bar_chart_error_bars_reach_from_the_ci_low_to_the_ci_high(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    drawn = {}
    bar = Axes.bar
    monkeypatch.setattr(Axes, "bar", lambda self, x, heights, *a, **kw: (drawn.update(heights=heights, **kw),
                                                                          bar(self, x, heights, *a, **kw))[1])
    table = [{"system": "a", "wer": 0.10, "ci": (0.07, 0.18)}, {"system": "b", "wer": 0.30, "ci": (0.25, 0.32)}]
    bar_chart_png(table, "wer", tmp_path / "bar.png", ci_keys="ci")
    np.testing.assert_allclose(drawn["heights"], [0.10, 0.30])
    # matplotlib's yerr: distances below (row 0) and above (row 1) the bar's top
    np.testing.assert_allclose(drawn["yerr"], [[0.03, 0.05], [0.08, 0.02]], atol=1e-12)


def test_log_histogram_bins_are_geometric_over_the_whole_range_and_the_legend_counts_every_value(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    calls = []
    hist = Axes.hist
    monkeypatch.setattr(Axes, "hist", lambda self, x, *a, **kw: (calls.append((np.asarray(x), kw)),
                                                                  hist(self, x, *a, **kw))[1])
    rng = np.random.default_rng(0)
    values = {"a": rng.lognormal(-4, 1, 500), "b": np.append(rng.lognormal(0, 1, 500), 1e3)}
    with pytest.warns(RuntimeWarning, match="'a': 1 non-positive"):
        histogram_png({"a": np.append(values["a"], -1.0), "b": values["b"]}, tmp_path / "h.png", xlabel="x", bins=40)
    (a, kw_a), (b, kw_b) = calls
    edges = np.asarray(kw_a["bins"])
    assert np.array_equal(edges, kw_b["bins"]) and len(edges) == 41  # one set of bins for every series
    assert edges[0] == min(a.min(), b.min()) and edges[-1] == 1e3  # every value inside, the outlier too
    ratios = edges[1:] / edges[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)  # equal widths on the log axis
    # the legend's mean and n are of every finite value, the one left off the log axis included
    assert f"mean {np.append(values['a'], -1.0).mean():.3g}, n=501" in kw_a["label"]


def test_curves_keep_their_legend_when_the_first_panel_is_empty(tmp_path, monkeypatch):
    """The legend went on the first panel; with no run holding its metric, matplotlib warned and none was drawn."""
    import warnings

    from pipelines import plots
    from pipelines.plots import curves_png

    figures, real_save = [], plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, path: (figures.append(fig), real_save(fig, path))[1])
    with warnings.catch_warnings():
        # matplotlib's own warning, not any library's deprecation notice (an older matplotlib under a newer
        # pyparsing warns on every mathtext label)
        warnings.filterwarnings("error", message="No artists with labels found")
        curves_png({"a": {"mel": ([1, 2], [3.0, 2.0])}, "b": {"mel": ([1, 2], [3.5, 2.5])}}, ["qe", "mel"],
                   tmp_path / "c.png")
    empty, drawn = figures[0].axes
    assert empty.get_legend() is None and [t.get_text() for t in drawn.get_legend().get_texts()] == ["a", "b"]
