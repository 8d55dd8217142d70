"""The per-user cache folder: `$SGSPEECH_CACHE_DIR`, by default `~/.cache/sgspeech`; an empty value turns caching
off, and so does a user without a home folder when the variable is unset. What lives there is derived and can be
deleted at any time: espeak-ng's phonemes (lm/phonemes.py) and this machine's timing verdicts on half-precision
copies (lm/generate.py)."""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    root = os.environ.get("SGSPEECH_CACHE_DIR")
    if root is None:
        try:
            return Path.home() / ".cache" / "sgspeech"
        except RuntimeError:  # a user ID without a passwd entry and no HOME (some containers): no cache, no crash
            return None
    return Path(root) if root else None


def _load(path: Path, warn: bool) -> dict:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            return data
        problem = f"a JSON {type(data).__name__}, not an object"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        problem = str(e)
    if warn:
        log.warning("cache file %s unreadable (%s): ignored, and replaced at its next update", path, problem)
    return {}


def read_json(name: str) -> dict:
    """The cache's JSON object `name`; {} where caching is off, the file is missing, or it is unreadable (a
    warning names it: the next update_json replaces it)."""
    folder = cache_dir()
    return {} if folder is None else _load(folder / name, warn=True)


def update_json(name: str, key: str, value) -> None:
    """Set `key` of the cache's JSON object `name`, written atomically (a file beside it, then renamed): two
    processes updating at once may drop one's entry, which is then measured again, but never leave half a file.
    Failures to write are warnings: a cache must not stop the work it speeds up."""
    folder = cache_dir()
    if folder is None:
        return
    data = _load(folder / name, warn=False)  # read_json has warned of an unreadable one already
    data[key] = value
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, prefix=f".{name}.", delete=False) as f:
            temporary = f.name
            json.dump(data, f, indent=1, sort_keys=True)
        os.chmod(temporary, 0o644)  # as a file written directly would be (a temporary file is 0600)
        os.replace(temporary, folder / name)
    except OSError as e:
        log.warning("cache file %s not written (%s)", folder / name, e)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
