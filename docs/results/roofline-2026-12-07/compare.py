"""The rooflines (roofline.jsonl, run.sh) beside the GPU measurements of the same steps (H200, 2026-12-04:
benchmarks/results-cuda-h200-2026-12-04.jsonl). From the repository's root:
.venv/bin/python docs/results/roofline-2026-12-07/compare.py"""
import json
from pathlib import Path

from benchmarks.common import PEAK_BF16_FLOPS

here = Path(__file__).parent
roof = [json.loads(line) for line in (here / "roofline.jsonl").read_text().splitlines()]
gpu = [json.loads(line) for line in Path("benchmarks/results-cuda-h200-2026-12-04.jsonl").read_text().splitlines()]
codec_gpu = {(r["preset"], r["sg"], r["batch"]): r for rec in gpu if rec["benchmark"] == "codec_train"
             for r in rec["results"] if "step_s" in r}
lm_gpu = next(r for rec in gpu if rec["benchmark"] == "lm_train" for r in rec["results"] if r["packing"])
print("| step | GPU | counted TFLOP | GB moved | eager bound ms | eager ceiling | the same, 50 MB of each from the L2 |"
      " fused bound ms | fused ceiling | measured (H200) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for rec in roof:
    for row in rec["results"]:
        PEAK = PEAK_BF16_FLOPS[row["gpu"]]
        if "lm" in row:
            # the LM's MFU counts useful FLOPs (6N + causal attention within utterances, real tokens only),
            # not what the dense-mask sdpa runs: the ceilings on that basis too
            useful = row["useful_flops"]
            name = f"LM {row['lm']}, {row['rows_per_step']} x {row['row_length']} packed"
            ceil = lambda t: f"{useful / t / PEAK:.3f} ({row['counted_flops'] / t / PEAK:.3f} counted)"
            measured = (f"{lm_gpu['step_s']['median'] * 1e3:.0f} ms, MFU {lm_gpu['mfu']:.3f} eager"
                        if row["gpu"] == "H200" and row["row_length"] == 2048 else "")
        else:
            name = f"codec {row['preset']}, SG {'on' if row['sg'] else 'off'}, {row['batch']} x {row['segment_seconds']:g} s"
            ceil = lambda t: f"{row['counted_flops'] / t / PEAK:.3f}"
            m = codec_gpu.get((row["preset"], row["sg"], row["batch"]))
            measured = ""
            if m and row["gpu"] == "H200":
                same = "same count" if m["flops_per_step"] == round(row["counted_flops"]) else \
                    f"GPU count {m['flops_per_step'] / 1e12:.2f}"
                measured = f"{m['step_s']['median'] * 1e3:.0f} ms, MFU {m['mfu']:.3f} ({same})"
        print(f"| {name} | {row['gpu']} | {row['counted_flops'] / 1e12:.2f} | {row['bytes_moved'] / 1e9:.0f} | "
              f"{row['eager_bound_s'] * 1e3:.1f} | {ceil(row['eager_bound_s'])} | {ceil(row['eager_bound_l2_s'])} | "
              f"{row['fused_bound_s'] * 1e3:.1f} | "
              f"{ceil(row['fused_bound_s'])} | {measured} |")
