"""Peer codecs' decode speed; runs INSIDE the separate peers virtualenv (benchmarks/peers_env.sh), never the project's.

    /tmp/peers-venv/bin/python benchmarks/peers_run.py --seconds 10 --batches 1 --threads 2 [--device cuda]

Prints one JSON object {"torchaudio": ..., "results": [...]}. Models are built with random weights (EnCodec 24 kHz
without pretrained weights at 6 kbps = 8 codebooks; DAC 16 kHz and 44.1 kHz configurations, all 12 / 9 codebooks),
and only decode (codes -> waveform) is timed, as for our codec. If torchaudio cannot be imported, the stub in
benchmarks/peers_shim is put on the path (every use of it raises; decode never uses it).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")


def load_torchaudio() -> str:
    try:
        import torchaudio  # noqa: F401

        return f"real {torchaudio.__version__}"
    except Exception as e:  # missing, or a wheel that does not load against this torch
        for name in [m for m in sys.modules if m == "torchaudio" or m.startswith("torchaudio.")]:
            del sys.modules[name]
        sys.path.insert(0, str(Path(__file__).resolve().parent / "peers_shim"))
        import torchaudio  # noqa: F401

        return f"shim (real torchaudio unavailable: {type(e).__name__}: {str(e)[:120]})"


def timed(fn, sync, warmup, repeats):
    for _ in range(warmup):
        fn()
    sync()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
    s = sorted(samples)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) >= 2 else [s[0]] * 3
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "q1": q[0], "q3": q[2], "n": len(s)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--batches", default="1")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--check", action="store_true", help="only import and build the models")
    p.add_argument("--only", default="", help="comma-separated peer names to run (default all)")
    args = p.parse_args(argv)
    ta = load_torchaudio()
    import torch

    torch.set_num_threads(args.threads)
    import dac
    import encodec

    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    amp = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if dev.type == "cuda" else None

    def peers():
        torch.manual_seed(0)
        m = encodec.EncodecModel.encodec_model_24khz(pretrained=False)
        m.set_target_bandwidth(6.0)
        yield "encodec_24khz_6kbps", m, 24000, 75.0, 8
        torch.manual_seed(0)
        yield ("dac_16khz", dac.DAC(encoder_dim=64, encoder_rates=[2, 4, 5, 8], decoder_dim=1536,
                                    decoder_rates=[8, 5, 4, 2], n_codebooks=12, codebook_size=1024,
                                    sample_rate=16000), 16000, 50.0, 12)
        torch.manual_seed(0)
        yield "dac_44khz", dac.DAC(), 44100, 44100 / 512, 9

    rows = []
    only = {x for x in args.only.split(",") if x}
    for name, model, rate, frame_rate, n_q in peers():
        if only and name not in only:
            continue
        model = model.to(dev).eval()
        params = sum(p.numel() for p in model.parameters())
        if args.check:
            rows.append({"peer": name, "parameters": params})
            continue
        for batch in [int(b) for b in args.batches.split(",")]:
            frames = int(round(args.seconds * frame_rate))
            codes = torch.randint(0, 1024, (batch, n_q, frames), device=dev)
            if name.startswith("encodec"):
                fn = lambda: model.decode([(codes, None)])
            else:
                fn = lambda: model.decode(model.quantizer.from_codes(codes)[0])
            with torch.inference_mode():
                if dev.type == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                with (amp() if amp else torch.autocast("cpu", enabled=False)):
                    stats = timed(fn, sync, args.warmup, args.repeats)
                    audio_s = fn().shape[-1] / rate * batch
            row = {"peer": name, "batch": batch, "sample_rate": rate, "frame_rate": frame_rate, "codebooks": n_q,
                   "parameters": params, "seconds_per_item": args.seconds, "audio_seconds": audio_s,
                   "decode_s": stats, "decode_rtf": {k: (v / audio_s if k != "n" else v) for k, v in stats.items()},
                   "decode_x_realtime": audio_s / stats["median"]}
            if dev.type == "cuda":
                row["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
            print(f"peer {name} b{batch}: decode RTF {row['decode_rtf']['median']:.4f}", file=sys.stderr, flush=True)
            rows.append(row)
    import resource

    print(json.dumps({"torchaudio": ta, "torch": torch.__version__, "encodec": "0.1.1", "dac": dac.__version__,
                      "torch_threads": torch.get_num_threads(), "executable": sys.executable,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "results": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
