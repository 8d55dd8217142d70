"""Micro-benchmarks behind the 2026-12-07 (second session) changes to the LM's step and sampler, 2 threads, us per
call (median of 5 runs of 3000 calls after 200 warm-up calls), and the check that the sampler's draw is
torch.multinomial's:

    .venv/bin/python docs/results/lean-step-2026-12-07/micro.py > micro.json
"""
import json
import statistics
import time

import torch


def us(f, calls=3000, runs=5) -> float:
    for _ in range(200):
        f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(calls):
            f()
        times.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(times)


def main():
    torch.set_num_threads(2)
    out = {}
    # the packed float16 matmul of a 256 x 256 projection at one row, through torch.ops' three entry points
    packed = torch.ops.quantized.linear_prepack_fp16(torch.randn(256, 256), None)
    x = torch.randn(1, 1, 256)
    op = torch.ops.quantized.linear_dynamic_fp16
    out["packed_fp16_256x256_us"] = {"torch.ops packet": us(lambda: op(x, packed)),
                                     "overload .default": us(lambda: op.default(x, packed)),
                                     "overload ._op": us(lambda: op.default._op(x, packed))}
    # the vocabulary mask (16 645 entries, 16 385 allowed): masked_fill with the negated mask, or a bias added
    logits = torch.randn(1, 16645) * 3
    allowed = torch.zeros(16645, dtype=torch.bool)
    allowed[259] = True
    allowed[261:] = True
    bias = torch.zeros(16645).masked_fill(~allowed, float("-inf"))
    out["vocabulary_mask_us"] = {"masked_fill(~allowed)": us(lambda: logits.masked_fill(~allowed, float("-inf"))),
                                 "logits + bias": us(lambda: logits + bias)}
    assert torch.equal(logits.masked_fill(~allowed, float("-inf")), logits + bias)
    # one draw among the top 50: torch.multinomial against its own method without its checks
    probs = torch.randn(50).softmax(-1)
    g = torch.Generator().manual_seed(0)
    out["draw_us"] = {"torch.multinomial": us(lambda: torch.multinomial(probs, 1, generator=g)),
                      "argmax(p / Exp(1))": us(lambda: torch.argmax(probs / torch.empty_like(probs).exponential_(
                          1, generator=g)))}
    mismatches = 0
    for seed in range(3000):
        a, b = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        p = (torch.randn(50) * (1 + seed % 7)).softmax(-1)
        for _ in range(3):
            mismatches += torch.multinomial(p, 1, generator=a).item() != torch.argmax(
                p / torch.empty_like(p).exponential_(1, generator=b)).item()
    out["draws_compared"], out["draws_different"] = 9000, mismatches
    print(json.dumps({"threads": 2, "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **out}))


if __name__ == "__main__":
    main()
