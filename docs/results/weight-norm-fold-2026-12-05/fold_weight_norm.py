"""Does folding the encoder's weight norm into plain weights speed up inference? (docs/PERFORMANCE.md's old
proposal.) Two `tiny` codecs with the same weights, one with its weight-norm parametrizations removed (folded into
the weights), timed on one 10 s utterance, encode + decode, median of 7 calls, three alternating rounds.

    OMP_NUM_THREADS=2 .venv/bin/python docs/results/weight-norm-fold-2026-12-05/fold_weight_norm.py
"""
import sys
import time
from pathlib import Path

import torch
from torch.nn.utils import parametrize

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from codec import Codec  # noqa: E402
from codec.config import CodecConfig  # noqa: E402

torch.manual_seed(0)
plain = Codec(CodecConfig.preset("tiny")).eval()
# a second instance, not a deepcopy: a parametrized module's class is shared by its copies, so removing the
# parametrization from a copy would strip the original's weight property too
folded = Codec(CodecConfig.preset("tiny")).eval()
folded.load_state_dict(plain.state_dict())
for module in list(folded.modules()):
    if parametrize.is_parametrized(module):
        for name in list(module.parametrizations.keys()):
            parametrize.remove_parametrizations(module, name, leave_parametrized=True)
wav = torch.randn(1, 160_000) * 0.1


def median_seconds(model: Codec, calls: int = 7) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        codes, frames = model.encode(wav)
        model.decode(codes, frames)
        times.append(time.perf_counter() - start)
    return sorted(times)[calls // 2]


print("same codes:", torch.equal(plain.encode(wav)[0], folded.encode(wav)[0]))
for _ in range(3):
    print(f"weight norm {median_seconds(plain):.4f} s   folded {median_seconds(folded):.4f} s")
