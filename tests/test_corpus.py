import json

import numpy as np
import pytest
import soundfile as sf

from codec.data import read_manifest
from pipelines import corpus
from pipelines.corpus import CorpusError, build_librispeech, build_synth, fortune_sentences


def make_librispeech(root):
    """A tiny corpus in LibriSpeech's exact layout: <subset>/<speaker>/<chapter>/<utt>.flac + trans.txt."""
    spec = {"dev-clean": {("84", "121123"): 2, ("174", "50561"): 1}, "train-clean-100": {("19", "198"): 3}}
    expected = {}
    for subset, chapters in spec.items():
        rows = []
        for (speaker, chapter), n in chapters.items():
            folder = root / "LibriSpeech" / subset / speaker / chapter
            folder.mkdir(parents=True)
            lines = []
            for k in range(n):
                uid = f"{speaker}-{chapter}-{k:04d}"
                seconds = 0.5 + 0.25 * k
                sf.write(folder / f"{uid}.flac", np.zeros(int(16000 * seconds), np.float32) + 0.01, 16000)
                text = f"SENTENCE NUMBER {k} OF CHAPTER {chapter}"
                lines.append(f"{uid} {text}")
                rows.append({"id": uid, "audio": f"LibriSpeech/{subset}/{speaker}/{chapter}/{uid}.flac",
                             "text": text, "speaker": speaker, "duration": seconds, "sample_rate": 16000})
            (folder / f"{speaker}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
        expected[subset] = sorted(rows, key=lambda r: r["id"])
    return expected


def test_librispeech_layout_becomes_expected_manifest(tmp_path):
    expected = make_librispeech(tmp_path)
    out = tmp_path  # manifests beside the corpus: audio paths stay relative
    paths = build_librispeech(tmp_path, ["dev-clean", "train-clean-100"], out)
    for subset, rows in expected.items():
        got = sorted((json.loads(line) for line in paths[subset].read_text().splitlines()), key=lambda r: r["id"])
        assert got == rows
        assert len(read_manifest(paths[subset])) == len(rows)


def test_librispeech_missing_flac_is_skipped_and_missing_subset_errors(tmp_path):
    make_librispeech(tmp_path)
    (tmp_path / "LibriSpeech/dev-clean/84/121123/84-121123-0001.flac").unlink()
    paths = build_librispeech(tmp_path / "LibriSpeech", ["dev-clean"], tmp_path / "out")
    ids = [json.loads(line)["id"] for line in paths["dev-clean"].read_text().splitlines()]
    assert "84-121123-0001" not in ids and len(ids) == 2
    with pytest.raises(CorpusError, match="test-other"):
        build_librispeech(tmp_path, ["test-other"], tmp_path / "out")
    # a subset not there is named with the subsets that are, before any manifest is written
    with pytest.raises(CorpusError, match=r"'test-other': neither .* \(subsets there: dev-clean, train-clean-100\)"):
        build_librispeech(tmp_path, ["train-clean-100", "test-other"], tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_librispeech_unreadable_transcript_and_untranscribed_flac_are_skipped_and_counted(tmp_path):
    """One broken transcript file costs its chapter, not the subset; a flac no transcript names is counted too."""
    make_librispeech(tmp_path)
    chapter = tmp_path / "LibriSpeech/dev-clean/84/121123"
    (chapter / "84-121123.trans.txt").write_bytes(b"84-121123-0000 CAF\xc9 AU LAIT\n")  # Latin-1, not UTF-8
    sf.write(tmp_path / "LibriSpeech/dev-clean/174/50561/174-50561-0009.flac", np.zeros(8000, np.float32), 16000)
    utterances, skipped = corpus.librispeech_manifest(tmp_path, "dev-clean", tmp_path / "out")
    assert [u.id for u in utterances] == ["174-50561-0000"]
    reasons = dict(skipped)
    assert "no line in its chapter's transcript" in reasons["174-50561-0009"]
    # its chapter's flacs, each counted once, with the transcript's fault as the reason
    assert sorted(reasons) == ["174-50561-0009", "84-121123-0000", "84-121123-0001"]
    for uid in ("84-121123-0000", "84-121123-0001"):
        assert "84-121123.trans.txt: transcript unreadable" in reasons[uid]


def test_librispeech_bad_requests_are_refused_by_name_before_anything_is_written(tmp_path, capsys):
    make_librispeech(tmp_path)
    subset_path = str(tmp_path / "LibriSpeech/dev-clean")
    for subset in (subset_path, "LibriSpeech/dev-clean", "..", "dev-clean/.."):  # manifests would land elsewhere
        with pytest.raises(CorpusError, match="give a subset's name .* not a path"):
            build_librispeech(tmp_path, [subset], tmp_path / "out")
    with pytest.raises(CorpusError, match="no LibriSpeech subset given"):
        build_librispeech(tmp_path, [], tmp_path / "out")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CorpusError, match="--out .*afile: cannot make the folder"):
        build_librispeech(tmp_path, ["dev-clean"], tmp_path / "afile")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob("LibriSpeech/*.jsonl")) and not list(tmp_path.glob("**/.jsonl"))
    # the command line: a tab-completed "dev-clean/" is the subset; "," alone names none
    out = tmp_path / "cli"
    assert corpus.main(["librispeech", "--root", str(tmp_path), "--subsets", "dev-clean/", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["dev-clean.jsonl"]
    assert corpus.main(["librispeech", "--root", str(tmp_path), "--subsets", ",", "--out", str(out)]) == 2
    assert "no LibriSpeech subset given" in capsys.readouterr().err


def test_librispeech_flac_cut_short_is_skipped_and_a_subset_of_only_bad_files_says_why(tmp_path):
    make_librispeech(tmp_path)
    cut = tmp_path / "LibriSpeech/dev-clean/84/121123/84-121123-0001.flac"  # header intact, the data cut off
    sf.write(cut, np.random.default_rng(0).uniform(-0.5, 0.5, 16000).astype(np.float32), 16000)
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert sf.info(cut).frames == 16000  # what a header-only check would take for the truth
    utterances, skipped = corpus.librispeech_manifest(tmp_path, "dev-clean", tmp_path)
    assert [u.id for u in utterances] == ["174-50561-0000", "84-121123-0000"]
    assert "cut short" in dict(skipped)["84-121123-0001"]
    # every utterance skipped: the error carries the reasons, not only "no utterances found"
    (tmp_path / "LibriSpeech/train-clean-100/19/198/19-198.trans.txt").write_bytes(b"19-198-0000 CAF\xc9\n")
    with pytest.raises(CorpusError, match=r"no utterances found \(3 skipped: .*19-198.trans.txt: transcript "
                                          r"unreadable"):
        corpus.librispeech_manifest(tmp_path, "train-clean-100", tmp_path)


def test_splits_share_no_sentence_after_normalization():
    """A sentence the fortunes hold twice in other punctuation or spacing must not sit on both sides of a split."""
    from codec.data import Utterance

    utt = lambda uid, text: Utterance(uid, f"{uid}.wav", text, "slt", 1.0, 16000)
    splits = corpus.disjoint_splits({
        "train": [utt("a", "Remember:  Silly is a state of Mind."), utt("b", "Plain words only."),
                  utt("c", "Once more, in dev!")],
        "dev": [utt("d", "once more in dev"), utt("e", "Another one.")],
        "test": [utt("f", "Remember: silly is a state of mind."), utt("g", "Another  one")]})
    assert {k: [u.id for u in v] for k, v in splits.items()} == {"train": ["b"], "dev": ["d"], "test": ["f", "g"]}


def test_fortune_sentences_are_plain_english():
    sentences = fortune_sentences()
    assert len(sentences) > 5000
    assert len(set(sentences)) == len(sentences)
    for s in sentences[:500]:
        assert 4 <= len(s.split()) <= 20 and s[0].isupper() and s[-1] in ".!?"
        assert not any(ch.isdigit() for ch in s)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return out, build_synth(out, ["slt", "rms", "espeak:en-us"], max_utts=12, seed=5)


def test_synth_renders_plausible_disjoint_splits(rendered):
    out, paths = rendered
    manifests = {name: read_manifest(p) for name, p in paths.items()}
    assert sum(len(m) for m in manifests.values()) == 12 and len(manifests["test"]) >= 1
    texts = {name: {u.text for u in m} for name, m in manifests.items()}
    assert texts["train"].isdisjoint(texts["dev"]) and texts["train"].isdisjoint(texts["test"])
    assert texts["dev"].isdisjoint(texts["test"])
    for m in manifests.values():
        for u in m:
            words = len(u.text.split())
            assert u.sample_rate == 16000 and sf.info(u.audio).samplerate == 16000
            assert 0.1 * words < u.duration < 1.0 * words + 1.5, (u.text, u.duration)  # speech-like pace
            assert u.speaker in {"slt", "rms", "espeak-en-us"}


def test_synth_is_deterministic_and_resumes(rendered, tmp_path):
    out, paths = rendered
    before = {name: p.read_text() for name, p in paths.items()}
    audio_before = {p.name: p.read_bytes() for p in out.glob("wavs/*/*.wav")}
    # Same seed elsewhere: identical manifests (up to the folder) and identical audio bytes.
    other = build_synth(tmp_path, ["slt", "rms", "espeak:en-us"], max_utts=12, seed=5, workers=1)
    assert {name: p.read_text() for name, p in other.items()} == before
    assert {p.name: p.read_bytes() for p in tmp_path.glob("wavs/*/*.wav")} == audio_before
    # Re-running in place renders nothing again: files keep their modification times.
    victim = next(out.glob("wavs/*/*.wav"))
    mtime = victim.stat().st_mtime_ns
    build_synth(out, ["slt", "rms", "espeak:en-us"], max_utts=12, seed=5)
    assert victim.stat().st_mtime_ns == mtime
    # Another seed picks other sentences.
    third = build_synth(tmp_path / "s6", ["slt"], max_utts=12, seed=6)
    assert third["train"].read_text() != before["train"]


def test_grown_corpus_keeps_its_held_out_sets(rendered, tmp_path):
    """held_out_of=12: a corpus of 16 sentences has the dev and test sets of the 12-sentence corpus (same voices
    and sentences), and its train split is the old one plus the 4 new sentences."""
    out, paths = rendered
    old = {name: read_manifest(p) for name, p in paths.items()}
    grown = {name: read_manifest(p) for name, p in build_synth(out, ["slt", "rms", "espeak:en-us"], max_utts=16, seed=5,
                                                               held_out_of=12).items()}
    assert [u.id for u in grown["dev"]] == [u.id for u in old["dev"]]
    assert [u.id for u in grown["test"]] == [u.id for u in old["test"]]
    assert [u.id for u in grown["train"]][: len(old["train"])] == [u.id for u in old["train"]]
    assert len(grown["train"]) == len(old["train"]) + 4
    plain = build_synth(tmp_path, ["slt", "rms", "espeak:en-us"], max_utts=16, seed=5)  # without: new held-out sets
    assert [u.id for u in read_manifest(plain["test"])] != [u.id for u in old["test"]]
    with pytest.raises(CorpusError, match="first 20 sentences: the corpus has 16"):
        build_synth(out, ["slt"], max_utts=16, seed=5, held_out_of=20)


def test_synth_from_user_text_file(tmp_path):
    text = tmp_path / "lines.txt"
    text.write_text("The first line is here.\n\nA second one follows.\nAnd a third to finish.\n")
    paths = build_synth(tmp_path / "out", ["slt"], text_file=text, seed=0)
    all_texts = sorted(u.text for p in paths.values() for u in read_manifest(p))
    assert all_texts == sorted(["The first line is here.", "A second one follows.", "And a third to finish."])


def test_synth_text_file_with_repeated_sentences_renders_each_once_in_one_split(tmp_path):
    text = tmp_path / "lines.txt"
    text.write_text("A dog barks.\nThe cat sleeps.\nBirds sing loudly.\n" * 2 + "the CAT sleeps\n")
    paths = build_synth(tmp_path / "out", ["slt"], text_file=text, seed=1, dev_fraction=0.34, test_fraction=0.34)
    utterances = [u for p in paths.values() for u in read_manifest(p)]
    assert sorted(u.text for u in utterances) == ["A dog barks.", "Birds sing loudly.", "The cat sleeps."]
    assert len({u.id for u in utterances}) == 3


def test_split_sizes_keep_small_splits_and_allow_a_test_only_set():
    assert corpus.split_sizes(100, 0.05, 0.05) == (90, 5, 5)
    assert corpus.split_sizes(10, 0.01, 0.01) == (8, 1, 1)  # a fraction > 0 gets at least one utterance
    assert corpus.split_sizes(40, 0.0, 1.0) == (0, 0, 40)  # the unseen sentences of recipe stage 8
    assert corpus.split_sizes(2, 0.0, 1.0) == (0, 0, 2)
    for dev, test in ((-0.1, 0.5), (0.6, 0.5)):
        with pytest.raises(CorpusError, match="each must be >= 0 and together at most 1"):
            corpus.split_sizes(10, dev, test)


def test_missing_synthesizer_names_the_apt_package(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus.shutil, "which", lambda name: None)
    with pytest.raises(CorpusError, match="apt-get install flite"):
        build_synth(tmp_path, ["slt"], max_utts=2)
    with pytest.raises(CorpusError, match="apt-get install espeak-ng"):
        build_synth(tmp_path, ["espeak:en-us"], max_utts=2)


def test_unknown_flite_voice_is_refused(tmp_path):
    with pytest.raises(CorpusError, match="nosuchvoice"):
        build_synth(tmp_path, ["nosuchvoice"], max_utts=2)


def test_cli_reports_error_without_traceback(tmp_path, capsys):
    assert corpus.main(["librispeech", "--root", str(tmp_path), "--subsets", "dev-clean", "--out", str(tmp_path)]) == 2
    assert "dev-clean" in capsys.readouterr().err


def test_wordnet_examples_keep_plain_sentences_and_leave_out_held_out_text(tmp_path):
    from pipelines.corpus import wordnet_examples

    (tmp_path / "data.noun").write_text(
        "  1 This software and database is being provided to you, the LICENSEE, by Princeton\n"
        '00001 03 n 01 dog 0 000 | a domestic animal; "the dog barked all night"; "dogs bark"\n'
        '00002 03 n 01 cat 0 000 | a feline; "the cat sat on the mat today"; "she paid $5 for the cat food"\n',
        encoding="latin-1")
    (tmp_path / "data.verb").write_text(
        '00003 29 v 01 run 0 000 | move fast; "he ran to the store quickly"; "the dog barked all night"\n'
        '00004 29 v 01 go 0 000 | travel; "we went home after the long game"\n', encoding="latin-1")
    assert wordnet_examples(tmp_path) == ["he ran to the store quickly", "the cat sat on the mat today",
                                          "the dog barked all night", "we went home after the long game"]
    # held out: contained in an evaluation sentence, or containing one; known: only an exact match
    kept = wordnet_examples(tmp_path, held_out=["Then the dog barked all night long."],
                            known=["We went home after the long game!", "the cat sat"])
    assert kept == ["he ran to the store quickly", "the cat sat on the mat today"]
    with pytest.raises(CorpusError, match="wordnet-base"):
        wordnet_examples(tmp_path / "missing")


def test_held_out_manifests_count_their_sentences_whether_or_not_their_audio_is_here(tmp_path):
    """wordnet-text --held-out test.jsonl: a manifest whose audio moved (or was never copied) still holds the
    evaluation sentences to keep out of the training text; they were dropped with the unreadable entries. A bad
    manifest is an error, not an empty held-out set."""
    from pipelines.corpus import _sentences_of

    moved = tmp_path / "test.jsonl"
    moved.write_text(json.dumps({"id": "a", "audio": "gone/a.wav", "text": "The dog barked all night."}) + "\n\n" +
                     json.dumps({"id": "b", "audio": "gone/b.wav", "text": "We went home."}) + "\n")
    assert _sentences_of([moved]) == ["The dog barked all night.", "We went home."]
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(CorpusError, match=r"bad.jsonl:1: not valid JSON"):
        _sentences_of([tmp_path / "bad.jsonl"])
    (tmp_path / "empty.jsonl").write_text(json.dumps({"id": "a", "audio": "a.wav"}) + "\n")
    with pytest.raises(CorpusError, match="empty.jsonl: no sentence in it"):
        _sentences_of([tmp_path / "empty.jsonl"])


def test_bad_split_fractions_are_refused_before_anything_is_rendered(tmp_path):
    with pytest.raises(CorpusError, match="together at most 1"):
        build_synth(tmp_path / "out", ["slt"], max_utts=4, seed=0, dev_fraction=0.8, test_fraction=0.8)
    assert not (tmp_path / "out" / "wavs").exists() or not any((tmp_path / "out" / "wavs").rglob("*.wav"))


# ---------------------------------------------------------------------------------------------------------------
# Review of the corpus and text front-end: failed, silent, cut-short and concurrent renders; text with no words;
# unreadable text files; the tokenizer's long sentences and espeak-ng failures
# ---------------------------------------------------------------------------------------------------------------

from pathlib import Path  # noqa: E402 (this block's own import)


def test_text_file_lines_with_no_words_are_left_out_and_non_utf8_is_an_error(tmp_path):
    """A line of punctuation only normalizes to nothing: flite rendered it as 0.2 s of near-silence into train."""
    text = tmp_path / "lines.txt"
    text.write_text("...\nA real sentence here.\n?!\n")
    assert corpus.text_lines(text) == ["A real sentence here."]
    text.write_bytes(b"Caf\xe9 au lait is nice.\n")  # Latin-1: a traceback before, not an error line
    with pytest.raises(CorpusError, match="lines.txt: cannot read it as UTF-8"):
        corpus.text_lines(text)
    with pytest.raises(CorpusError, match="none.txt: file not found$"):  # not "cannot read it as UTF-8"
        corpus.text_lines(tmp_path / "none.txt")
    assert corpus.main(["synth", "--out", str(tmp_path / "out"), "--voices", "slt", "--text", str(text)]) == 2


def test_silent_or_empty_synthesizer_output_is_a_render_error(tmp_path):
    with pytest.raises(CorpusError, match="silent output"):
        corpus.render("slt", "...", tmp_path / "a.wav")
    assert not (tmp_path / "a.wav").exists()


def test_failed_render_is_skipped_and_counted_and_the_others_keep_their_splits(tmp_path, monkeypatch, capsys):
    text = tmp_path / "lines.txt"
    text.write_text("The first line is here.\nA second one follows.\nAnd a third to finish.\n")
    before = {name: [u.id for u in read_manifest(p)]
              for name, p in build_synth(tmp_path / "a", ["slt"], text_file=text, dev_fraction=0.34,
                                         test_fraction=0.34).items()}
    real_render = corpus.render

    def render(voice, sentence, path):
        if sentence.startswith("A second"):
            raise CorpusError(f"{voice} failed on {sentence!r}: synthesizer crashed")
        return real_render(voice, sentence, path)

    monkeypatch.setattr(corpus, "render", render)
    after = {name: [u.id for u in read_manifest(p)]
             for name, p in build_synth(tmp_path / "b", ["slt"], text_file=text, dev_fraction=0.34,
                                        test_fraction=0.34).items()}
    assert "1 sentence(s) not rendered" in capsys.readouterr().out
    lost = {name: [i for i in ids if i not in after[name]] for name, ids in before.items()}
    assert sum(len(v) for v in lost.values()) == 1  # the failed one only; every other stays in its split
    assert {name: [i for i in ids if i in after[name]] for name, ids in before.items()} == after
    monkeypatch.setattr(corpus, "render", lambda *a: (_ for _ in ()).throw(CorpusError("always fails")))
    with pytest.raises(CorpusError, match="every one of the 3 renders failed"):
        build_synth(tmp_path / "c", ["slt"], text_file=text)


def test_cut_short_render_is_rendered_again(tmp_path):
    text = tmp_path / "lines.txt"
    text.write_text("The first line is here.\n")
    manifest = build_synth(tmp_path / "out", ["slt"], text_file=text, dev_fraction=0, test_fraction=0)["train"]
    wav = Path(read_manifest(manifest)[0].audio)
    full = wav.read_bytes()
    wav.write_bytes(full[: len(full) // 2])  # its header still reads: libsndfile reports the frames there are
    build_synth(tmp_path / "out", ["slt"], text_file=text, dev_fraction=0, test_fraction=0)
    assert wav.read_bytes() == full
    assert json.loads(manifest.read_text())["duration"] == round(sf.info(wav).frames / 16000, 4)


def test_two_renders_of_one_file_at_once_do_not_collide(tmp_path, monkeypatch):
    """Two builds of one folder render the same files at the same time: one shared `.part` name made the second
    os.replace fail (FileNotFoundError) in most such runs."""
    import os
    import threading

    real_replace, out, errors = os.replace, tmp_path / "x.wav", []

    def replace(src, dst):
        if str(dst) == str(out) and not errors:  # the other build renders the same file in between
            errors.append(None)
            other = threading.Thread(target=lambda: errors.append(corpus.render("slt", "Hello there.", out)))
            other.start()
            other.join()
        return real_replace(src, dst)

    monkeypatch.setattr(corpus.os, "replace", replace)
    duration = corpus.render("slt", "Hello there.", out)
    assert sf.info(out).frames == round(duration * 16000) and isinstance(errors[1], float)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.wav"]  # no part left


def test_librispeech_line_with_no_words_and_hidden_files_are_not_utterances(tmp_path):
    make_librispeech(tmp_path)
    chapter = tmp_path / "LibriSpeech/dev-clean/84/121123"
    (chapter / "84-121123.trans.txt").write_text("84-121123-0000\n84-121123-0001 A LINE WITH WORDS\n")
    (chapter / "._84-121123.trans.txt").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")  # AppleDouble
    (chapter / "._84-121123-0000.flac").write_bytes(b"\x00\x05\x16\x07")
    utterances, skipped = corpus.librispeech_manifest(tmp_path, "dev-clean", tmp_path)
    assert [(u.id, u.text) for u in utterances] == [("174-50561-0000", "SENTENCE NUMBER 0 OF CHAPTER 50561"),
                                                    ("84-121123-0001", "A LINE WITH WORDS")]
    assert [uid for uid, _ in skipped] == ["84-121123-0000"] and "has no words" in skipped[0][1]


def test_wordnet_held_out_sentence_with_no_words_holds_nothing_out(tmp_path):
    from pipelines.corpus import wordnet_examples

    (tmp_path / "data.noun").write_text('00001 03 n 01 dog 0 000 | a domestic animal; "the dog barked all night"\n'
                                        '00002 03 n 01 cat 0 000 | a feline; "the cat sat on the mat today"\n')
    # "..." normalizes to "", which every example contains: it left out all of them
    assert wordnet_examples(tmp_path, held_out=["The cat sat on the mat today.", "..."]) == [
        "the dog barked all night"]


def test_text_tokenizer_keeps_the_characters_of_sentences_longer_than_sentencepieces_default(caplog):
    """sentencepiece skipped sentences over 4192 bytes: a character only they held stayed in the alphabet and
    came out as <unk>, with no warning."""
    from lm.text import TextConfig, TextTokenizer

    long = " ".join(["the quick brown fox jumps over the lad dog"] * 120) + " jazz"  # 'z' only here
    tokenizer = TextTokenizer.train(["the cat sat on the mat", "a dog ran in the park"] * 5 + [long],
                                    TextConfig(vocab_size=64))
    ids = tokenizer.encode("jazz")
    assert tokenizer.sp.unk_id() not in ids and tokenizer.decode(ids) == "jazz"


def test_text_tokenizer_cli_names_an_espeak_failure_without_traceback(tmp_path, monkeypatch, capsys):
    import lm.text
    from lm.phonemes import PhonemizerError

    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(1600, np.float32) + 0.01, 16000)
    (tmp_path / "m.jsonl").write_text(json.dumps({"id": "a", "audio": "a.wav", "text": "The cat sat."}) + "\n")

    def fail(texts, voice, **kwargs):
        raise PhonemizerError("espeak-ng failed on 'the cat sat': cannot load phoneme data")

    monkeypatch.setattr(lm.text, "phonemize_many", fail)
    assert lm.text.main(["--manifest", str(tmp_path / "m.jsonl"), "--out", str(tmp_path / "tok"), "--phonemes"]) == 2
    assert "error: espeak-ng failed on 'the cat sat'" in capsys.readouterr().err
    assert not (tmp_path / "tok").exists()


def test_unknown_espeak_voice_is_refused_before_rendering(tmp_path):
    """A failed render is skipped now: a voice that fails every render must not leave its share out quietly."""
    with pytest.raises(CorpusError, match="espeak-ng voice 'nosuchvoice' not available"):
        build_synth(tmp_path, ["slt", "espeak:nosuchvoice"], max_utts=2)
    assert not any(tmp_path.rglob("*.wav"))


def test_librispeech_tab_after_the_id_and_a_repeated_line(tmp_path):
    """A tab between id and text made the id '84-121123-0000\\tSOME WORDS' (its flac then counted untranscribed);
    a repeated line made two utterances of one id."""
    make_librispeech(tmp_path)
    chapter = tmp_path / "LibriSpeech/dev-clean/84/121123"
    (chapter / "84-121123.trans.txt").write_text("84-121123-0000\tSOME WORDS\n84-121123-0001 MORE WORDS\n"
                                                 "84-121123-0001 MORE WORDS AGAIN\n")
    utterances, skipped = corpus.librispeech_manifest(tmp_path, "dev-clean", tmp_path)
    assert [(u.id, u.text) for u in utterances] == [("174-50561-0000", "SENTENCE NUMBER 0 OF CHAPTER 50561"),
                                                    ("84-121123-0000", "SOME WORDS"), ("84-121123-0001", "MORE WORDS")]
    assert [uid for uid, _ in skipped] == ["84-121123-0001"] and "a second line" in skipped[0][1]


def test_librispeech_transcript_opening_with_a_bom(tmp_path):
    """A transcript saved with a BOM (Notepad) made its first id '\\ufeff84-121123-0000': that utterance was lost,
    counted twice (file not found, and its flac untranscribed)."""
    make_librispeech(tmp_path)
    chapter = tmp_path / "LibriSpeech/dev-clean/84/121123"
    (chapter / "84-121123.trans.txt").write_text("84-121123-0000 SOME WORDS\n84-121123-0001 MORE WORDS\n",
                                                 encoding="utf-8-sig")
    utterances, skipped = corpus.librispeech_manifest(tmp_path, "dev-clean", tmp_path)
    assert [u.id for u in utterances] == ["174-50561-0000", "84-121123-0000", "84-121123-0001"] and skipped == []


def test_synth_splits_and_voices_are_drawn_by_the_seed(tmp_path, monkeypatch):
    from codec.audio import save_wav

    def fake_render(voice, text, out_path):  # no synthesizer: a short tone per sentence
        save_wav(out_path, 0.1 * np.sin(np.arange(1600, dtype=np.float32)), corpus.SAMPLE_RATE)
        return 0.1

    monkeypatch.setattr(corpus, "render", fake_render)
    monkeypatch.setattr(corpus, "_check_synthesizers", lambda voices: None)
    text = tmp_path / "lines.txt"
    text.write_text("".join(f"Sentence number {w} is here.\n" for w in
                            "one two three four five six seven eight nine ten eleven twelve".split()))

    def build(name, seed):
        paths = build_synth(tmp_path / name, ["slt", "rms"], text_file=text, seed=seed, dev_fraction=0.25,
                            test_fraction=0.25)
        return {split: [(u.text, u.speaker) for u in read_manifest(p)] for split, p in paths.items()}

    first, again, other = build("a", 0), build("b", 0), build("c", 1)
    assert first == again  # the same seed: the same corpus, wherever it is built
    assert first != other
    assert sorted(first["test"]) != sorted(other["test"]) or sorted(first["dev"]) != sorted(other["dev"])
    # built again into a folder with other settings, it replaced the held-out sets results were measured on, silently
    assert build("a", 0) == first  # the same build again: allowed, nothing changes
    before = (tmp_path / "a" / "test.jsonl").read_text()
    with pytest.raises(CorpusError, match=r"dev.jsonl holds \d+ utterance\(s\) this build would drop .* "
                                          r"--replace-held-out to replace them"):
        build("a", 1)
    assert (tmp_path / "a" / "test.jsonl").read_text() == before
    paths = build_synth(tmp_path / "a", ["slt", "rms"], text_file=text, seed=1, dev_fraction=0.25,
                        test_fraction=0.25, replace_held_out=True)
    assert {split: [(u.text, u.speaker) for u in read_manifest(p)] for split, p in paths.items()} == other
