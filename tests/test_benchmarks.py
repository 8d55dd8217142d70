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
import torch

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
                           "--mixed-precision", "bf16", "--packing", "packed", "--out", "-"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    record = next(json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{"))
    assert {x["precision"] for x in record["results"]} == {"bf16-autocast"}
    assert [x["packing"] for x in record["results"]] == [True]  # --packing packed: the packed row alone


def test_codec_training_benchmark_times_one_sg_variant_when_asked(monkeypatch):
    # a capped GPU call times one variant (one compile); the overhead ratio needs both, so it is left out
    from benchmarks import codec_train

    monkeypatch.setenv("TQDM_DISABLE", "1")
    record = codec_train.run(quick=True, threads=1, flops=False, sg_variants=(True,))
    assert [row.get("sg") for row in record["results"]] == [True] and "step_s" in record["results"][0]
    assert "targets" not in record and record["params"]["sg_variants"] == [True]


def test_natural_length_needs_a_trained_pipeline(run_command):
    proc = run_command("benchmarks", "tts", "--natural", "--out", "-")
    assert proc.returncode == 2 and "--natural needs --pipeline" in proc.stderr


def test_tables_command_line_and_counts_that_must_be_positive(tmp_path, capsys):
    """`benchmarks.tables --help` read '--help' as the results file (a FileNotFoundError traceback); a missing file
    is one error line; --codebook 0 and --budget-s -1 were taken."""
    from benchmarks import __main__ as bench_cli
    from benchmarks import tables

    with pytest.raises(SystemExit) as exit_:
        tables.main(["--help"])
    assert exit_.value.code == 0 and "results" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        tables.main([str(tmp_path / "none.jsonl")])
    assert exit_.value.code == 2 and "none.jsonl: cannot read the results file" in capsys.readouterr().err
    results = tmp_path / "results.jsonl"  # a record cut short is left out with a word, the others render
    results.write_text('{"benchmark": "codec_infer", "env": {}, "res\n')
    assert tables.main([str(results)]) == 0 and "results.jsonl:1: not a JSON record" in capsys.readouterr().err
    for option, value in (("--codebook", "0"), ("--budget-s", "-1")):
        with pytest.raises(SystemExit):
            bench_cli.main(["lm-train", option, value])
        assert f"argument {option}" in capsys.readouterr().err
    from benchmarks import compile_ab, precision_ab

    for module, option in ((compile_ab, "--pairs"), (precision_ab, "--rounds")):  # 0 crashed on an empty median
        with pytest.raises(SystemExit):
            module.main([option, "0"])
        assert f"argument {option}: 0: must be at least 1" in capsys.readouterr().err


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


def _codecs_in_memory() -> int:
    """Codec instances the interpreter still holds, reachable or not: uncollected garbage holds memory too."""
    import gc

    from codec.model import Codec

    return sum(issubclass(type(o), Codec) for o in gc.get_objects())


def test_codec_train_measures_each_sg_variant_alone_in_memory(monkeypatch):
    """codec_train: at every step of a variant, its own Codec is the only one in memory - not the other SG variant,
    nor the previous preset's - so the variant's peak memory is its own."""
    import gc

    from benchmarks import codec_train

    gc.collect()
    before = _codecs_in_memory()  # other tests' (e.g. cached pipelines)
    real_build, in_memory = codec_train.build_step, []

    def build_step(*args, **kwargs):
        step, n_params, segment_s = real_build(*args, **kwargs)

        def counted():
            in_memory.append(_codecs_in_memory() - before)
            return step()
        counted.eager = step.eager
        return counted, n_params, segment_s

    monkeypatch.setattr(codec_train, "build_step", build_step)
    record = codec_train.run(presets=("debug", "debug"), batch=2, segment_seconds=0.2, warmup=1, repeats=2,
                             flops=False, threads=1)
    assert len(in_memory) == 2 * 2 * 3  # presets x variants x (warm-up + repeats)
    assert set(in_memory) == {1}
    assert sum("sg_overhead_ratio" in r for r in record["results"]) == 2
    off, on, ratio = record["results"][:3]  # the first preset's variants, then their ratios
    by_sg = {off["sg"]: off["step_s"], on["sg"]: on["step_s"]}
    assert ratio["sg_overhead_ratio_fastest"] == pytest.approx(by_sg[True]["min"] / by_sg[False]["min"])


def test_mfu_denominator_follows_the_gpu_variant():
    """Each H100/H200 variant gets its own dense bf16 peak: the NVL cards are not the SXM parts."""
    from benchmarks.common import gpu_peak_bf16_flops

    assert gpu_peak_bf16_flops("NVIDIA H100 NVL") == (835.5e12, "H100 NVL")
    assert gpu_peak_bf16_flops("NVIDIA H100 PCIe") == (756.0e12, "H100 PCIe")
    assert gpu_peak_bf16_flops("NVIDIA H100 80GB HBM3") == (989.4e12, "H100 SXM")
    assert gpu_peak_bf16_flops("NVIDIA H200") == (989.4e12, "H200")
    assert gpu_peak_bf16_flops("NVIDIA H200 NVL") == (835.5e12, "H200 NVL")
    assert gpu_peak_bf16_flops("NVIDIA A100-SXM4-80GB") == (312.0e12, "A100")
    assert gpu_peak_bf16_flops("NVIDIA GeForce RTX 4090") == (None, None)


def test_profile_step_takes_the_wall_per_step_from_unprofiled_steps(monkeypatch):
    """profile_step: wall_s_per_step (the denominator of device_busy_fraction on CUDA) is the median of as many
    steps timed without the profiler, whose overhead would inflate it; the profiled wall is kept beside it."""
    import torch

    from benchmarks import profile_step
    from benchmarks.common import time_fn

    profiled, measured = [], {}

    def step():
        profiled.append(torch.autograd.profiler._is_profiler_enabled)
        torch.ones(32, 32) @ torch.ones(32, 32)

    def spy(fn, device, warmup, repeats):
        calls = len(profiled)
        measured.update(time_fn(fn, device, warmup, repeats), profiler_on=profiled[calls:])
        return measured

    monkeypatch.setattr(profile_step, "time_fn", spy)
    row, _ = profile_step.profile_step(step, torch.device("cpu"), {}, steps=3, warmup=1, top=5)
    assert measured["n"] == 3 and measured["profiler_on"] == [False] * 4  # 1 warm-up + 3 timed steps
    assert row["wall_s_per_step"] == measured["median"]
    assert row["wall_s_per_step_profiled"] > 0
    assert profiled.count(True) == 3


def test_compile_ab_times_both_codecs_in_the_compile_precision(monkeypatch, capsys):
    """compile_ab: every encode and decode it compares or times runs inside codec_infer.autocast (bf16 on CUDA),
    the context the codec was compiled in - not a recompiled float32 graph."""
    import contextlib

    from benchmarks import compile_ab
    from codec.model import Codec

    inside, seen = [False], []

    @contextlib.contextmanager
    def autocast(device):
        inside[0] = True
        yield
        inside[0] = False

    def watched(method):
        def call(self, *args, **kwargs):
            seen.append(inside[0])
            return method(self, *args, **kwargs)
        return call

    monkeypatch.setattr(compile_ab, "autocast", autocast)
    monkeypatch.setattr(compile_ab, "compile_codec", lambda codec, device, seconds: 0.0)  # compiling is not the point
    monkeypatch.setattr(Codec, "encode", watched(Codec.encode))
    monkeypatch.setattr(Codec, "decode", watched(Codec.decode))
    assert compile_ab.main(["--preset", "debug", "--seconds", "0.2", "--pairs", "1", "--threads", "1"]) == 0
    # the reference codes, the comparison (an encode, two decodes), 2 codecs x 2 operations x 3 pairs (2 warm-up)
    assert len(seen) == 1 + 3 + 2 * 2 * 3 and all(seen)
    record = json.loads(capsys.readouterr().out)
    assert record["results"][0]["precision"] == "fp32"  # on a CPU autocast is a no-op


def _half_precision_pipeline(folder: Path) -> Path:
    """The bundled default model with its LM's head and layers in bfloat16 at any batch (pipeline.json's
    half_precision "always"): generate_codes then computes logits from a copy of the head, not the lm_head module."""
    default = ROOT / "pipelines" / "default_model"
    folder.mkdir()
    for part in ("codec", "lm"):
        (folder / part).symlink_to(default / part)
    saved = json.loads((default / "pipeline.json").read_text())
    saved["sampling"].update(head_dtype="bfloat16", layer_dtype="bfloat16", half_precision="always")
    (folder / "pipeline.json").write_text(json.dumps(saved))
    return folder


def test_tts_fixed_length_holds_on_the_half_precision_path(tmp_path):
    """tts with a trained pipeline whose LM decodes in half precision: every sentence still gets --frames codes
    (SPEECH_END blocked on that path too; the default model would stop sooner), and the audio, speech seconds and
    tokens/s the row reports are those of the codes generated."""
    from benchmarks import tts

    pipeline = _half_precision_pipeline(tmp_path / "pipeline")
    frames, pause_s = 200, json.loads((pipeline / "pipeline.json").read_text())["pause_seconds"]
    record = tts.run(pipeline=str(pipeline), frames=frames, sentences=2, warmup=0, repeats=1, threads=1,
                     utterances=12)
    for row in record["results"]:
        speech_s = row["audio_seconds_speech_only"]
        assert row["audio_seconds"] == pytest.approx(speech_s + (row["sentences"] - 1) * pause_s)
        assert row["codes_generated"] == row["sentences"] * frames and speech_s == row["sentences"] * frames / 50
        assert row["lm_tokens_per_s"] == row["codes_generated"] / row["synthesis_s"]["median"]
        assert row["precision"] == row["stream_precision"] == "lm head bfloat16, layers bfloat16; codec float32"


def test_tts_precision_overrides_the_pipelines_and_is_recorded(tmp_path):
    """tts --precision float32 on a pipeline saved with bfloat16: the rows say float32 (what ran), not the
    pipeline's setting."""
    from benchmarks import tts

    record = tts.run(pipeline=str(_half_precision_pipeline(tmp_path / "pipeline")), precision="float32", quick=True,
                     threads=1)
    assert record["params"]["precision"] == "float32"
    assert {r["precision"] for r in record["results"]} == {"lm head float32, layers float32; codec float32"}


def test_lm_generate_defaults_to_the_default_models_vocabulary_and_measures_its_lm():
    """lm-generate: random weights get the default model's codebook (16384) unless told otherwise, every row
    records its codebook and vocabulary, and --pipeline measures a trained pipeline's own LM."""
    from benchmarks import lm_generate

    random_rows = lm_generate.run(quick=True, threads=1)["results"]
    assert {(r["codebook"], r["model"]) for r in random_rows} == {(16384, "random weights")}
    assert all(r["vocab_size"] > 16384 for r in random_rows)  # the codes and the fixture tokenizer's text pieces
    default = str(ROOT / "pipelines" / "default_model")
    record = lm_generate.run(quick=True, threads=1, pipeline=default)
    assert {(r["codebook"], r["vocab_size"], r["model"]) for r in record["results"]} == {(16384, 16645, default)}
    assert all(r["ours_tokens_per_s"]["median"] > 0 and r["precision"].startswith("head ") for r in record["results"])


def test_mfu_denominator_matches_whole_words_of_the_gpu_name():
    """"A100" is no part of an RTX A1000 (a small workstation card), and a GH200 is named as itself, not "H200"."""
    from benchmarks.common import gpu_peak_bf16_flops

    assert gpu_peak_bf16_flops("NVIDIA RTX A1000 6GB Laptop GPU") == (None, None)
    assert gpu_peak_bf16_flops("NVIDIA GH200 480GB") == (989.4e12, "GH200")
    assert gpu_peak_bf16_flops("NVIDIA A100 80GB PCIe") == (312.0e12, "A100")
    assert gpu_peak_bf16_flops("NVIDIA H100 SXM5 94GB") == (989.4e12, "H100 SXM")


def test_codec_flop_count_includes_attention_on_cpu():
    """codec_train.count_flops counts the attention kernel that sdpa runs on a CPU, with the formulas that
    FlopCounterMode applies to the CUDA kernels (forward 2 matmuls, backward 5), so CPU and GPU counts agree."""
    import torch
    import torch.nn.functional as F
    from torch.utils.flop_counter import sdpa_backward_flop_count, sdpa_flop_count

    from benchmarks import codec_train

    q, k, v = (torch.randn(2, 4, 50, 16, requires_grad=True) for _ in range(3))
    mask = torch.ones(2, 1, 1, 50, dtype=torch.bool)

    def step():
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask).sum().backward()
    step.eager = step
    shape = (2, 4, 50, 16)
    assert codec_train.count_flops(step) == sdpa_flop_count(shape, shape, shape) + sdpa_backward_flop_count(
        shape, shape, shape, shape)


def test_lm_flops_per_token_matches_flop_counter():
    """lm_train.flops_per_token's two terms against FlopCounterMode over one forward + backward of a debug Llama
    (eager attention, which computes every query-key pair of a row with matmuls): 6 * N_matmul per token is every
    matmul of the step (tied lm_head included, embedding lookup excluded); 12 * layers * hidden per (query, key)
    pair is the attention's."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from benchmarks.lm_train import flops_per_token
    from lm.config import LMConfig
    from lm.model import build_llama
    from lm.train import token_loss_sum
    from lm.vocab import Vocabulary

    config = LMConfig.preset("debug")
    vocab = Vocabulary(text_size=64, codebook_size=256)
    torch.manual_seed(0)
    model = build_llama(config, vocab)
    model.set_attn_implementation("eager")
    rows, width = 2, 48
    ids = torch.randint(0, vocab.size, (rows, width))
    ids[ids == vocab.pad] = 0
    batch = {"input_ids": ids, "labels": ids.clone(), "position_ids": torch.arange(width).repeat(rows, 1)}
    with FlopCounterMode(display=False) as counter:
        loss, count = token_loss_sum(model, batch)
        (loss / count).backward()
    counts = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    tokens = rows * width
    attention_per_token = flops_per_token(model, config, width) - flops_per_token(model, config, 0)
    # transformers before 5 made RoPE's angles as a batched matmul (inv_freq x positions: head_dim / 2 x 1 x width
    # per row, forward only), which flops_per_token leaves out as the negligible thing it is
    rope_angles = 2 * rows * (config.hidden_size // config.num_heads // 2) * width
    assert counts.pop("aten.bmm") in (attention_per_token * tokens, attention_per_token * tokens + rope_angles)
    assert sum(counts.values()) == flops_per_token(model, config, 0) * tokens


# ---- review 2026-12-07 (benchmark fairness and timing): first-use precision timing, preset validation ----

def test_lm_generate_settles_the_precision_verdict_before_any_timed_run(monkeypatch):
    """generate_codes times both precisions on its first generation at a batch size (CPU, "where_faster"); with
    --warmup 0 that timing fell into lm-generate's first timed repeat (0.48 s against 0.06 s per call on the
    default model). measure() settles the verdict first, untimed."""
    import torch

    import benchmarks.lm_generate as lm_generate
    from lm.generate import _CPU_VERDICTS, SamplingConfig

    lm = lm_generate.build_lm("debug", 64, 12, torch.device("cpu"))
    sampling = SamplingConfig(min_frames=4, max_frames_base=4, max_frames_per_text_token=0.0, head_dtype="bfloat16",
                              layer_dtype="bfloat16", half_precision="where_faster")
    settled, real_time_fn = [], lm_generate.time_fn

    def watching(fn, device, warmup, repeats):
        settled.append(bool(_CPU_VERDICTS.get(lm.model)))
        return real_time_fn(fn, device, warmup, repeats)

    monkeypatch.setattr(lm_generate, "time_fn", watching)
    row = lm_generate.measure(lm, sampling, lm_generate.fixtures.sentences(utterances=12)[:2], 4, torch.device("cpu"),
                              warmup=0, repeats=1)
    assert settled == [True, True] and row["ours_tokens_per_s"]["median"] > 0


@pytest.mark.parametrize("argv", [["codec-infer", "--presets", "debug,nope"], ["lm-generate", "--presets", "bogus"],
                                  ["all", "--codec-presets", "nope"], ["all", "--lm-presets", "nope"],
                                  ["tts", "--presets", "tiny"], ["all", "--presets", "tiny"]])
def test_cli_refuses_unknown_or_inapplicable_presets_before_any_work(argv, capsys, tmp_path, monkeypatch):
    """An unknown preset used to fail only when its turn came (after the presets before it had been timed, whose
    record was then never written); --presets where it does not apply was silently ignored."""
    from benchmarks.__main__ import main

    for name in ("codec_infer", "codec_train", "lm_train", "lm_generate", "tts", "peers"):  # no benchmark may start
        module = __import__(f"benchmarks.{name}", fromlist=["run"])
        monkeypatch.setattr(module, "run", lambda **kw: pytest.fail(f"a benchmark ran: {kw}"))
    with pytest.raises(SystemExit) as e:
        main(argv + ["--out", str(tmp_path / "r.jsonl")])
    assert e.value.code == 2 and "preset" in capsys.readouterr().err
    assert not (tmp_path / "r.jsonl").exists()


# ---- review 2026-12-07 (measurement records): stdout, the results file, the env block ----

def test_out_dash_stdout_carries_only_the_json_records(monkeypatch, capsys, tmp_path):
    """`--out -` leaves the records on stdout alone; the first run's corpus build (pipelines.corpus.build_synth)
    printed its manifest summaries there too ("/tmp/.../train.jsonl: 10 utterances, 0.6 min"), as would any
    library print during a benchmark."""
    import pipelines.corpus

    from benchmarks import fixtures, lm_generate
    from benchmarks.__main__ import main

    def fake_build_synth(out, *args, **kwargs):
        out.mkdir(parents=True)
        paths = {split: out / f"{split}.jsonl" for split in ("train", "dev", "test")}
        for split, path in paths.items():
            path.write_text("")
            print(f"{path}: 0 utterances, 0.0 min")
        return paths

    monkeypatch.setattr(pipelines.corpus, "build_synth", fake_build_synth)
    fixtures.corpus(tmp_path / "work", utterances=3)
    assert capsys.readouterr().out == ""

    def noisy_run(**kwargs):
        print("some library's progress line")
        return {"benchmark": "lm_generate", "env": {}, "params": {}, "results": [{}]}

    monkeypatch.setattr(lm_generate, "run", noisy_run)
    assert main(["lm-generate", "--out", "-"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["benchmark"] for line in out] == ["lm_generate"]


def test_results_append_survives_a_record_cut_short(tmp_path):
    """A writer that died mid-record (disk full, killed) leaves an unterminated last line; the next record was
    appended onto it and both were lost to a JSON-lines reader. Now the next record starts a line of its own."""
    from benchmarks.common import emit

    path = tmp_path / "results.jsonl"
    emit({"benchmark": "one"}, path)
    with open(path, "a") as f:
        f.write('{"benchmark": "two", "resu')  # the crash
    emit({"benchmark": "three"}, path)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"benchmark": "one"} and json.loads(lines[-1]) == {"benchmark": "three"}
    assert len(lines) == 3 and path.read_text().endswith("\n")


def test_env_records_the_cpus_the_process_may_use(monkeypatch):
    """cpu_cores is the machine's count (os.cpu_count); a process confined to fewer CPUs (taskset, a cpuset)
    recorded 2 cores for 1 usable, hiding that its 2 torch threads shared one core."""
    from benchmarks import common

    monkeypatch.setattr(common.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    env = common.environment("cpu")
    assert env["cpu_cores_usable"] == 1 and env["cpu_cores"] == os.cpu_count()


def test_profile_step_records_the_load_at_its_start(monkeypatch, tmp_path, capsys):
    """profile_step took its environment (loadavg_start included) after the profile, so loadavg_start was the
    load at the end."""
    from benchmarks import common, profile_step

    load = [0.0]
    monkeypatch.setattr(common.os, "getloadavg", lambda: (load[0], 0.0, 0.0))

    def fake_profile(*args, **kwargs):
        load[0] = 9.0  # the profile runs
        return {"preset": "debug"}, "table"

    monkeypatch.setattr(profile_step, "profile_codec_step", fake_profile)
    monkeypatch.setattr(sys, "argv", ["profile_step", "--preset", "debug", "--threads", "1", "--out", str(tmp_path)])
    assert profile_step.main() == 0
    env = json.loads((tmp_path / "profile.jsonl").read_text())["env"]
    assert env["loadavg_start"][0] == 0.0 and env["loadavg_end"][0] == 9.0


# ---- the statistics every record carries, and the rates made from them ----


def test_timing_statistics_rates_and_real_time_factors_are_exact():
    from benchmarks.common import inverse, scaled, summarize

    stats = summarize([4.0, 1.0, 3.0, 2.0])  # unsorted, an even count: the median is a mean of the middle two
    assert stats == {"median": 2.5, "min": 1.0, "max": 4.0, "q1": 1.75, "q3": 3.25, "n": 4}
    assert summarize([7.0]) == {"median": 7.0, "min": 7.0, "max": 7.0, "q1": 7.0, "q3": 7.0, "n": 1}
    assert scaled(stats, 0.5) == {"median": 1.25, "min": 0.5, "max": 2.0, "q1": 0.875, "q3": 1.625, "n": 4}
    # a rate: the fastest run (min seconds) is the highest rate, the quartiles swap likewise
    assert inverse(stats, 10.0) == pytest.approx({"median": 4.0, "min": 2.5, "max": 10.0, "q1": 10 / 3.25, "q3": 10 / 1.75,
                                                  "n": 4})


def _fixed_times(samples):
    from benchmarks.common import summarize

    return lambda fn, device, warmup=1, repeats=3: summarize(samples)


def test_codec_infer_real_time_factors_are_compute_over_audio_seconds(monkeypatch):
    from benchmarks import codec_infer

    monkeypatch.setattr(codec_infer, "time_fn", _fixed_times([0.2, 0.1, 0.4]))
    rows = codec_infer.run(quick=True, threads=1)["results"]
    assert [r["batch"] for r in rows] == [1, 4]
    for row in rows:
        audio_s = row["batch"] * row["seconds_per_item"]
        assert row["encode_rtf"] == pytest.approx({"median": 0.2 / audio_s, "min": 0.1 / audio_s, "max": 0.4 / audio_s,
                                                   "q1": 0.15 / audio_s, "q3": 0.3 / audio_s, "n": 3})
        assert row["decode_rtf"]["median"] == pytest.approx(0.2 / audio_s)
        assert row["encode_x_realtime"] == pytest.approx(audio_s / 0.2) and row["decode_x_realtime"] == pytest.approx(audio_s / 0.2)
        assert row["encode_decode_x_realtime"] == pytest.approx(audio_s / 0.4)


def test_lm_train_tokens_per_second_and_mean_causal_context(monkeypatch):
    """tokens/s = real tokens per step / the median step (min and max from the slowest and fastest step); the FLOPs
    use the mean causal context of the real tokens: an utterance of L tokens alone in its row attends to 1..L keys,
    (L + 1) / 2 on average."""
    from benchmarks import lm_train

    batches = []
    collate = lm_train.collate_rows
    monkeypatch.setattr(lm_train, "collate_rows", lambda *a, **kw: batches.append(collate(*a, **kw)) or batches[-1])
    monkeypatch.setattr(lm_train, "time_fn", _fixed_times([0.5, 0.25, 1.0]))
    (row,) = lm_train.run(quick=True, threads=1, packings=(False,))["results"]
    batch = batches[-1]  # the timed batch, collated after the epoch's
    real = row["real_tokens_per_step"]
    assert (row["tokens_per_s"], row["tokens_per_s_min"], row["tokens_per_s_max"]) == pytest.approx((real / 0.5, real, real / 0.25))
    lengths = [int(n) for n in batch["position_ids"].max(1).values + 1]  # one utterance per row: positions 0..L-1
    assert sum(lengths) == real
    assert row["mean_causal_context"] == pytest.approx(sum(n * (n + 1) / 2 for n in lengths) / real)
    assert row["achieved_flops"] == pytest.approx(row["flops_per_token"] * real / 0.5)


def test_peak_memory_is_each_blocks_own_where_linux_lets_the_window_be_reset():
    """Rows reported the process's peak so far (ru_maxrss never falls): a small configuration measured after a
    large one carried the large one's peak. Where /proc/self/clear_refs resets it, each block has its own."""
    import numpy as np

    from benchmarks.common import peak_memory, reset_peak_rss

    if not reset_peak_rss():
        pytest.skip("this OS cannot reset the peak resident set (rows say peak_rss_scope 'process')")
    large, small = {}, {}
    with peak_memory("cpu", large):
        block = np.ones(50 * 2**20 // 8)  # 50 MiB, touched
        del block
    with peak_memory("cpu", small):
        pass
    assert large["peak_rss_scope"] == small["peak_rss_scope"] == "block"
    assert large["peak_rss_mb"] - small["peak_rss_mb"] > 40


# --- benchmarks/roofline.py: operator FLOPs and bytes, their extrapolation, the bounds ---

@pytest.fixture
def bf16_accelerator_state():
    """The roofline records its steps under bf16 autocast; Accelerate keeps one precision per process, and other
    tests of this process built float32 Accelerators: reset it around the test (a real run builds only bf16 ones)."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


def test_roofline_records_flops_and_bytes_of_each_operator():
    """A Linear is one addmm of 2*m*n*k FLOPs that reads x, W and b and writes y (its transpose is a view: no
    traffic); an in-place add reads and writes its tensor; a broadcast operand is read once, not per repeat."""
    from benchmarks.roofline import OpRecorder

    linear = torch.nn.Linear(16, 32)
    x = torch.randn(8, 16)
    with OpRecorder() as rec:
        y = linear(x)
    ops = {name: (flops, moved) for name, flops, moved in rec.ops}
    assert ops["aten.t"] == (0, 0)
    assert ops["aten.addmm"] == (2 * 8 * 16 * 32, 4 * (8 * 16 + 32 * 16 + 32 + 8 * 32))
    with OpRecorder() as rec:
        y.add_(1.0)
        y.mul(linear.bias.expand(8, 32))
    (_, f_add, b_add), (_, _, b_expand), (_, f_mul, b_mul) = rec.ops
    assert (f_add, b_add) == (0, 2 * 4 * 8 * 32)
    assert b_expand == 0 and f_mul == 0 and b_mul == 4 * (8 * 32 + 32 + 8 * 32)


def test_roofline_counts_the_writes_of_in_place_operators_and_no_reads_of_destinations():
    """Operators that write in place and return nothing (the optimizer's) are charged their writes; copy_ and out=
    destinations are written, not read; overlapping windows are read once."""
    from benchmarks.roofline import OpRecorder

    params = [torch.zeros(100), torch.zeros(50)]
    grads, m, v = ([torch.ones(100), torch.ones(50)] for _ in range(3))
    steps = [torch.tensor(1.0), torch.tensor(1.0)]
    dst, x = torch.empty(100), torch.randn(4000)
    with OpRecorder() as rec:
        torch._foreach_mul_(params, 0.5)
        torch._fused_adamw_(params, grads, m, v, [], steps, lr=1e-3, beta1=0.9, beta2=0.999, weight_decay=0.0,
                            eps=1e-8, amsgrad=False, maximize=False)
        dst.copy_(grads[0])
        torch.add(grads[0], grads[0], out=dst)
        x.unfold(0, 100, 10).sum(dim=1)
    moved = dict((name, b) for name, _, b in rec.ops)
    assert moved["aten._foreach_mul_"] == 2 * 4 * 150  # read and written
    assert moved["aten._fused_adamw_"] == 4 * 150 * (4 + 3) + 2 * 4  # p, g, m, v (and the steps) read; p, m, v written
    assert moved["aten.copy_"] == 2 * 4 * 100
    assert [b for name, _, b in rec.ops if name == "aten.add"] == [2 * 4 * 100]  # x read once, out= written
    assert moved["aten.sum"] == 4 * 4000 + 4 * 391  # the windows' 39 100 elements are the 4000 of x


def test_roofline_extrapolation_predicts_a_third_batch_exactly(bf16_accelerator_state):
    """What the roofline of a large batch rests on: each operator's FLOPs and bytes at batch 4, extrapolated from
    the debug codec's training step at batches 2 and 3, equal those recorded at batch 4; batch 1 dispatches other
    operators (views where larger batches copy), which the extrapolation refuses by name."""
    from benchmarks.codec_train import build_step
    from benchmarks.roofline import codec_ops, extrapolate, record

    torch.set_num_threads(1)
    predicted = codec_ops("debug", True, 4, 0.2)
    step = build_step("debug", True, 4, 0.2, torch.device("cpu"), mixed_precision="bf16")[0]
    assert [(n, float(f), float(b)) for n, f, b in record(step)] == predicted
    assert sum(f for _, f, _ in predicted) > 0
    one, two = ([op for op in record(build_step("debug", True, n, 0.2, torch.device("cpu"),
                                                     mixed_precision="bf16")[0])] for n in (1, 2))
    with pytest.raises(ValueError, match="other operators at batch 1 and 2"):
        extrapolate(one, two, 1, 2, 32)


def test_roofline_extrapolates_the_lm_step_exactly_too(tmp_path, bf16_accelerator_state):
    """The LM step (packed rows, bf16 autocast) at 4 rows, extrapolated from 2 and 3, equals its recording at 4
    (rows of another length too), and its useful FLOPs are those `benchmarks lm-train` counts for that step."""
    from benchmarks import fixtures
    from benchmarks.lm_train import build_step as build_lm_step
    from benchmarks.lm_train import flops_per_token
    from benchmarks.roofline import lm_ops, record
    from lm.tokens import TokenStore

    torch.set_num_threads(1)
    work, length = tmp_path / "work", 128  # the debug preset's rows are 1024 long
    predicted, rows, useful = lm_ops("debug", 4 * length, utterances=12, work=work, length=length)
    step = build_lm_step("debug", torch.device("cpu"), TokenStore(fixtures.tokens(work, 12)),
                         fixtures.tokenizer(work, 12), 4 * length, mixed_precision="bf16", row_length=length,
                         full_rows=True)
    assert rows == 4 and step.row["rows_per_step"] == 4 and step.row["batch_shape"] == [4, length]
    assert [(n, float(f), float(b)) for n, f, b in record(step.step)] == predicted
    assert useful == flops_per_token(step.model, step.config, step.context) * step.row["real_tokens_per_step"] > 0


def test_roofline_bounds():
    """Eager: every operator at max(FLOPs / peak, bytes / bandwidth); fused: the FLOP-counted ones and the
    optimizer's passes over the parameters alone."""
    from benchmarks.roofline import roofline

    ops = [("aten.mm", 2e12, 1e9), ("aten.mul", 0, 4e9), ("aten.mm", 1e9, 1e9),  # peak 1e15, bandwidth 1e12
           ("aten._fused_adamw_", 0, 1e9)]
    r = roofline(ops, peak=1e15, bandwidth=1e12)
    assert r["eager_bound_s"] == pytest.approx(2e-3 + 4e-3 + 1e-3 + 1e-3)
    assert r["fused_bound_s"] == pytest.approx(2e-3 + 1e-3 + 1e-3)
    # an L2 cache (here 2e9 bytes) takes its size off every operator's traffic
    assert roofline(ops, peak=1e15, bandwidth=1e12, l2=2e9)["eager_bound_l2_s"] == pytest.approx(2e-3 + 2e-3 + 1e-6)
    assert r["eager_mfu_ceiling"] == pytest.approx(2.001e12 / 8e-3 / 1e15)
    assert r["fused_mfu_ceiling"] == pytest.approx(2.001e12 / 4e-3 / 1e15)
    assert r["memory_bound_share_of_eager"] == pytest.approx(6 / 8)  # the mul, the second mm, AdamW
    assert [t["op"] for t in r["top_operators"]] == ["aten.mul", "aten.mm", "aten._fused_adamw_"]
    assert r["top_operators"][1]["calls"] == 2


def test_roofline_cli_prints_a_record_per_gpu(tmp_path, run_command):
    """python -m benchmarks.roofline on the debug codec: one JSON record, a row per GPU with its ceilings."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = tmp_path / "r.jsonl"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.roofline", "--preset", "debug", "--batch", "8",
                           "--segment-seconds", "0.2", "--threads", "1", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == record and record["benchmark"] == "roofline"
    assert [r["gpu"] for r in record["results"]] == ["H100 SXM", "H200"]
    bad = run_command("benchmarks.roofline", "--lm", "debug", "--batch", "4")
    assert bad.returncode == 2 and "--batch: codec options, not for --lm" in bad.stderr
    for row in record["results"]:
        assert 0 < row["eager_mfu_ceiling"] <= row["eager_mfu_ceiling_l2"]
        assert row["eager_mfu_ceiling"] < row["fused_mfu_ceiling"] <= 1
        assert row["batch"] == 8 and row["top_operators"]


def test_tables_render_a_skipped_tts_row_and_leave_out_records_of_an_older_format(tmp_path, capsys):
    """`benchmarks.tables benchmarks/results-cpu-2026-11-28.jsonl` (a committed file) stopped at a KeyError on its
    first compile_ab record, which has no results, and printed nothing; a tts row the benchmark itself records as
    skipped stopped it too; two tts records of other precisions had the same heading."""
    from benchmarks import tables

    env = {"date": "d", "cpu": "c", "cpu_cores": 2, "torch_threads": 2, "torch": "t", "transformers": "x",
           "python": "p", "loadavg_start": [0], "device": "cpu"}
    row = {"input": "one_sentence", "sentences": 1, "frames_per_sentence": 150, "audio_seconds": 3.0,
           "synthesis_s": {"median": 0.6, "min": 0.6, "max": 0.6}, "rtf": {"median": 0.2, "min": 0.2, "max": 0.2},
           "first_audio_latency_s": 0.6}
    records = [{"benchmark": "compile_ab", "preset": "tiny", "eager_s": 1.0},  # an older format
               {"benchmark": "tts", "env": env, "params": {}, "results": [
                   {**row, "precision": "lm float32; codec float32"},
                   {"input": "paragraph", "sentences": 3, "precision": "lm float32; codec float32",
                    "skipped": "the model produced no audio for this input"}]},
               {"benchmark": "tts", "env": env, "params": {}, "results": [{**row, "precision": "lm bf16; codec float32"}]}]
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert tables.main([str(results)]) == 0
    out, err = capsys.readouterr()
    assert "results.jsonl:1: a record without results or env (an older format): left out" in err
    assert "| paragraph | 3 | | | skipped: the model produced no audio for this input |" in out
    assert "### tts (cpu, lm float32; codec float32)" in out and "### tts (cpu, lm bf16; codec float32)" in out
    assert tables.main([str(Path(__file__).parents[1] / "benchmarks" / "results-cpu-2026-11-28.jsonl")]) == 0
