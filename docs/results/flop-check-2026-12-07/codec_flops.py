"""Independent FLOP count of one codec-train step vs benchmarks.codec_train.count_flops (FlopCounterMode).

Counts at the torch-function level (before autograd/dispatch): conv, linear, matmul, sdpa forward FLOPs from the
call's shapes; backward = one forward-equivalent per operand that requires grad (sdpa: 2x forward); FFTs (stft,
irfft, rfft) counted separately as 5 N log2 N real-FLOP estimates (not in either total)."""
import math, sys, collections, torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode
from benchmarks import codec_train

preset = sys.argv[1] if len(sys.argv) > 1 else "tiny"
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 2
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
sg = (sys.argv[4] == "sg") if len(sys.argv) > 4 else False
torch.set_num_threads(1)

def rg(t):
    return isinstance(t, torch.Tensor) and t.requires_grad

class Count(TorchFunctionMode):
    def __init__(self):
        super().__init__(); self.fwd = collections.Counter(); self.bwd = collections.Counter(); self.fft = 0.0
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        g = torch.is_grad_enabled()
        name = getattr(func, "__name__", str(func))
        f = 0; ops = ()
        if name in ("conv1d", "conv2d"):
            x, w = args[0], args[1]
            f = 2 * out.numel() * w.shape[1] * math.prod(w.shape[2:]); ops = (x, w); key = "conv"
        elif name in ("conv_transpose1d", "conv_transpose2d"):
            x, w = args[0], args[1]
            f = 2 * x.numel() * w.shape[1] * math.prod(w.shape[2:]); ops = (x, w); key = "convT"
        elif name == "linear":
            x, w = args[0], args[1]
            f = 2 * x.numel() * w.shape[0]; ops = (x, w); key = "linear"
        elif name in ("matmul", "__matmul__", "bmm", "mm"):
            a, b = args[0], args[1]
            f = 2 * out.numel() * a.shape[-1]; ops = (a, b); key = "matmul"
        elif name == "scaled_dot_product_attention":
            q, k, v = args[:3]
            f = 2 * q.shape[:-1].numel() * k.shape[-2] * (q.shape[-1] + v.shape[-1]); key = "sdpa"
            self.fwd[key] += f
            if g and (rg(q) or rg(k) or rg(v)):
                self.bwd[key] += 2 * f
            return out
        elif name == "einsum":
            print("einsum not counted:", args[0])
        elif name in ("stft", "irfft", "rfft", "fft", "istft"):
            n = kwargs.get("n_fft") or (args[1] if len(args) > 1 and isinstance(args[1], int) else None) or kwargs.get("n")
            self.fft += 5 * out.numel() * math.log2(max(out.shape[-2] if name == "stft" else (n or 2), 2))
        if f:
            self.fwd[key] += f
            if g:
                self.bwd[key] += f * sum(rg(t) for t in ops)
        return out

step, n_params, seg = codec_train.build_step(preset, sg, batch, seconds, torch.device("cpu"))
step()  # warm-up (lazy init)
with FlopCounterMode(display=False) as fc:
    step.eager()
by = {str(k): v for k, v in fc.get_flop_counts()["Global"].items()}
bench = codec_train.count_flops(step)
c = Count()
with c:
    step()
mine = sum(c.fwd.values()) + sum(c.bwd.values())
mine_no_sdpa = mine - c.fwd["sdpa"] - c.bwd["sdpa"]
print(f"preset {preset} sg {sg} batch {batch} x {seconds}s params {n_params}")
print("FlopCounterMode ops:", {k: f"{v/1e9:.3f}G" for k, v in by.items()})
print("independent fwd:", {k: f"{v/1e9:.3f}G" for k, v in c.fwd.items()}, "bwd:", {k: f"{v/1e9:.3f}G" for k, v in c.bwd.items()})
print(f"benchmark count_flops {bench/1e9:.3f} G; independent {mine/1e9:.3f} G (without sdpa {mine_no_sdpa/1e9:.3f} G)")
print(f"ratio bench/independent {bench/mine:.4f}; bench/independent-without-sdpa {bench/mine_no_sdpa:.4f}")
print(f"sdpa share of independent {(c.fwd['sdpa']+c.bwd['sdpa'])/mine:.5f}; FFT estimate (not counted by either) {c.fft/1e9:.3f} G = {c.fft/mine:.4f} of total")
