"""What else was tried on the default model's one-token step (2 threads, float16 copies as bundled), each paired
with the committed step in one process, arms interleaved, ROUNDS rounds of 20 steps after a warm-up:

  manual_rms        RMSNorm as x * rsqrt(mean(x^2) + eps) * w (6 small ops) instead of F.rms_norm
  manual_attention  one-token attention as two matmuls and a softmax instead of scaled_dot_product_attention
  compiled          torch.compile(step_at, dynamic=False) against eager step_at (compile time printed)
  compiled_cpp      the same with inductor's C++ wrapper (torch._inductor.config.cpp_wrapper)

    .venv/bin/python docs/results/lean-step-2026-12-07/alternatives.py [ROUNDS] > alternatives.json
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from lm.decoding import StaticCacheDecoder
from pipelines.tts import TTSPipeline

SDPA = F.scaled_dot_product_attention


class ManualRMS(StaticCacheDecoder):
    def _norm(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight


def manual_attention(q, keys, values, attn_mask, scale, enable_gqa):
    if q.shape[2] != 1:
        return SDPA(q, keys, values, attn_mask=attn_mask, scale=scale, enable_gqa=enable_gqa)
    batch, heads, _, dim = q.shape
    grouped = q.reshape(batch, keys.shape[1], -1, dim)  # [B, KV, H/KV, D]: the heads sharing each key head
    scores = torch.matmul(grouped, keys.transpose(-1, -2)) * scale
    scores = scores.masked_fill(~attn_mask.reshape(batch, 1, 1, -1), float("-inf")).softmax(-1)
    return torch.matmul(scores, values).reshape(batch, heads, 1, dim)


def timed(step, decoder, inputs, start, count=20) -> float:
    ids, positions, real = inputs
    t = time.perf_counter()
    for s in range(start, start + count):
        step(ids[:, s : s + 1], positions[:, s : s + 1], real[:, s : s + 1], torch.tensor([s]))
    return (time.perf_counter() - t) / count * 1e3


def fresh(cls, model, length):
    decoder = cls(model, 1, length, head_dtype=torch.float16, layer_dtype=torch.float16)
    ids = (torch.arange(length) % 16000 + 300)[None]
    positions, real = torch.arange(length)[None], torch.ones(1, length, dtype=torch.bool)
    decoder.step(ids[:, :20], positions[:, :20], real[:, :20])
    return decoder, (ids, positions, real)


def main(rounds: int):
    torch.set_num_threads(2)
    model = TTSPipeline.from_pretrained("pipelines/default_model").lm.model.requires_grad_(False)
    length = 21 + 20 * (rounds + 1)  # the prompt, then rounds + 1 runs of 20 steps
    results = {}
    with torch.inference_mode():
        for arm in ("manual_rms", "manual_attention", "compiled", "compiled_cpp"):
            base, base_inputs = fresh(StaticCacheDecoder, model, length)
            other, other_inputs = fresh(ManualRMS if arm == "manual_rms" else StaticCacheDecoder, model, length)
            other_step, compile_s = other.step_at, None
            if arm.startswith("compiled"):
                import torch._inductor.config as inductor

                inductor.cpp_wrapper = arm == "compiled_cpp"
                torch._dynamo.reset()
                other_step = torch.compile(other.step_at, dynamic=False)
                t = time.perf_counter()
                other_step(*(x[:, 20:21] for x in other_inputs), torch.tensor([20]))
                compile_s = time.perf_counter() - t
            ms = {"committed": [], arm: []}
            for k in range(rounds + 1):
                start = 21 + 20 * k
                ms["committed"].append(timed(base.step_at, base, base_inputs, start))
                if arm == "manual_attention":
                    F.scaled_dot_product_attention = manual_attention
                try:
                    ms[arm].append(timed(other_step, other, other_inputs, start))
                finally:
                    F.scaled_dot_product_attention = SDPA
            a, b = ms["committed"][1:], ms[arm][1:]
            results[arm] = {"committed_ms": statistics.median(a), "arm_ms": statistics.median(b),
                            "paired_ratio": statistics.median(y / x for x, y in zip(a, b)), "compile_s": compile_s}
            print(arm, results[arm], file=sys.stderr, flush=True)
    print(json.dumps({"threads": 2, "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rounds": rounds, "results": results}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
