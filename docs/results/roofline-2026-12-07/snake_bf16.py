"""What SnakeBeta in the input's dtype would save: the `xcodec2` step's roofline (SG off, 32 x 1 s) with SnakeBeta as
it is (its float32 parameters promote the bf16 convolution outputs to float32 under autocast) and with its
parameters cast to the input's dtype first (bf16 throughout, its output cast for the next convolution anyway).
A measurement of the bound only: the model is unchanged. From the repository's root:
OMP_NUM_THREADS=2 .venv/bin/python docs/results/roofline-2026-12-07/snake_bf16.py {fp32,bf16}"""
import sys, torch
import codec.encoder as enc
from benchmarks.common import PEAK_BF16_FLOPS
from benchmarks.roofline import HBM_BANDWIDTH, codec_ops, roofline
def forward(self, x):
    alpha, inv_beta = self.log_alpha.exp().to(x.dtype), (1.0 / (self.log_beta.exp() + 1e-9)).to(x.dtype)
    return x + torch.sin(x * alpha).pow(2) * inv_beta
if sys.argv[1] == "bf16":
    enc.SnakeBeta.forward = forward
ops = codec_ops("xcodec2", False, 32, 1.0)
for gpu in ("H100 SXM", "H200"):
    r = roofline(ops, PEAK_BF16_FLOPS[gpu], HBM_BANDWIDTH[gpu])
    print(sys.argv[1], gpu, f"GB {r['bytes_moved']/1e9:.0f} eager {r['eager_bound_s']*1e3:.1f} ms ceiling "
          f"{r['eager_mfu_ceiling']:.3f}, 50 MB of each from the L2 {r['eager_mfu_ceiling_l2']:.3f}",
          [(t['op'], round(t['share_of_eager'], 3)) for t in r['top_operators'][:5]])
