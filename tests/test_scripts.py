"""The diagnostic scripts under scripts/: their signal-level behaviour, on a debug codec with random weights."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from codec import Codec, CodecConfig

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_phase_oracle_swaps_magnitude_and_phase_inside_the_istft_head():
    oracle = _script("phase_oracle")
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset("debug")).eval()
    t = np.arange(12345) / 16000
    wav = (0.3 * np.sin(2 * np.pi * 150 * t) * np.sin(2 * np.pi * 2 * t)).astype(np.float32)
    with torch.no_grad():
        plain = codec.reconstruct(torch.from_numpy(wav)[None])[0][0].numpy()
    signals, inverse_error = oracle.conditions(codec, wav)
    assert inverse_error < 1e-4  # the input's own magnitude and phase through the head give the input back
    assert set(signals) == {"input", "input mag + zero phase", "codec", "codec mag + input phase",
                            "input mag + codec phase"}
    assert all(s.shape == wav.shape and s.dtype == np.float32 for s in signals.values())
    np.testing.assert_allclose(signals["codec"][: len(plain)], np.clip(plain[: len(wav)], -1, 1), atol=1e-6)
    for swapped in ("input mag + zero phase", "codec mag + input phase", "input mag + codec phase"):
        assert np.abs(signals[swapped] - signals["codec"]).max() > 1e-3
        assert np.abs(signals[swapped] - wav).max() > 1e-3
    with torch.no_grad():  # the hook is gone: the codec decodes as before
        again = codec.reconstruct(torch.from_numpy(wav)[None])[0][0].numpy()
    np.testing.assert_array_equal(again, plain)
