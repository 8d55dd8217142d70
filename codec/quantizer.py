"""Quantizers behind one small interface, all working in the quantizer's own low-dimensional code space.

    z_e = q.project(x)          x [B, F, latent] -> continuous code-space latent z_e [B, F, d], before rounding
    z_q, codes, aux = q.round(z_e, mask)   rounded z_q [B, F, d] (straight-through), codes [B, F], aux losses (dict)
    y = q.embed(z)              [B, F, d] -> [B, F, latent] (project_out); the same for z_e and z_q
    e = q.quantization_error(z_e, z_q)      per-frame ||z_e - z_q||^2 [B, F] in the quantizer's natural unit
    z_q = q.lookup(codes)       codes [B, F] -> [B, F, d]

Self-guidance feeds z_e and z_q through the same `embed`, so teacher and student differ only by the rounding.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class FSQGrid(nn.Module):
    """Finite scalar quantization's grid (Mentzer et al. 2023) as vector-quantize-pytorch's FSQ lays it out, without
    that package: the same projections (so checkpoints keep their keys), levels, mixed-radix code numbering and
    numbers (tests/test_codec_model.py holds them equal). The package costs ~1.7 s of imports (einx pulls in
    torch._dynamo) in every process that builds a codec; its VectorQuantize is imported only for VQQuantizer.

    Levels are all >= 3 (CodecConfig checks): the package's symmetry-preserving variant, needed for 2, is not
    implemented."""

    def __init__(self, levels: tuple[int, ...], dim: int):
        super().__init__()
        self.register_buffer("_levels", torch.tensor(levels, dtype=torch.int32), persistent=False)
        # code = sum over dimensions of digit * basis, basis = cumulative product of the levels before it
        self.register_buffer("_basis", torch.cumprod(torch.tensor([1, *levels[:-1]]), 0, dtype=torch.int32),
                             persistent=False)
        code_dim = len(levels)
        self.project_in = nn.Linear(dim, code_dim) if dim != code_dim else nn.Identity()
        self.project_out = nn.Linear(code_dim, dim) if dim != code_dim else nn.Identity()
        self.codebook_size = math.prod(levels)

    def codes_to_indices(self, z_q: torch.Tensor) -> torch.Tensor:
        """Grid points z_q [..., d] (each dimension k / (level // 2)) -> code numbers [...] (int32)."""
        half_width = self._levels // 2
        digits = (z_q * half_width + half_width).round().to(self._basis.dtype)
        return (digits * self._basis).sum(dim=-1, dtype=self._basis.dtype)

    def indices_to_codes(self, indices: torch.Tensor) -> torch.Tensor:
        """Code numbers [...] -> grid points [..., d] (float32)."""
        digits = (indices.unsqueeze(-1) // self._basis) % self._levels
        half_width = self._levels // 2
        return (digits - half_width) / half_width


class FSQQuantizer(nn.Module):
    """FSQ split at the rounding so that z_e (bounded, unrounded) is available."""

    def __init__(self, dim: int, levels: tuple[int, ...]):
        super().__init__()
        # The encoder's output is small at init (std ~0.1 for `tiny`): projected to the code space it sat in the
        # middle of the tanh bound, every frame rounded to the centre code and training never left it (measured:
        # 1 code in use after 500 steps in every variant). Normalising first puts the bounded values across the
        # levels from the start (std ~0.6 before tanh).
        self.norm = nn.LayerNorm(dim)
        self.fsq = FSQGrid(tuple(levels), dim)
        self.codebook_size = int(self.fsq.codebook_size)
        self.code_dim = len(levels)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        # vector-quantize-pytorch's FSQ.bound without its final round: tanh-bounded values scaled like the codes,
        # i.e. z_q = round-to-grid(z_e)
        z = self.fsq.project_in(self.norm(x)).float()
        levels = self.fsq._levels
        eps = 1e-3
        half_l = (levels - 1) * (1 + eps) / 2
        offset = torch.where(levels % 2 == 0, 0.5, 0.0)
        shift = torch.atanh(offset / half_l)
        return (torch.tanh(z + shift) * half_l - offset) / (levels // 2)

    def round(self, z_e: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
        half_width = self.fsq._levels // 2
        scaled = z_e * half_width
        z_q = (scaled + (scaled.round() - scaled).detach()) / half_width  # straight-through rounding
        codes = self.fsq.codes_to_indices(z_q.detach()).long()
        return z_q, codes, {}

    def embed(self, z: torch.Tensor) -> torch.Tensor:
        return self.fsq.project_out(z.to(self.fsq.project_out.weight.dtype))

    def quantization_error(self, z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
        """||z_e - z_q||^2 per frame [B, F], measured on FSQ's integer grid (before the division by half the
        levels), where rounding error is uniform in [-0.5, 0.5] per dimension (~1/12 each): the unit of the
        paper's QE (0.86 for 8 dimensions), so our numbers compare with it."""
        return (((z_e - z_q) * (self.fsq._levels // 2)) ** 2).sum(-1)

    def lookup(self, codes: torch.Tensor) -> torch.Tensor:
        return self.fsq.indices_to_codes(codes)


# A VQ codeword whose EMA count of frames per step falls below this is replaced by a frame of the batch (the
# library's default, DAC's and EnCodec's). It assumes several frames per code per step: where a step holds fewer
# (8 x 1 s = 400 frames over 4096 codes: 0.1 each) every code counts as dead and the codebook is rewritten
# continually (measured 2026-12-07: 402 of 4096 codes a step); codec.train warns of it.
VQ_DEAD_CODE_HITS = 2


class VQQuantizer(nn.Module):
    """Plain VQ (vector-quantize-pytorch's VectorQuantize, EMA codebook) in a `code_dim`-d space.

    The projections are kept outside VectorQuantize so that z_e is exactly the vector matched to a codeword.
    """

    def __init__(self, dim: int, codebook_size: int, code_dim: int):
        super().__init__()
        from vector_quantize_pytorch import VectorQuantize  # here, not at the top: see FSQGrid

        self.project_in = nn.Linear(dim, code_dim)
        self.project_out = nn.Linear(code_dim, dim)
        # commitment weight 1 here: the loss weight lives in the training loop's single weights dict. The rotation
        # trick (the library's default) is off: gradients reach the encoder through the straight-through estimator,
        # as documented and as with FSQ, so the SG and reconstruction gradients reach it alike for both quantizers.
        self.vq = VectorQuantize(dim=code_dim, codebook_size=codebook_size, commitment_weight=1.0,
                                 decay=0.99, threshold_ema_dead_code=VQ_DEAD_CODE_HITS, rotation_trick=False)
        self.codebook_size, self.code_dim = codebook_size, code_dim

    def project(self, x: torch.Tensor) -> torch.Tensor:
        return self.project_in(x).float()

    def round(self, z_e: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
        # mask [B, F] bool keeps padded frames out of the EMA codebook statistics and the commitment loss.
        # Float32 under any autocast: vector-quantize-pytorch turns autocast off around its distances on CUDA only,
        # so under CPU bf16 autocast (--mixed-precision bf16) the nearest-code search, the codewords and the EMA sums
        # ran in bfloat16 (measured: 2-5 % of frames given a code that is not their nearest).
        # The EMA codebook is updated inside this forward, before the training loop's non-finite guard can skip the
        # step: a NaN latent (an overflow upstream) would leave NaN codewords behind a skipped step. Frozen then, for
        # a NaN past a length too (the library's mask multiplies it by 0, which keeps it NaN).
        freeze = self.training and not bool(torch.isfinite(z_e).all())
        with torch.autocast(z_e.device.type, enabled=False):
            z_q, codes, commit = self.vq(z_e.float(), mask=mask, freeze_codebook=freeze)
        return z_q, codes.long(), {"vq_commit": commit.sum()}

    def embed(self, z: torch.Tensor) -> torch.Tensor:
        return self.project_out(z.to(self.project_out.weight.dtype))

    def quantization_error(self, z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
        """||z_e - z_q||^2 per frame [B, F]: the distance of each vector to its codeword."""
        return ((z_e - z_q) ** 2).sum(-1)

    def lookup(self, codes: torch.Tensor) -> torch.Tensor:
        return self.vq.codebook[codes]


def build_quantizer(config) -> FSQQuantizer | VQQuantizer:
    if config.quantizer == "fsq":
        return FSQQuantizer(config.latent_dim, config.levels)
    return VQQuantizer(config.latent_dim, config.codebook_size, config.vq_code_dim)
