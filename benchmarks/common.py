"""Shared machinery of every benchmark: environment record, timing with warm-up and repeats, peak memory, output.

Every benchmark returns a dict {"benchmark", "env", "params", "results": [rows...]}; `emit` prints it as JSON and
appends it as one line to the results file (default benchmarks/results.jsonl).
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import re
import resource
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from codec.hardware import cpu_model, has_half_precision_units

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results.jsonl"

# Dense bf16 tensor-core peak (no sparsity) per GPU, the MFU denominator, from NVIDIA's datasheets: H100 SXM 989.4
# TFLOP/s; H200 (SXM) has the same compute (more and faster memory); the NVL cards (H100 NVL, H200 NVL: PCIe cards
# at lower power) 835.5 (1671 with sparsity); H100 PCIe 756; A100 312.
# GH200 (Grace Hopper): its Hopper GPU has the H100 SXM's compute.
PEAK_BF16_FLOPS = {"H200": 989.4e12, "H200 NVL": 835.5e12, "H100 SXM": 989.4e12, "H100 NVL": 835.5e12,
                   "H100 PCIe": 756.0e12, "GH200": 989.4e12, "A100": 312.0e12}
# (words the device name must all contain, PEAK_BF16_FLOPS key), most specific first: "NVIDIA H100 NVL" and
# "NVIDIA H100 PCIe" also contain "H100", which alone means the SXM part ("NVIDIA H100 80GB HBM3"). Whole words of
# the name: "A100" is not in "NVIDIA RTX A1000", nor "H200" in "NVIDIA GH200 480GB".
_GPU_NAMES = ((("H200", "NVL"), "H200 NVL"), (("H200",), "H200"), (("H100", "NVL"), "H100 NVL"),
              (("H100", "PCIe"), "H100 PCIe"), (("H100",), "H100 SXM"), (("GH200",), "GH200"), (("A100",), "A100"))


def gpu_peak_bf16_flops(name: str) -> tuple[float | None, str | None]:
    """(dense bf16 peak FLOP/s, PEAK_BF16_FLOPS key) of the GPU called `name` (torch.cuda.get_device_name), or
    (None, None) for a GPU not listed."""
    words_of_name = set(re.findall(r"[A-Za-z0-9]+", name))
    for words, key in _GPU_NAMES:
        if all(word in words_of_name for word in words):
            return PEAK_BF16_FLOPS[key], key
    return None, None


def peak_bf16_flops(device: str) -> tuple[float | None, str | None]:
    if device != "cuda" or not torch.cuda.is_available():
        return None, None
    return gpu_peak_bf16_flops(torch.cuda.get_device_name())


def usable_cpus() -> int:
    """CPUs this process may be scheduled on (its affinity mask), not the machine's count (os.cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def environment(device: str) -> dict:
    import transformers

    env = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "host": platform.node(), "python": platform.python_version(), "torch": torch.__version__,
           "transformers": transformers.__version__, "cpu": cpu_model(), "cpu_cores": os.cpu_count(),
           # the CPUs this process may run on (taskset, a container's cpuset): fewer than torch_threads means the
           # threads share cores, which stalls every parallel op (docs/PERFORMANCE.md, "Read the load averages")
           "cpu_cores_usable": usable_cpus(),
           "torch_threads": torch.get_num_threads(), "device": device,
           # the same "AMD EPYC" name covers AVX2-only and AVX512-BF16 instances, ~2x apart (docs/PERFORMANCE.md)
           "cpu_isa": torch.backends.cpu.get_cpu_capability(),
           "cpu_bf16_units": has_half_precision_units(torch.bfloat16, "cpu"),
           "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    if device == "cuda" and torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name()
        env["cuda"] = torch.version.cuda
        peak, key = peak_bf16_flops(device)
        env["gpu_peak_bf16_flops"] = peak
    return env


def precision_label(accelerator) -> str:
    """How a training benchmark ran, as its Accelerator resolved --mixed-precision: 'bf16-autocast' or 'fp32'."""
    return "bf16-autocast" if accelerator.mixed_precision == "bf16" else "fp32"


def setup_device(device: str, threads: int) -> torch.device:
    """CPU benchmarks run on `threads` threads (the brief: 2); CUDA needs a GPU."""
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA GPU visible")
    torch.set_num_threads(threads)
    return torch.device(device)


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def summarize(samples: list[float]) -> dict:
    s = sorted(samples)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) >= 2 else [s[0], s[0], s[0]]
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "q1": q[0], "q3": q[2], "n": len(s)}


def time_fn(fn, device, warmup: int = 1, repeats: int = 3) -> dict:
    """Wall seconds of fn() (synchronised on CUDA): warm-up calls, then `repeats` timed calls -> summarize()."""
    for _ in range(warmup):
        fn()
    sync(device)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        samples.append(time.perf_counter() - t0)
    return summarize(samples)


def reset_peak_rss() -> bool:
    """Start a new peak-RSS window for this process: Linux (since 4.0) resets VmHWM when "5" is written to
    /proc/self/clear_refs. False where it cannot (another OS, a locked-down /proc): peaks are then the process's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def maxrss_mb() -> float:
    """Peak resident set size (MiB) since the last successful `reset_peak_rss` (Linux VmHWM), else since the
    process began (getrusage: KiB on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


@contextmanager
def peak_memory(device, out: dict):
    """Record peak memory of the block into out: CUDA max_memory_allocated, and the CPU's resident set — the
    block's own peak where the OS lets the window be reset (out["peak_rss_scope"] = "block"), else the process's
    peak so far ("process", monotone)."""
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    scope = "block" if reset_peak_rss() else "process"
    yield
    if torch.device(device).type == "cuda":
        out["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    out["peak_rss_mb"], out["peak_rss_scope"] = round(maxrss_mb(), 1), scope


def scaled(stats: dict, factor: float) -> dict:
    """Every timing statistic multiplied by factor (e.g. seconds -> real-time factor); n kept."""
    return {k: (v * factor if k != "n" else v) for k, v in stats.items()}


def inverse(stats: dict, numerator: float) -> dict:
    """numerator / seconds for each statistic (a rate): min and max swap, quartiles swap."""
    return {"median": numerator / stats["median"], "min": numerator / stats["max"], "max": numerator / stats["min"],
            "q1": numerator / stats["q3"], "q3": numerator / stats["q1"], "n": stats["n"]}


def report(name: str, env: dict, params: dict, results: list[dict], targets: list[dict] | None = None,
           notes: list[str] | None = None) -> dict:
    """The benchmark's record; `env` is environment() taken at the benchmark's start (load average then)."""
    out = {"benchmark": name, "env": env, "params": params, "results": results}
    out["env"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    if targets:
        out["targets"] = targets
    if notes:
        out["notes"] = notes
    return out


def append_line(path: str | os.PathLike, text: str) -> None:
    """Appends `text` as one line, in one write() on an O_APPEND descriptor (as the old open(path, "a")), led by
    a newline if the file's last line is unterminated - what a writer that crashed mid-record
    (disk full, killed) leaves - so that the partial line stays alone and this record on a line of its own."""
    data = (text + "\n").encode()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def emit(record: dict, out_path: str | os.PathLike | None) -> None:
    text = json.dumps(record, default=str)
    print(text, flush=True)
    if out_path != "-":
        path = Path(out_path) if out_path else DEFAULT_RESULTS
        path.parent.mkdir(parents=True, exist_ok=True)
        append_line(path, text)


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)
