"""The per-user cache folder: `$SGSPEECH_CACHE_DIR`, by default `~/.cache/sgspeech`; an empty value turns caching
off. What lives there is derived and can be deleted at any time: espeak-ng's phonemes (lm/phonemes.py) and this
machine's timing verdicts on half-precision copies (lm/generate.py)."""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    root = os.environ.get("SGSPEECH_CACHE_DIR", str(Path.home() / ".cache" / "sgspeech"))
    return Path(root) if root else None


def read_json(name: str) -> dict:
    """The cache's JSON object `name`; {} where caching is off, the file is missing, or it is unreadable (a
    warning names it: the next write_json replaces it)."""
    folder = cache_dir()
    if folder is None or not (folder / name).is_file():
        return {}
    try:
        data = json.loads((folder / name).read_text())
        if isinstance(data, dict):
            return data
        problem = f"a JSON {type(data).__name__}, not an object"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        problem = str(e)
    log.warning("cache file %s unreadable (%s): ignored, and replaced at its next update", folder / name, problem)
    return {}


def update_json(name: str, key: str, value) -> None:
    """Set `key` of the cache's JSON object `name`, written atomically (a file beside it, then renamed): two
    processes updating at once may drop one's entry, which is then measured again, but never leave half a file.
    Failures to write are warnings: a cache must not stop the work it speeds up."""
    folder = cache_dir()
    if folder is None:
        return
    data = read_json(name)
    data[key] = value
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, prefix=f".{name}.", delete=False) as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(f.name, folder / name)
    except OSError as e:
        log.warning("cache file %s not written (%s)", folder / name, e)
