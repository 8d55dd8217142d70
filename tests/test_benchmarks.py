"""Smoke run of the benchmark suite (quick mode, debug sizes): it runs and writes well-formed JSON records.

Only the shape of the output is checked - never a timing (benchmarks are scripts, not timed tests).
One torch thread: on a loaded CI machine two threads can stall on every op while waiting for a busy core.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {"codec_infer", "codec_train", "lm_train", "lm_generate", "tts", "peers"}


@pytest.mark.slow
def test_quick_suite_writes_wellformed_json(tmp_path):
    out = tmp_path / "results.jsonl"
    env = {**os.environ, "SGSPEECH_BENCH_WORK": str(tmp_path / "work"), "TQDM_DISABLE": "1",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "all", "--device", "cpu", "--quick", "--threads", "1",
                           "--out", str(out), "--peers-python", str(tmp_path / "no-peers-venv" / "python")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    printed = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert printed == records
    assert {r["benchmark"] for r in records} == EXPECTED
    for r in records:
        assert {"benchmark", "env", "params", "results"} <= set(r)
        env_keys = {"date", "python", "torch", "transformers", "cpu", "cpu_cores", "torch_threads", "loadavg_start",
                    "cpu_isa", "cpu_bf16_units"}
        assert env_keys <= set(r["env"]), r["env"]
        assert r["results"], r["benchmark"]
        assert r["params"]["quick"] is True
    by = {r["benchmark"]: r for r in records}
    row = by["codec_infer"]["results"][0]
    assert {"encode_rtf", "decode_rtf", "encode_decode_x_realtime", "peak_rss_mb"} <= set(row)
    assert {"median", "min", "max", "q1", "q3", "n"} <= set(row["encode_rtf"])
    assert any("sg_overhead_ratio" in x for x in by["codec_train"]["results"])
    assert {"tokens_per_s", "padding_fraction_epoch", "flops_per_token"} <= set(by["lm_train"]["results"][0])
    trained = [x for x in by["lm_train"]["results"] + by["codec_train"]["results"] if "step_s" in x]
    assert trained and {x["precision"] for x in trained} == {"fp32"}  # auto on a CPU
    assert {"ours_tokens_per_s", "plain_tokens_per_s", "speedup_vs_plain"} <= set(by["lm_generate"]["results"][0])
    assert {"rtf", "first_audio_latency_s", "stream_first_audio_s"} <= set(by["tts"]["results"][0])
    assert "not_measured" in by["peers"]["params"]["peers"]  # no peers venv given: recorded, not an error
    assert any(x["codec"].startswith("ours_") for x in by["peers"]["results"])


def test_profile_step_reports_ops_and_a_table(tmp_path):
    """benchmarks/profile_step.py on the debug codec (CPU): a row with the per-step figures and the op table."""
    from benchmarks.profile_step import profile_codec_step

    row, table = profile_codec_step("debug", "cpu", sg=True, batch=2, segment_seconds=0.2, steps=1, warmup=0,
                                    threads=1, top=10)
    assert row["wall_s_per_step"] > 0
    assert row["dispatched_ops_per_step"] > 100  # a GAN step of even the debug codec dispatches hundreds of operators
    assert "device_busy_fraction" not in row  # CUDA only
    assert "aten::convolution" in table and "Self CPU" in table


def test_profile_step_profiles_the_lm_step_too(tmp_path):
    """profile_step --lm: the packed-row LM step of `benchmarks lm-train` under the profiler."""
    from benchmarks.profile_step import profile_lm_step

    row, table = profile_lm_step("debug", "cpu", batch_tokens=512, steps=1, warmup=1, threads=1, top=10,
                                 utterances=12, work=tmp_path / "work")
    assert row["packing"] and row["attention"] == "sdpa" and row["real_tokens_per_step"] > 0
    assert row["wall_s_per_step"] > 0 and row["dispatched_ops_per_step"] > 100
    assert "aten::mm" in table or "aten::addmm" in table


def test_training_benchmarks_take_a_mixed_precision(tmp_path):
    """--mixed-precision bf16 reaches the LM training benchmark (its rows say so) on a CPU too."""
    env = {**os.environ, "SGSPEECH_BENCH_WORK": str(tmp_path / "work"), "TQDM_DISABLE": "1",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "lm-train", "--quick", "--threads", "1",
                           "--mixed-precision", "bf16", "--out", "-"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    record = next(json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{"))
    assert {x["precision"] for x in record["results"]} == {"bf16-autocast"}


def test_natural_length_needs_a_trained_pipeline():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "tts", "--natural", "--out", "-"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--natural needs --pipeline" in proc.stderr


def test_precision_ab_reports_every_arm_at_every_batch(tmp_path, capsys):
    """benchmarks/precision_ab.py on a debug LM: one JSON record, four precision arms per batch size, float32's
    paired ratio to itself exactly 1."""
    from benchmarks import precision_ab

    out = tmp_path / "ab.jsonl"
    assert precision_ab.main(["--preset", "debug", "--codebook", "64", "--batches", "1,3", "--rounds", "2",
                              "--steps", "3", "--threads", "1", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert printed == [record] and record["benchmark"] == "precision_ab"
    rows = record["results"]
    assert [(r["batch"], r["arm"]) for r in rows] == [(b, a) for b in (1, 3) for a in precision_ab.ARMS]
    assert all(r["ms_per_step_median"] > 0 for r in rows)
    assert all(r["paired_ratio_to_float32"] == 1.0 for r in rows if r["arm"] == "float32")


def test_tables_keep_each_training_precision_and_pivot_the_precision_ab():
    """benchmarks.tables: float32 and bf16 records of one training benchmark get a table each (the latest of
    each, not one hiding the other); a precision_ab record becomes rows x arms with the paired ratios."""
    from benchmarks.tables import render

    env = {"date": "d", "cpu": "c", "cpu_cores": 2, "torch_threads": 2, "torch": "t", "transformers": "x",
           "python": "p", "loadavg_start": [0], "device": "cpu", "cpu_isa": "AVX512", "cpu_bf16_units": True}

    def lm_train(precision, tokens_per_s):
        row = {"preset": "tiny", "packing": True, "batch_shape": [8, 1015], "real_tokens_per_step": 7793,
               "tokens_per_s": tokens_per_s, "tokens_per_s_min": tokens_per_s, "tokens_per_s_max": tokens_per_s,
               "padding_fraction_epoch": 0.037, "achieved_flops": 1e11, "precision": precision}
        return {"benchmark": "lm_train", "env": env, "params": {}, "results": [row]}

    ab = {"benchmark": "precision_ab", "env": env, "params": {}, "results": [
        {"batch": b, "arm": arm, "ms_per_step_median": ms, "paired_ratio_to_float32": ratio}
        for b, arm, ms, ratio in ((1, "float32", 3.72, 1.0), (1, "bf16", 2.10, 0.58), (8, "float32", 5.86, 1.0),
                                  (8, "bf16", 2.99, 0.51))]}
    text = render([lm_train("fp32", 1111), lm_train("bf16-autocast", 2222), lm_train("fp32", 1337), ab])
    assert "### lm_train (cpu, fp32)" in text and "### lm_train (cpu, bf16-autocast)" in text
    assert "1337 [" in text and "2222 [" in text and "1111 [" not in text  # the latest record of each precision
    assert "c (AVX512, bf16 units) x2" in text  # the ISA beside the CPU name
    assert "| 1 | 3.72 (x1.00) | 2.10 (x0.58) |" in text and "| 8 | 5.86 (x1.00) | 2.99 (x0.51) |" in text
