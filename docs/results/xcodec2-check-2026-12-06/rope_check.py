# torchtune 0.3.1 RotaryPositionalEmbeddings.forward logic, applied as XCodec2 bs_roformer5.py:77-78 does: to q of shape (b, h, t, d)
import torch
def tt_rope(x, dim=64, base=10000):
    theta = 1.0 / (base ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim))
    idx = torch.einsum("i,j->ij", torch.arange(4096).float(), theta)
    cache = torch.stack([idx.cos(), idx.sin()], -1)
    seq_len = x.size(1)                       # = heads here, not time
    rc = cache[:seq_len]
    xs = x.float().reshape(*x.shape[:-1], -1, 2)
    rc = rc.view(-1, xs.size(1), 1, xs.size(3), 2)
    out = torch.stack([xs[..., 0] * rc[..., 0] - xs[..., 1] * rc[..., 1], xs[..., 1] * rc[..., 0] + xs[..., 0] * rc[..., 1]], -1)
    return out.flatten(3)
q, k = torch.randn(2, 16, 50, 64), torch.randn(2, 16, 50, 64)
s0 = q @ k.transpose(-1, -2); s1 = tt_rope(q) @ tt_rope(k).transpose(-1, -2)
print("max |scores with XCodec2 RoPE - scores without RoPE| =", (s0 - s1).abs().max().item())
