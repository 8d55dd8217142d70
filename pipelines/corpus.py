"""Build manifests from corpora: LibriSpeech's layout, or speech rendered offline by Debian's synthesizers.

  python -m pipelines.corpus librispeech --root DIR --subsets train-clean-100,dev-clean --out DIR
  python -m pipelines.corpus synth --out DIR [--voices slt,rms,awb,kal16] [--max-utts N] [--text FILE] [--seed S]
  python -m pipelines.corpus wordnet-text --out FILE [--held-out FILE ...] [--known FILE ...]

Voices are flite voice names (`flite -lv`) or `espeak:<voice>` (e.g. `espeak:en-us+f3`), one speaker label each.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from codec.audio import AudioError, audio_info, load_audio, save_wav
from codec.checkpoint import atomic_file
from codec.cli import positive_int
from codec.data import Utterance, read_manifest, write_manifest

log = logging.getLogger("pipelines.corpus")

SAMPLE_RATE = 16000
# A render whose peak stays below this is silence (flite and espeak-ng answer text with no words with 0.2 s of
# near-silence, peak < 0.005; their speech peaks at 0.2-0.7), not an utterance to put in a manifest.
SILENT_PEAK = 0.02
# Debian's `fortunes` package; SGSPEECH_FORTUNES_DIR points elsewhere (e.g. the package unpacked on a machine
# without apt, scripts/gpu/env.sh)
FORTUNES_DIR = Path(os.environ.get("SGSPEECH_FORTUNES_DIR", "/usr/share/games/fortunes"))
# Debian's `wordnet-base` package (WordNet 3.0: its glosses hold ~33 000 short example sentences of ordinary English)
WORDNET_DIR = Path(os.environ.get("SGSPEECH_WORDNET_DIR", "/usr/share/wordnet"))
DEFAULT_VOICES = ("slt", "rms", "awb", "kal16")
_PLAIN_SENTENCE = re.compile(r"^[A-Z][A-Za-z ,;:'\-]*[a-z][.!?]$")


class CorpusError(RuntimeError):
    """A corpus that cannot be built; the message says what is missing and how to get it."""


# ---------------------------------------------------------------------------------------------------------------
# LibriSpeech
# ---------------------------------------------------------------------------------------------------------------


def librispeech_subset_dir(root: Path, subset: str) -> Path:
    """`<root>/<subset>`, or `<root>/LibriSpeech/<subset>` (the archives' own top folder); CorpusError naming both
    places and the subsets there when neither exists, or when `subset` is a path rather than a subset's name (its
    manifest is `<out>/<subset>.jsonl`: a path would put it elsewhere)."""
    if subset in ("", ".", "..") or "/" in subset or os.sep in subset:
        raise CorpusError(f"LibriSpeech subset {subset!r}: give a subset's name (e.g. dev-clean), not a path; --root "
                          "is the folder that holds the subsets (or their LibriSpeech/ folder)")
    for candidate in (root / subset, root / "LibriSpeech" / subset):
        if candidate.is_dir():
            return candidate
    there = sorted(p.name for base in (root, root / "LibriSpeech") if base.is_dir() for p in base.iterdir()
                   if p.is_dir() and next(p.glob("*/*/*.trans.txt"), None) is not None)
    raise CorpusError(f"LibriSpeech subset {subset!r}: neither {root / subset} nor {root / 'LibriSpeech' / subset} "
                      f"is a folder (subsets there: {', '.join(there) or 'none'})")


def librispeech_manifest(root: Path, subset: str, out_dir: Path) -> tuple[list[Utterance], list[tuple[str, str]]]:
    """Read `<root>/<subset>/<speaker>/<chapter>/` (flac + `<speaker>-<chapter>.trans.txt`) into utterances."""
    subset_dir = librispeech_subset_dir(root, subset)
    utterances, skipped, transcribed, unreadable = [], [], set(), {}
    for trans in sorted(subset_dir.glob("*/*/*.trans.txt")):
        if trans.name.startswith("."):  # macOS's ._ AppleDouble files and other hidden leftovers
            continue
        speaker = trans.parent.parent.name
        try:
            lines = trans.read_text(encoding="utf-8-sig").splitlines()  # -sig: a BOM (Notepad) is not part of the first id
        except (OSError, UnicodeDecodeError) as e:
            # its chapter's utterances are left out, each counted with this reason (below)
            unreadable[trans.parent] = (trans.name, f"{trans}: transcript unreadable ({e}); its chapter is left out")
            continue
        for line in lines:
            if not line.strip():
                continue
            uid, text = (line.split(maxsplit=1) + [""])[:2]  # any whitespace after the id: a tab is not part of it
            audio = trans.parent / f"{uid}.flac"
            if audio in transcribed:  # a repeated line would make two utterances of one id
                skipped.append((uid, f"{trans}: a second line for {uid}; the first is kept"))
                continue
            transcribed.add(audio)
            if not any(ch.isalnum() for ch in text):
                skipped.append((uid, f"{trans}: its line has no words ({text.strip()!r})"))
                continue
            try:
                frames, rate = audio_info(audio, check_end=True)  # a download cut short keeps its header
            except AudioError as e:
                skipped.append((uid, str(e)))
                continue
            utterances.append(Utterance(uid, str(audio), text.strip(), speaker, frames / rate, rate))
    flacs = [flac for flac in sorted(subset_dir.glob("*/*/*.flac")) if not flac.name.startswith(".")]
    skipped += [(flac.stem, unreadable[flac.parent][1] if flac.parent in unreadable
                 else f"{flac}: no line in its chapter's transcript") for flac in flacs if flac not in transcribed]
    skipped += [entry for folder, entry in unreadable.items()  # a chapter without flacs: the transcript itself
                if not any(flac.parent == folder for flac in flacs)]
    if not utterances:
        reasons = "; ".join(reason for _, reason in skipped[:3]) + (" ..." if len(skipped) > 3 else "")
        raise CorpusError(f"LibriSpeech subset {subset!r} in {subset_dir}: no utterances found"
                          + (f" ({len(skipped)} skipped: {reasons})" if skipped else ""))
    return utterances, skipped


def build_librispeech(root: Path, subsets: list[str], out_dir: Path) -> dict[str, Path]:
    if not subsets:
        raise CorpusError("no LibriSpeech subset given (e.g. --subsets train-clean-100,dev-clean,test-clean)")
    for subset in subsets:  # every subset found, and the output folder made, before any file is read
        librispeech_subset_dir(root, subset)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CorpusError(f"--out {out_dir}: cannot make the folder for the manifests ({e.strerror or e})") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise CorpusError(f"--out {out_dir}: not writable; the manifests could not be written there")
    outputs = {}
    for subset in subsets:
        utterances, skipped = librispeech_manifest(root, subset, out_dir)
        path = out_dir / f"{subset}.jsonl"
        try:
            write_manifest(path, utterances)
        except OSError as e:
            raise CorpusError(f"{path}: cannot write the manifest ({e.strerror or e})") from None
        for uid, reason in skipped:
            log.warning("skipped %s: %s", uid, reason)
        hours = sum(u.duration for u in utterances) / 3600
        print(f"{path}: {len(utterances)} utterances, {hours:.2f} h, {len(skipped)} skipped")
        outputs[subset] = path
    return outputs


# ---------------------------------------------------------------------------------------------------------------
# Synthetic speech
# ---------------------------------------------------------------------------------------------------------------


def fortune_sentences(fortunes_dir: Path = FORTUNES_DIR) -> list[str]:
    """Plain English sentences (4-20 words, letters and light punctuation) from the fortunes files, deduplicated."""
    files = sorted(p for p in fortunes_dir.glob("*") if p.is_file() and p.suffix not in (".dat", ".u8"))
    if not files:
        raise CorpusError(f"no fortunes found in {fortunes_dir}: install them with `apt-get install fortunes`")
    seen, sentences = set(), []
    for path in files:
        for fortune in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            lines = [ln.strip() for ln in fortune.splitlines() if ln.strip() and not ln.strip().startswith("--")]
            for sentence in re.split(r"(?<=[.!?])\s+", " ".join(lines)):
                sentence = sentence.strip().replace("\t", " ")
                if not _PLAIN_SENTENCE.match(sentence) or not 4 <= len(sentence.split()) <= 20:
                    continue
                key = re.sub(r"[^a-z ]", "", sentence.lower())
                if key not in seen:
                    seen.add(key)
                    sentences.append(sentence)
    return sentences


def wordnet_examples(wordnet_dir: Path = WORDNET_DIR, held_out: list[str] = (), known: list[str] = ()) -> list[str]:
    """The example sentences of WordNet's glosses (4-20 words, letters and light punctuation), sorted, deduplicated.

    Text for a TTS corpus of everyday English beside the fortunes. An example whose normalized text contains, or is
    contained in, a `held_out` sentence is left out (an evaluation sentence must not be trained on), and one that
    equals a `known` sentence too (it is in the corpus already).
    """
    from lm.normalize import normalize_text  # the LM's normalizer decides what counts as the same sentence

    files = sorted(wordnet_dir.glob("data.*"))
    if not files:
        raise CorpusError(f"no WordNet data files (data.noun, ...) in {wordnet_dir}: install them with "
                          "`apt-get install wordnet-base`")
    examples = set()
    for path in files:
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith("  ") or "|" not in line:  # the license header; synsets without a gloss
                continue
            for example in re.findall(r'"([^"]+)"', line.split("|", 1)[1]):
                example = example.strip()
                if 4 <= len(example.split()) <= 20 and re.fullmatch(r"[A-Za-z ,.'?!;:-]+", example):
                    examples.add(example)
    # a held-out text with no words normalizes to "", which every example contains: it holds nothing out
    held, known = {normalize_text(t) for t in held_out} - {""}, {normalize_text(t) for t in known}
    kept = []
    for example in sorted(examples):
        text = normalize_text(example)
        if text in known or any(text in h or h in text for h in held):  # containment covers equality
            continue
        kept.append(example)
    return kept


def _synthesizer_command(voice: str, text_file: str, wav_file: str) -> list[str]:
    if voice.startswith("espeak:"):
        return ["espeak-ng", "-v", voice.split(":", 1)[1], "-f", text_file, "-w", wav_file]
    return ["flite", "-voice", voice, "-f", text_file, "-o", wav_file]


def _check_synthesizers(voices: list[str]) -> None:
    if any(not v.startswith("espeak:") for v in voices):
        if shutil.which("flite") is None:
            raise CorpusError("flite not found: install it with `apt-get install flite`")
        available = subprocess.run(["flite", "-lv"], capture_output=True, text=True).stdout.split(":", 1)[-1].split()
        unknown = [v for v in voices if not v.startswith("espeak:") and v not in available]
        if unknown:
            raise CorpusError(f"flite voice(s) {unknown} not available; flite has {available}")
    if any(v.startswith("espeak:") for v in voices) and shutil.which("espeak-ng") is None:
        raise CorpusError("espeak-ng not found: install it with `apt-get install espeak-ng`")
    for voice in (v for v in voices if v.startswith("espeak:")):  # a failed render is skipped: a voice that fails
        # them all must be refused here, not leave its share of the sentences out
        proc = subprocess.run(["espeak-ng", "-q", "-v", voice.split(":", 1)[1], "a"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise CorpusError(f"espeak-ng voice {voice.split(':', 1)[1]!r} not available: {proc.stderr.strip()} "
                              "(`espeak-ng --voices` lists them)")


def speaker_name(voice: str) -> str:
    return voice.replace("espeak:", "espeak-").replace("+", "-")


def render(voice: str, text: str, out_path: Path) -> float:
    """Render `text` with `voice` to a 16 kHz mono wav at `out_path` (atomically); returns its duration in s.

    CorpusError when the synthesizer fails, writes no samples, or writes silence (text with no words)."""
    with tempfile.TemporaryDirectory() as tmp:
        text_file, raw = os.path.join(tmp, "text.txt"), os.path.join(tmp, "raw.wav")
        Path(text_file).write_text(text + "\n", encoding="utf-8")
        proc = subprocess.run(_synthesizer_command(voice, text_file, raw), capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(raw):
            raise CorpusError(f"{voice} failed on {text!r}: {proc.stderr.strip()}")
        try:
            audio = load_audio(raw, SAMPLE_RATE)
        except AudioError as e:  # e.g. kal16 writes a wav with no samples for text with no words
            raise CorpusError(f"{voice} on {text!r}: unusable output ({e})") from None
        peak = float(np.abs(audio).max())
        if peak < SILENT_PEAK:
            raise CorpusError(f"{voice} on {text!r}: silent output (peak {peak:.4f})")
        if peak > 0.99:  # resampling can overshoot: keep clear of clipping
            audio *= 0.99 / peak
    with atomic_file(out_path) as part:  # its own temporary: two builds of one folder may render a file at once
        save_wav(part, audio, SAMPLE_RATE)
    return len(audio) / SAMPLE_RATE


def rendered_duration(path: Path) -> float | None:
    """The duration of a complete render at `path` (a 16 kHz wav whose RIFF size is its file's size), else None: a
    file cut short (a copy or disk that filled up) still has a readable header, and libsndfile reports the frames
    that are there, so the header alone would pass half a sentence."""
    try:
        frames, rate = audio_info(path)
        with open(path, "rb") as f:
            riff, size, wave = struct.unpack("<4sI4s", f.read(12))
    except (AudioError, OSError, struct.error):
        return None
    if riff != b"RIFF" or wave != b"WAVE" or size + 8 != path.stat().st_size or rate != SAMPLE_RATE:
        return None
    return frames / rate


def split_sizes(n: int, dev_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """(train, dev, test) sizes. A fraction > 0 gets at least one utterance once there are 3; a fraction of 0 gets
    none (--dev-fraction 0 --test-fraction 1 makes a test-only set, e.g. sentences to judge a model on)."""
    if min(dev_fraction, test_fraction) < 0 or dev_fraction + test_fraction > 1:
        raise CorpusError(f"dev fraction {dev_fraction} and test fraction {test_fraction}: each must be >= 0 and "
                          "together at most 1")

    def size(fraction: float) -> int:
        return 0 if fraction == 0 else max(1, round(n * fraction)) if n >= 3 else round(n * fraction)

    n_dev = size(dev_fraction)
    n_test = min(size(test_fraction), n - n_dev)
    return n - n_dev - n_test, n_dev, n_test


def build_synth(out_dir: Path, voices: list[str], max_utts: int | None = None, text_file: Path | None = None,
                seed: int = 0, dev_fraction: float = 0.05, test_fraction: float = 0.05,
                workers: int | None = None, held_out_of: int | None = None,
                replace_held_out: bool = False) -> dict[str, Path]:
    """Render sentences with the voices and write train/dev/test manifests with disjoint sentences.

    Sentences are shuffled by `seed`, split, and each is spoken by one voice drawn by `seed`. Re-running skips
    files already rendered (complete ones: a file cut short is rendered again), so an interrupted build resumes. A
    sentence whose render fails (synthesizer error, no samples, silence) is left out of its split, logged and
    counted; the others keep their splits. `held_out_of=N`: dev and test are exactly those of
    the corpus of `max_utts=N` (same seed, voices and fractions) and every later sentence goes to train, so that a
    corpus grown later keeps the held-out sets earlier results were measured on. A build into a folder whose dev or
    test manifest holds other utterances is refused (results measured on them would silently stop matching), unless
    `replace_held_out`.
    """
    _check_synthesizers(voices)
    if text_file is not None:
        sentences = text_lines(Path(text_file))
        if not sentences:
            raise CorpusError(f"{text_file}: no text lines")
    else:
        sentences = fortune_sentences()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sentences))
    if max_utts is not None:
        order = order[:max_utts]
    if held_out_of is not None and not 0 < held_out_of <= len(order):  # before rendering anything
        raise CorpusError(f"held-out sets of the first {held_out_of} sentences: the corpus has {len(order)}")
    split_sizes(len(order), dev_fraction, test_fraction)  # bad fractions refused before rendering, not after
    speakers = rng.integers(0, len(voices), size=len(order))
    jobs = []
    for rank, (idx, v) in enumerate(zip(order, speakers)):
        text, voice = sentences[idx], voices[v]
        digest = hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:10]
        uid = f"{speaker_name(voice)}_{digest}"
        jobs.append((rank, uid, voice, text, out_dir / "wavs" / speaker_name(voice) / f"{uid}.wav"))
    for _, _, _, _, path in jobs:
        path.parent.mkdir(parents=True, exist_ok=True)

    def work(job):
        _, uid, voice, text, path = job
        if path.exists() and (duration := rendered_duration(path)) is not None:
            return duration, None
        try:  # a missing file, or a broken or cut-short leftover: render (again)
            return render(voice, text, path), None
        except CorpusError as e:
            return None, str(e)

    # Threads suffice: the work happens in the synthesizer subprocesses.
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        results = list(tqdm(pool.map(work, jobs), total=len(jobs), desc="rendering", unit="utt"))
    failed = [(uid, error) for (_, uid, *_), (_, error) in zip(jobs, results) if error is not None]
    for uid, error in failed:
        log.warning("skipped %s: %s", uid, error)
    if failed and len(failed) == len(jobs):
        raise CorpusError(f"every one of the {len(jobs)} renders failed, e.g. {failed[0][1]}")
    # None for a failed render: the splits are cut by rank before it leaves, so no other sentence changes split
    utterances = [None if d is None else Utterance(uid, str(path), text, speaker_name(voice), round(d, 4), SAMPLE_RATE)
                  for (_, uid, voice, text, path), (d, _) in zip(jobs, results)]
    split_base = len(utterances) if held_out_of is None else held_out_of  # the sentences dev and test come from
    n_train, n_dev, _ = split_sizes(split_base, dev_fraction, test_fraction)
    rendered = lambda utts: [u for u in utts if u is not None]
    splits = disjoint_splits({"train": rendered(utterances[:n_train] + utterances[split_base:]),
                              "dev": rendered(utterances[n_train : n_train + n_dev]),
                              "test": rendered(utterances[n_train + n_dev : split_base])})
    if not replace_held_out:
        _require_same_held_out(out_dir, {name: splits[name] for name in ("dev", "test")})
    outputs = {}
    for name, utts in splits.items():
        outputs[name] = out_dir / f"{name}.jsonl"
        write_manifest(outputs[name], utts)
        print(f"{outputs[name]}: {len(utts)} utterances, {sum(u.duration for u in utts) / 60:.1f} min")
    if failed:
        print(f"{len(failed)} sentence(s) not rendered, left out (their reasons are logged above)")
    return outputs


def _require_same_held_out(out_dir: Path, held_out: dict[str, list[Utterance]]) -> None:
    """CorpusError where out_dir's dev or test manifest exists and holds other utterances than `held_out`'s."""
    for name, utts in held_out.items():
        path = out_dir / f"{name}.jsonl"
        if not path.is_file():
            continue
        before = {u.id for u in read_manifest(path, verify_audio=False)}
        now = {u.id for u in utts}
        if before and before != now:
            raise CorpusError(f"{path} holds {len(before - now)} utterance(s) this build would drop and "
                              f"{len(now - before)} it would add: results measured on it would no longer match. "
                              f"Use a new --out, --held-out-of N to grow a corpus keeping its held-out sets, or "
                              f"--replace-held-out to replace them")


def disjoint_splits(splits: dict[str, list[Utterance]]) -> dict[str, list[Utterance]]:
    """The splits with no sentence in two of them: one that a later split (dev, then test) holds too, after the
    LM's normalizer (case, punctuation, spacing), leaves the earlier split. The fortunes hold a few sentences twice
    in other punctuation, which the split would otherwise put on both sides of an evaluation."""
    from lm.normalize import normalize_text

    later: set[str] = set()
    kept = {}
    for name in reversed(list(splits)):
        kept[name] = [u for u in splits[name] if normalize_text(u.text) not in later]
        if len(kept[name]) < len(splits[name]):
            log.warning("%s: %d sentence(s) left out, also in a later split", name, len(splits[name]) - len(kept[name]))
        later |= {normalize_text(u.text) for u in kept[name]}
    return {name: kept[name] for name in splits}


def text_lines(path: Path) -> list[str]:
    """The non-empty lines of a text file, one sentence each; a sentence that repeats an earlier one (after the
    LM's normalizer) is left out, so that it cannot be rendered twice or land in two splits, and so is a line with
    no words (only punctuation: the normalizer leaves nothing, and a synthesizer renders silence).
    CorpusError for a file that cannot be read as UTF-8."""
    from lm.normalize import normalize_text

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CorpusError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(f"{path}: cannot read it as UTF-8 text ({e})") from None
    seen, lines, wordless = set(), [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        key = normalize_text(line.strip())
        if not key:
            wordless += 1
        elif key not in seen:
            seen.add(key)
            lines.append(line.strip())
    if wordless:
        log.warning("%s: %d line(s) with no words left out", path, wordless)
    return lines


def _sentences_of(paths: list[Path]) -> list[str]:
    """The sentences of manifests (.jsonl: every line's "text", whether or not its audio is readable here: a held-out
    sentence must stay out even where its audio is not) and text files (one sentence per line)."""
    sentences = []
    for path in paths:
        if path.suffix != ".jsonl":
            sentences += text_lines(path)
            continue
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise CorpusError(f"{path}: cannot read it ({e})") from None
        found = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                raise CorpusError(f"{path}:{number}: not valid JSON ({e.msg})") from None
            if isinstance(entry, dict) and isinstance(entry.get("text"), str) and entry["text"].strip():
                found.append(entry["text"])
        if not found:
            raise CorpusError(f"{path}: no sentence in it (no line with a \"text\")")
        sentences += found
    return sentences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    libri = sub.add_parser("librispeech", help="manifests from a LibriSpeech folder")
    libri.add_argument("--root", type=Path, required=True)
    libri.add_argument("--subsets", default="train-clean-100,dev-clean,test-clean")
    libri.add_argument("--out", type=Path, required=True)
    synth = sub.add_parser("synth", help="render speech offline with flite / espeak-ng")
    synth.add_argument("--out", type=Path, required=True)
    synth.add_argument("--voices", default=",".join(DEFAULT_VOICES))
    synth.add_argument("--max-utts", type=positive_int, default=None)
    synth.add_argument("--text", type=Path, default=None, help="a text file, one sentence per line")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--dev-fraction", type=float, default=0.05)
    synth.add_argument("--test-fraction", type=float, default=0.05)
    synth.add_argument("--workers", type=positive_int, default=None)
    synth.add_argument("--replace-held-out", action="store_true",
                       help="replace the dev and test manifests of an earlier build in --out that held other "
                            "utterances (refused without it)")
    synth.add_argument("--held-out-of", type=int, default=None, metavar="N",
                       help="dev and test as in the corpus of --max-utts N (same seed, voices, fractions); the "
                            "sentences beyond N all go to train: grow a corpus and keep its held-out sets")
    wordnet = sub.add_parser("wordnet-text", help="WordNet's example sentences as a --text file for synth")
    wordnet.add_argument("--out", type=Path, required=True)
    wordnet.add_argument("--held-out", type=Path, nargs="*", default=[], metavar="FILE",
                         help="manifests (.jsonl) or text files (one sentence per line): leave out examples that "
                              "contain or are contained in their sentences (evaluation text)")
    wordnet.add_argument("--known", type=Path, nargs="*", default=[], metavar="FILE",
                         help="manifests or text files: leave out examples equal to their sentences (text the corpus "
                              "has already)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "librispeech":
            build_librispeech(args.root, [s.strip().rstrip("/") for s in args.subsets.split(",") if s.strip()], args.out)
        elif args.command == "wordnet-text":
            sentences = wordnet_examples(WORDNET_DIR, _sentences_of(args.held_out), _sentences_of(args.known))
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text("".join(s + "\n" for s in sentences), encoding="utf-8")
            print(f"{args.out}: {len(sentences)} sentences, {sum(len(s.split()) for s in sentences)} words")
        else:
            build_synth(args.out, [v for v in args.voices.split(",") if v], args.max_utts, args.text, args.seed,
                        args.dev_fraction, args.test_fraction, args.workers, args.held_out_of, args.replace_held_out)
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
