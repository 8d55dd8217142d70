"""Figures and tables for evaluation reports (matplotlib's Agg backend: no display needed).

Every *_png function writes one PNG (parent folders created), closes its figure and returns the path.
"""
from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from codec.audio import log_mel_spectrogram  # noqa: E402
from codec.checkpoint import atomic_file  # noqa: E402

DPI = 150


def _as_array(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _save(fig, path: str | os.PathLike) -> Path:
    """Write the figure whole or not at all (temporary file + rename: a failed or killed write leaves the previous
    PNG, not a truncated one), and close it either way."""
    path = Path(path)
    try:
        with atomic_file(path) as tmp:
            fig.savefig(tmp, dpi=DPI, format="png")
    finally:
        plt.close(fig)
    return path


def histogram_styles(n: int, max_filled: int = 3) -> list[dict]:
    """Matplotlib `hist` styles for n overlaid series, each told apart by its own colour and line style.

    Up to `max_filled` series are filled (translucent, outlined in their colour); beyond that, filled areas pile
    into one brown mass (a 9-codec comparison was unreadable), so every series is an outline, and past the ten
    colours of the cycle the line style changes (solid, dashed, dotted, dash-dot)."""
    filled = n <= max_filled
    line_styles = ("-", "--", ":", "-.")
    styles = []
    for i in range(n):
        color = f"C{i % 10}"
        style = {"color": color, "edgecolor": color, "linestyle": line_styles[(i // 10) % len(line_styles)]}
        style.update({"histtype": "stepfilled", "alpha": 0.35} if filled else {"histtype": "step", "alpha": 0.9})
        styles.append(style)
    return styles


def histogram_png(series: dict[str, np.ndarray], path: str | os.PathLike, xlabel: str, log_x: bool = True,
                  bins: int = 60, title: str | None = None, figsize: tuple[float, float] = (6.4, 4.0)) -> Path:
    """Overlaid step histograms, one per named series (any shape, flattened), with each mean in the legend.

    With `log_x` the bins are log-spaced over the positive range of all series and the x axis is logarithmic
    (as for per-frame quantization error or hidden-feature MSE); non-positive values cannot be placed on it and
    are dropped with a warning naming the series. NaN and Inf values are dropped with a warning too (and left out of
    the legend's mean and n, which count every finite value). The image is figsize x 150 dpi pixels (960 x 600 by
    default).
    """
    if not series:
        raise ValueError("histogram_png: no series given")
    data, means = {}, {}
    for name, values in series.items():
        arr = _as_array(values).reshape(-1)
        if not_finite := int((~np.isfinite(arr)).sum()):
            warnings.warn(f"histogram_png: series {name!r}: {not_finite} NaN or Inf values left off", RuntimeWarning,
                          stacklevel=2)
        arr = arr[np.isfinite(arr)]
        means[name] = (float(arr.mean()) if arr.size else float("nan"), arr.size)  # every finite value, plotted or not
        if log_x:
            dropped = int((arr <= 0).sum())
            if dropped:
                warnings.warn(f"histogram_png: series {name!r}: {dropped} non-positive values left off the log axis",
                              RuntimeWarning, stacklevel=2)
            arr = arr[arr > 0]
        if arr.size == 0:
            raise ValueError(f"histogram_png: series {name!r} has no {'positive ' if log_x else ''}finite values")
        data[name] = arr
    lo = min(a.min() for a in data.values())
    hi = max(a.max() for a in data.values())
    if hi <= lo:
        hi = lo * 1.5 if log_x else lo + 1.0
    edges = np.geomspace(lo, hi, bins + 1) if log_x else np.linspace(lo, hi, bins + 1)
    fig, ax = plt.subplots(figsize=figsize)
    for (name, arr), style in zip(data.items(), histogram_styles(len(data))):
        ax.hist(arr, bins=edges, linewidth=1.5, label=f"{name} (mean {means[name][0]:.3g}, n={means[name][1]})", **style)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def spectrogram_comparison_png(rows: dict[str, np.ndarray], sample_rate: int, path: str | os.PathLike,
                               title: str | None = None, n_fft: int = 1024, hop_length: int = 256,
                               n_mels: int = 80, dynamic_range: float = 10.0) -> Path:
    """One log-mel panel per system, stacked top to bottom in the dict's order (put the ground truth first).

    Each value is mono audio `[T]` at `sample_rate`. All panels share one colour scale: from the loudest bin
    down `dynamic_range` natural-log units (10 ~ 87 dB), with one colour bar; the x axis is in seconds and all
    panels span the longest signal.
    """
    if not rows:
        raise ValueError("spectrogram_comparison_png: no audio given")
    mels = {}
    for name, audio in rows.items():
        arr = _as_array(audio)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"spectrogram_comparison_png: {name!r} must be non-empty mono audio [T], got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"spectrogram_comparison_png: {name!r} contains NaN or Inf samples")
        wav = torch.from_numpy(arr.astype(np.float32))
        mels[name] = log_mel_spectrogram(wav, sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels).numpy()
    vmax = max(float(m.max()) for m in mels.values())
    vmin = max(min(float(m.min()) for m in mels.values()), vmax - dynamic_range)
    seconds = max(len(_as_array(a)) for a in rows.values()) / sample_rate
    fig, axes = plt.subplots(len(mels), 1, figsize=(8.0, 1.9 * len(mels) + 0.6), squeeze=False, sharex=True,
                             layout="constrained")
    image = None
    for ax, (name, mel) in zip(axes[:, 0], mels.items()):
        # centred frames (log_mel_spectrogram): frame i is centred at i * hop, so its pixel spans half a hop each side
        extent = (-0.5 * hop_length / sample_rate, (mel.shape[1] - 0.5) * hop_length / sample_rate, 0, n_mels)
        image = ax.imshow(mel, origin="lower", aspect="auto", extent=extent, vmin=vmin, vmax=vmax, cmap="magma",
                          interpolation="nearest")
        ax.set_xlim(0, seconds)
        ax.set_ylabel("mel bin")
        ax.set_title(name, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("time (s)")
    if title:
        fig.suptitle(title)
    fig.colorbar(image, ax=axes[:, 0].tolist(), label="log mel magnitude (nats)", pad=0.01, aspect=30)
    return _save(fig, path)


def curves_png(curves: dict[str, dict[str, tuple[list, list]]], metrics: list[str], path: str | os.PathLike,
               xlabel: str = "step", log_y: bool = True, title: str | None = None) -> Path:
    """One panel per metric, one line per run: `curves[run][metric] = (x values, y values)` (e.g. the dev
    diagnostics of training runs against the step). Runs that lack a metric are left out of its panel."""
    if not curves or not metrics:
        raise ValueError("curves_png: no runs or no metrics given")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, (run, series) in enumerate(curves.items()):  # a run keeps its colour in panels that skip others
            if metric in series and len(series[metric][0]):
                ax.plot(*series[metric], marker="o", markersize=3, label=run, color=f"C{i % 10}")
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
    drawn = [ax for ax in axes[0] if ax.get_legend_handles_labels()[0]]
    if drawn:  # on the first panel with a line (an empty first panel made matplotlib warn, with no legend at all)
        drawn[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def _ci_bounds(row: dict, ci_keys, label: str) -> tuple[float, float]:
    if isinstance(ci_keys, str):
        if ci_keys not in row:
            raise KeyError(f"bar_chart_png: row {label!r} has no CI key {ci_keys!r}")
        low, high = row[ci_keys]
    else:
        low_key, high_key = ci_keys
        for key in (low_key, high_key):
            if key not in row:
                raise KeyError(f"bar_chart_png: row {label!r} has no CI key {key!r}")
        low, high = row[low_key], row[high_key]
    return float(low), float(high)


def bar_chart_png(table: list[dict], metric: str, path: str | os.PathLike, label_key: str = "system",
                  ci_keys: str | tuple[str, str] | None = None, title: str | None = None) -> Path:
    """One bar per row: height row[metric], labelled row[label_key], value written above each bar.

    `ci_keys` adds asymmetric error bars: either one key whose value is a (low, high) pair (as wer_report's
    'wer_ci') or a (low_key, high_key) pair of keys. Raises KeyError naming the row and key when one is missing.
    A NaN or Inf value (a metric no utterance could be scored on) has no bar: its place is marked 'n/a', with a
    warning, so that it does not read as an empty slot or a zero.
    """
    if not table:
        raise ValueError("bar_chart_png: empty table")
    labels, values, lows, highs = [], [], [], []
    for i, row in enumerate(table):
        label = str(row.get(label_key, f"row {i}"))
        if label_key not in row:
            raise KeyError(f"bar_chart_png: row {i} has no label key {label_key!r}")
        if metric not in row:
            raise KeyError(f"bar_chart_png: row {label!r} has no metric {metric!r}")
        value = float(row[metric])
        if not math.isfinite(value):
            warnings.warn(f"bar_chart_png: row {label!r}: {metric} is {value}: no bar, marked n/a", RuntimeWarning,
                          stacklevel=2)
        labels.append(label)
        values.append(value)
        if ci_keys is not None:
            low, high = _ci_bounds(row, ci_keys, label)
            if low > high:  # a swapped pair would draw as no bar at all (matplotlib takes distances, clamped here)
                raise ValueError(f"bar_chart_png: row {label!r}: CI [{low}, {high}] has its low end above its high end")
            if math.isfinite(value) and (not (math.isfinite(low) and math.isfinite(high)) or not low <= value <= high):
                warnings.warn(f"bar_chart_png: row {label!r}: {metric} {value} with CI [{low}, {high}]: the error bar "
                              "is drawn clamped to the value", RuntimeWarning, stacklevel=2)
            lows.append(max(0.0, value - low) if math.isfinite(low) else 0.0)
            highs.append(max(0.0, high - value) if math.isfinite(high) else 0.0)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(table) + 2.0), 4.0))
    x = np.arange(len(table))
    yerr = np.array([lows, highs]) if ci_keys is not None else None
    heights = [v if math.isfinite(v) else float("nan") for v in values]  # an Inf bar would break the y scale
    bars = ax.bar(x, heights, yerr=yerr, capsize=4, color="tab:blue", alpha=0.8, edgecolor="black")
    for bar, value, high in zip(bars, values, highs or [0.0] * len(values)):
        if math.isfinite(value):
            ax.annotate(f"{value:.3g}", (bar.get_x() + bar.get_width() / 2, value + high), ha="center",
                        va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        else:  # at the foot of its empty slot, in the axes' height (the data may be all NaN)
            ax.annotate(f"n/a ({value})", (bar.get_x() + bar.get_width() / 2, 0.0), ha="center", va="bottom",
                        fontsize=8, color="tab:red", xytext=(0, 2), textcoords="offset points",
                        xycoords=ax.get_xaxis_transform())
    ax.set_xlim(-0.6, len(table) - 0.4)  # every row's slot, a bar-less one included
    ax.set_xticks(x, labels, rotation=20 if max(len(s) for s in labels) > 8 else 0, ha="right" if max(
        len(s) for s in labels) > 8 else "center")
    ax.set_ylabel(metric)
    ax.margins(y=0.15)
    if title:
        ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _cell(value, float_fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else float_fmt.format(float(value))
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, (int, float, np.number)) for v in value):
        return "[" + ", ".join(_cell(float(v), float_fmt) for v in value) + "]"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict], columns: list[str], float_fmt: str = "{:.3f}") -> str:
    """A GitHub markdown table of `rows` restricted to `columns` (in that order).

    Floats use `float_fmt` (NaN -> 'nan'), numeric pairs such as CIs print as '[low, high]', None and keys a row
    lacks print empty, '|' is escaped. Raises KeyError for a column that no row has (most likely a typo).
    """
    if not columns:
        raise ValueError("markdown_table: no columns given")
    missing = [c for c in columns if not any(c in row for row in rows)]
    if rows and missing:
        raise KeyError(f"markdown_table: column(s) {missing} appear in no row; rows have {sorted(set().union(*rows))}")
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c), float_fmt) for c in columns) + " |")
    return "\n".join(lines)
