"""Peers beside ours, same machine, same run: decode real-time factor of EnCodec and DAC next to our codec presets.

Ours is timed here (project venv); the peers in a subprocess of the separate peers virtualenv (--peers-python,
default /tmp/peers-venv/bin/python, made by `bash benchmarks/peers_env.sh`), because they need torchaudio, which
must never enter the project venv. If that interpreter is missing, the peer rows record why and ours still run.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from benchmarks import codec_infer
from benchmarks.common import environment, log, report, setup_device

DEFAULT_PEERS_PYTHON = "/tmp/peers-venv/bin/python"


def run(device: str = "cpu", presets=("tiny", "small", "xcodec2"), batches=(1,), seconds: float = 10.0,
        threads: int = 2, warmup: int = 1, repeats: int = 3, peers_python: str = DEFAULT_PEERS_PYTHON,
        quick: bool = False) -> dict:
    if quick:
        presets, batches, seconds, warmup, repeats = ("debug",), (1,), 1.0, 1, 2
    setup_device(device, threads)
    env = environment(device)
    ours = codec_infer.run(device, presets=presets, batches=batches, seconds=seconds, threads=threads, warmup=warmup,
                           repeats=repeats)
    rows = [{"codec": f"ours_{r['preset']}", "batch": r["batch"], "parameters": r.get("parameters"),
             "decode_rtf": r.get("decode_rtf"), "decode_x_realtime": r.get("decode_x_realtime"),
             "skipped": r.get("skipped")} for r in ours["results"]]
    peer_info = {"peers_python": peers_python}
    if not Path(peers_python).exists():
        peer_info["not_measured"] = (f"{peers_python} not found: create it with `bash benchmarks/peers_env.sh` "
                                     f"(the peers need torchaudio, kept out of the project venv)")
        log(f"peers: {peer_info['not_measured']}")
    else:
        cmd = [peers_python, str(Path(__file__).resolve().parent / "peers_run.py"), "--seconds", str(seconds),
               "--batches", ",".join(map(str, batches)), "--threads", str(threads), "--device", device,
               "--warmup", str(warmup), "--repeats", str(repeats)] + (["--only", "encodec_24khz_6kbps"] if quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")
        if proc.returncode != 0:
            peer_info["not_measured"] = f"peers_run.py failed (rc {proc.returncode}): {proc.stderr[-1500:]}"
            log(f"peers: {peer_info['not_measured']}")
        else:
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            peer_info.update({k: v for k, v in out.items() if k != "results"})
            for r in out["results"]:
                rows.append({"codec": r["peer"], **{k: v for k, v in r.items() if k != "peer"}})
            for line in proc.stderr.splitlines():
                if line.startswith("peer "):
                    log(line)
    return report("peers", env, {"presets": list(presets), "batches": list(batches), "seconds": seconds,
                                 "threads": threads, "warmup": warmup, "repeats": repeats, "quick": quick,
                                 "peers": peer_info}, rows,
                  notes=["decode only (codes -> waveform), random weights, same seconds of audio per item",
                         "peers run in a separate venv process right after ours, on the same machine"])
