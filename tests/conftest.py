"""Shared fixtures: a tiny offline speech corpus rendered once per test session."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def synth_corpus(tmp_path_factory) -> dict:
    """12 utterances by the flite voices slt and rms: {"train", "dev", "test"} manifest paths (10 / 1 / 1)."""
    from pipelines.corpus import build_synth

    return build_synth(tmp_path_factory.mktemp("synth"), ["slt", "rms"], max_utts=12, seed=0)
