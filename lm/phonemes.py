"""Optional phoneme input: normalized text -> IPA via espeak-ng (`espeak-ng -q -x --ipa`).

espeak-ng prints one line per clause; the lines are joined with spaces so one text gives one phoneme string.
"""
from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor


class PhonemizerError(RuntimeError):
    pass


def phonemize(text: str, voice: str = "en-us") -> str:
    """IPA phonemes of `text` (already normalized); raises PhonemizerError when espeak-ng is missing or fails."""
    if shutil.which("espeak-ng") is None:
        raise PhonemizerError("espeak-ng not found: install it (`apt-get install espeak-ng`) or train without phonemes")
    if not text.strip():
        return ""
    proc = subprocess.run(["espeak-ng", "-q", "-x", "--ipa", "-v", voice], input=text, capture_output=True,
                          text=True, encoding="utf-8")
    if proc.returncode != 0:
        raise PhonemizerError(f"espeak-ng failed on {text[:60]!r}: {proc.stderr.strip()}")
    return " ".join(proc.stdout.split())


def phonemize_many(texts: list[str], voice: str = "en-us", workers: int = 8) -> list[str]:
    # Threads suffice: the work happens in the espeak-ng subprocesses.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda t: phonemize(t, voice), texts))
