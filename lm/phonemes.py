"""Optional phoneme input: normalized text -> IPA via espeak-ng (`espeak-ng -q -x --ipa`).

espeak-ng prints one line per clause; the lines are joined with spaces so one text gives one phoneme string.

A corpus's worth of texts (`phonemize_many(..., disk_cache=True)`, what training and the TTS evaluation of a
manifest ask for) also goes through an on-disk cache, because each start of a training
run phonemizes every transcript before its first step (the default model's 48 k texts: 3.5-5 min on 2 cores, and
the time grows with the corpus), and a run made in resumed pieces would pay it per piece (from the cache: ~1 s). The cache is an SQLite file,
`$SGSPEECH_CACHE_DIR/phonemes.sqlite` (default `~/.cache/sgspeech`; set the variable to an empty string to turn
it off), keyed by espeak-ng's version line, the voice and the text, so a different espeak-ng never answers from
another's entries. It only saves time: when it cannot be opened or written, the texts are phonemized as without it.
Synthesis does not use it: what users have spoken stays in memory only, and never accumulates on disk.
"""
from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from lm.user_cache import cache_dir

log = logging.getLogger(__name__)


class PhonemizerError(RuntimeError):
    pass


def _require_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        raise PhonemizerError("espeak-ng not found: install it (`apt-get install espeak-ng`) or train without phonemes")


@lru_cache(maxsize=4096)
def phonemize(text: str, voice: str = "en-us") -> str:
    """IPA phonemes of `text` (already normalized); raises PhonemizerError when espeak-ng is missing or fails.

    Cached (espeak-ng's answer depends on the text and voice alone): synthesis checks each sentence's pieces and
    then encodes the batch, and a subprocess costs ~15 ms, as much as three generated frames on 2 CPU threads."""
    _require_espeak()
    if not text.strip():
        return ""
    proc = subprocess.run(["espeak-ng", "-q", "-x", "--ipa", "-v", voice], input=text, capture_output=True,
                          text=True, encoding="utf-8")
    if proc.returncode != 0:
        raise PhonemizerError(f"espeak-ng failed on {text[:60]!r}: {proc.stderr.strip()}")
    return " ".join(proc.stdout.split())


def phonemize_many(texts: list[str], voice: str = "en-us", workers: int = 8, disk_cache: bool = False) -> list[str]:
    """phonemize() of each text, run `workers` at a time; with `disk_cache`, answered from the on-disk cache where it
    can be, and the new answers kept there (for corpora, not for what users synthesise)."""
    _require_espeak()
    cache = _open_cache() if disk_cache else None
    known = _cached(cache, voice) if cache else {}
    missing = sorted({t for t in texts if t not in known})
    if missing:
        # Threads suffice: the work happens in the espeak-ng subprocesses.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            fresh = dict(zip(missing, pool.map(lambda t: phonemize(t, voice), missing)))
        known.update(fresh)
        if cache:
            _store(cache, voice, fresh)
    if cache:
        cache.close()
    return [known[t] for t in texts]


@lru_cache(maxsize=1)
def espeak_version() -> str | None:
    """espeak-ng's version line without its data path, e.g. 'eSpeak NG text-to-speech: 1.51'; None when it does
    not say (a stand-in such as scripts/gpu/phoneme_table.py's), and then nothing is cached."""
    proc = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
    version = proc.stdout.split("Data at")[0].strip()
    return version if proc.returncode == 0 and version else None


def cache_path() -> Path | None:
    folder = cache_dir()
    return folder / "phonemes.sqlite" if folder else None


def _open_cache() -> sqlite3.Connection | None:
    path = cache_path()
    if path is None or espeak_version() is None:
        return None
    db = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: the ranks of a multi-process run may write at the same time
        db = sqlite3.connect(path, timeout=120)
        db.execute("CREATE TABLE IF NOT EXISTS phonemes (engine TEXT, voice TEXT, text TEXT, ipa TEXT, "
                   "PRIMARY KEY (engine, voice, text))")
        return db
    except (OSError, sqlite3.Error) as e:
        log.warning("phoneme cache %s unusable (%s): phonemizing without it", path, e)
        if db is not None:
            db.close()
        return None


def _cached(db: sqlite3.Connection, voice: str) -> dict[str, str]:
    try:
        rows = db.execute("SELECT text, ipa FROM phonemes WHERE engine = ? AND voice = ?", (espeak_version(), voice))
        return dict(rows.fetchall())
    except sqlite3.Error as e:
        log.warning("phoneme cache unreadable (%s): phonemizing without it", e)
        return {}


def _store(db: sqlite3.Connection, voice: str, answers: dict[str, str]) -> None:
    engine = espeak_version()
    try:
        with db:
            db.executemany("INSERT OR REPLACE INTO phonemes VALUES (?, ?, ?, ?)",
                           [(engine, voice, t, ipa) for t, ipa in answers.items()])
    except sqlite3.Error as e:
        log.warning("phoneme cache not written (%s): the next run phonemizes these %d texts again", e, len(answers))
