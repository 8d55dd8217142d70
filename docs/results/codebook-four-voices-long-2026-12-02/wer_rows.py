"""Per-utterance WER rows of codecs from committed results.json files, gathered into one folder as
`pipelines.evaluate compare` would lay them out, so that scripts/paired_wer.py can pair codecs scored in different
reports (on the same utterances).

    python wer_rows.py OUT RESULTS_JSON:NAME[,NAME...] [RESULTS_JSON:NAME[,NAME...] ...]
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from pipelines.evaluate import _slug  # noqa: E402

out = Path(sys.argv[1])
for spec in sys.argv[2:]:
    src, names = spec.rsplit(":", 1)
    codecs = json.loads(Path(src).read_text())["codecs"]
    for name in names.split(","):
        folder = out / "codec" / _slug(name)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps({"wer": codecs[name]["wer"]}))
