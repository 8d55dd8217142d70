"""One projection of the default model's LM shapes in isolation (2 threads, weights hot in cache), microseconds per
call, median of 5 runs of 200 calls: float32 F.linear; bfloat16 F.linear (input cast in, output cast out); fbgemm's
float16 (quantized::linear_prepack_fp16 / linear_dynamic_fp16, float32 in and out); fbgemm's dynamic int8
(quantized::linear_dynamic, weights per row, activations quantized per call in 7 bits: needs quantized tensors,
which torch 2.13 deprecates for removal); torch._int_mm (int8 x int8 -> int32, operands pre-quantized: the product
alone); torch._weight_int8pack_mm (float32 input, int8 weights, per-row scales).

    .venv/bin/python docs/results/fp16-packed-2026-12-07/matmul_micro.py > docs/results/fp16-packed-2026-12-07/matmul_micro.txt
"""
import statistics
import time
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.set_num_threads(2)


def micros(f, calls=200, runs=5):
    for _ in range(20):
        f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(calls):
            f()
        times.append((time.perf_counter() - start) / calls * 1e6)
    return round(statistics.median(times), 1)


print(f"torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()}, 2 threads")
print("N x K (rows) | float32 | bfloat16 | fbgemm float16 | fbgemm dynamic int8 | _int_mm | _weight_int8pack_mm")
with torch.inference_mode():
    for n, k in ((16645, 256), (512, 256), (1536, 256), (256, 256), (256, 768)):  # head, qkv, gate_up, o, down
        w = torch.randn(n, k)
        w16 = w.bfloat16()
        fp16 = torch.ops.quantized.linear_prepack_fp16(w, None)
        scale = w.abs().amax(1) / 127
        w8 = (w / scale[:, None]).round().to(torch.int8)
        q = torch.quantize_per_channel(w, scale.double(), torch.zeros(n, dtype=torch.long), 0, torch.qint8)
        int8 = torch.ops.quantized.linear_prepack(q, None)
        w8t = w8.t()
        for m in (1, 4, 32):
            x = torch.randn(m, k)
            x8 = torch.randint(-127, 127, (m, k), dtype=torch.int8)
            row = [micros(lambda: F.linear(x, w)), micros(lambda: F.linear(x.bfloat16(), w16).float()),
                   micros(lambda: torch.ops.quantized.linear_dynamic_fp16(x, fp16)),
                   micros(lambda: torch.ops.quantized.linear_dynamic(x, int8, reduce_range=True)),
                   micros(lambda: torch._int_mm(x8, w8t)), micros(lambda: torch._weight_int8pack_mm(x, w8, scale))]
            print(f"{n} x {k} ({m}) | " + " | ".join(map(str, row)), flush=True)
