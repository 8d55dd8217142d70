"""espeak-ng's answers recorded here, replayed on the lent GPU machine (which has no espeak-ng to install).

An LM with phoneme input (`lm.text --phonemes`) calls `espeak-ng -q -x --ipa -v VOICE` on every transcript when it
packs its training rows (lm/phonemes.py). The GPU image has no espeak-ng, and its Debian package pulls in the
PulseAudio client stack, so instead of carrying that, this records what espeak-ng prints here for each transcript
a run will ask about, and plays it back there as a stand-in `espeak-ng` on PATH: the phonemes are byte for byte
those of this machine, and a text that was not recorded is an error (exit 2), never a silent guess.

  python scripts/gpu/phoneme_table.py record --tokenizer exp/default/text_tokenizer \
      --manifest exp/default/data/train.jsonl --manifest exp/default/data/dev.jsonl --out .gpu/phonemes.json
  # there: SGSPEECH_PHONEME_TABLE=.gpu/phonemes.json and an `espeak-ng` on PATH that runs `... phoneme_table.py play`;
  # with --cache .gpu/cache, SGSPEECH_CACHE_DIR pointing at a copy of it answers whole corpora without a subprocess
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path


VERSION_KEY = "--version"


def record(tokenizer_dir: str, manifests: list[str], out: str, cache_dir: str | None = None) -> int:
    """Phonemize every transcript of the manifests through lm.text, keeping espeak-ng's exact stdout per input."""
    import lm.phonemes
    from lm.text import TextTokenizer

    table: dict[str, str] = {}
    real_run = subprocess.run

    def recording_run(cmd, *args, **kwargs):
        proc = real_run(cmd, *args, **kwargs)
        if cmd[:4] == ["espeak-ng", "-q", "-x", "--ipa"] and proc.returncode == 0:
            table[f"{cmd[5]}\t{kwargs['input']}"] = proc.stdout
        return proc

    from pipelines.tts import split_sentences

    texts = [json.loads(line)["text"] for m in manifests for line in open(m, encoding="utf-8") if line.strip()]
    # synthesis phonemizes each sentence of a text on its own (TTSPipeline.generate): those pieces too
    texts += sorted({piece for t in texts for piece in split_sentences(t) if piece != t})
    os.environ["SGSPEECH_CACHE_DIR"] = ""  # every answer must come from espeak-ng itself to be recorded
    lm.phonemes.subprocess.run = recording_run
    try:
        TextTokenizer.load(tokenizer_dir).preprocess_many(texts)
    finally:
        lm.phonemes.subprocess.run = real_run
    answers = len(table)
    # `espeak-ng --version` played back too: lm.phonemes keys its on-disk cache by that line, so a cache filled here
    # (--cache) answers there without a subprocess per text (a corpus's worth of stand-in calls takes minutes)
    version = real_run(["espeak-ng", "--version"], capture_output=True, text=True)
    table[VERSION_KEY] = version.stdout
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    print(f"{len(texts)} transcripts -> {answers} espeak-ng answers in {out}")
    if cache_dir:
        os.environ["SGSPEECH_CACHE_DIR"] = cache_dir
        lm.phonemes.espeak_version.cache_clear()
        db = lm.phonemes._open_cache()
        by_voice: dict[str, dict[str, str]] = {}
        for key, stdout in table.items():
            if key != VERSION_KEY:
                voice, text = key.split("\t", 1)
                by_voice.setdefault(voice, {})[text] = " ".join(stdout.split())  # as lm.phonemes.phonemize returns
        for voice, entries in by_voice.items():
            lm.phonemes._store(db, voice, entries)
        db.close()
        print(f"and into the phoneme cache {lm.phonemes.cache_path()}")
    return 0


def play(argv: list[str]) -> int:
    """Act as `espeak-ng -q -x --ipa -v VOICE` with the text on stdin, or as `espeak-ng --version`."""
    if argv == [VERSION_KEY]:
        table = json.loads(Path(os.environ["SGSPEECH_PHONEME_TABLE"]).read_text(encoding="utf-8"))
        sys.stdout.write(table.get(VERSION_KEY, ""))
        return 0 if VERSION_KEY in table else 2
    if argv[:4] != ["-q", "-x", "--ipa", "-v"] or len(argv) != 5:
        print(f"phoneme_table play: only `-q -x --ipa -v VOICE` was recorded, not {argv}", file=sys.stderr)
        return 2
    text = sys.stdin.read()
    table = json.loads(Path(os.environ["SGSPEECH_PHONEME_TABLE"]).read_text(encoding="utf-8"))
    answer = table.get(f"{argv[4]}\t{text}")
    if answer is None:
        print(f"phoneme_table play: {text[:60]!r} was not recorded", file=sys.stderr)
        return 2
    sys.stdout.write(answer)
    return 0


def main() -> int:
    if sys.argv[1:2] == ["play"]:
        return play(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=("record",))
    p.add_argument("--tokenizer", required=True, help="the text tokenizer folder the LM will use (phonemes on)")
    p.add_argument("--manifest", action="append", required=True, help="manifest(s) whose transcripts to record")
    p.add_argument("--out", required=True)
    p.add_argument("--cache", help="also store the answers in a phoneme cache folder (SGSPEECH_CACHE_DIR there)")
    args = p.parse_args()
    return record(args.tokenizer, args.manifest, args.out, args.cache)


if __name__ == "__main__":
    raise SystemExit(main())
