"""The docs hold: their commands use options their programs accept, their links lead to files, the README's
Python examples run.

Every `python -m <our module> ...` and every `<our script>.py ...` written in a tracked text file (the README, docs/,
docs/results/ scripts, recipes, the GPU plan, error messages in the code) is read, and each `--option` in it is
looked up in that program's own argparse parser. A renamed or removed option would otherwise leave a documented
command or a result's reproduction script failing only when a user runs it. The links and images of the
hand-written Markdown pages lead to tracked files. The README's two Python examples run as written, on a codec saved
here and on the bundled model where they name a training run's output, and the values their comments give hold.
"""
from __future__ import annotations

import argparse
import os
import re
import runpy
import shlex
import subprocess
import sys
import warnings
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("codec", "lm", "pipelines", "benchmarks")
TEXT_SUFFIXES = {".md", ".sh", ".py", ".txt", ".json", ""}

# `-m codec.train`, `-m pipelines`, or a path to one of our scripts: then the rest of the command
INVOCATION = re.compile(
    r"(?:-m\s+(?P<module>(?:%s)(?:\.\w+)*)(?![\w.<{$])|(?<![\w/.-])(?P<script>(?:\./)?(?:scripts|benchmarks|docs/results)/[\w/.-]*?\.py))"
    r"(?=(?P<rest>.*))" % "|".join(PACKAGES))  # a lookahead: two commands on one line are both read
OPTION = re.compile(r"--[a-z][a-z0-9-]*")


class _Parsed(Exception):
    def __init__(self, parser: argparse.ArgumentParser):
        self.parser = parser


@lru_cache(maxsize=None)
def parser_of(target: str) -> argparse.ArgumentParser | None:
    """The argparse parser a module (`codec.train`) or script path builds: it is run as `__main__` with its
    parse_args replaced by a raise, so nothing after parsing runs. None for a script without argparse."""
    if target.endswith(".py") and "argparse" not in (ROOT / target).read_text():
        return None

    def caught(self, *args, **kwargs):
        raise _Parsed(self)

    saved = (argparse.ArgumentParser.parse_args, argparse.ArgumentParser.parse_known_args, sys.argv, sys.path[:],
             dict(os.environ))  # importing torch._inductor (benchmarks) sets TORCHINDUCTOR_CACHE_DIR
    argparse.ArgumentParser.parse_args = argparse.ArgumentParser.parse_known_args = caught
    sys.argv = [target]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # runpy: "found in sys.modules ... prior to execution"
            if target.endswith(".py"):
                sys.path.insert(0, str((ROOT / target).parent))
                runpy.run_path(str(ROOT / target), run_name="__main__")
            else:
                runpy.run_module(target, run_name="__main__", alter_sys=True)
    except _Parsed as parsed:
        return parsed.parser
    finally:
        argparse.ArgumentParser.parse_args, argparse.ArgumentParser.parse_known_args, sys.argv = saved[:3]
        sys.path[:] = saved[3]
        os.environ.clear()
        os.environ.update(saved[4])
    raise AssertionError(f"{target} ran to its end without parsing a command line")


def _words(rest: str, in_code: bool) -> list[str]:
    """The shell words of one command, up to its end (a pipe, `;`, `&&`, a redirection, a comment, a closing
    backtick in Markdown, a closing quote in Python source or JSON)."""
    rest = rest.split("`")[0]
    if in_code:
        rest = re.split(r"""["']""", rest)[0]
    lexer = shlex.shlex(rest, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = []
    try:
        for word in lexer:
            if word and set(word) <= set("|&;()<>"):
                break
            words.append(word)
    except ValueError:  # an unbalanced quote in prose: the plain words
        words = rest.split()
    return words


@lru_cache(maxsize=None)
def tracked_files() -> tuple[str, ...]:
    """The repository's tracked files, relative to its root."""
    return tuple(n for n in subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True,
                                           check=True).stdout.split("\0") if n)


def tracked_text_files() -> list[tuple[str, str]]:
    """(name, text) of every tracked text file outside tests/."""
    files = []
    for name in tracked_files():
        path = ROOT / name
        if path.suffix not in TEXT_SUFFIXES or not path.is_file() or name.startswith("tests/"):
            continue
        try:
            files.append((name, path.read_text()))
        except UnicodeDecodeError:
            continue
    return files


def documented_commands() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, program, words) for every invocation of one of our programs in a tracked text file."""
    found = []
    for name, text in tracked_text_files():
        path = ROOT / name
        joined = text.replace("\\\n", "  ")  # shell line continuations, offsets kept
        arrays = _shell_arrays(joined) if path.suffix == ".sh" else {}
        for match in INVOCATION.finditer(joined):
            line = text.count("\n", 0, match.start()) + 1
            program = match["module"] or match["script"].removeprefix("./")
            if program.endswith(".py") and not (ROOT / program).is_file():
                continue  # a script named as a pattern or in another tree
            words = []
            for word in _words(match["rest"], path.suffix in (".py", ".json")):
                array = ARRAY_USE.fullmatch(word)
                words += arrays.get(array[1], []) if array else [word]
            found.append((name, line, program, words))
    return found


ARRAY_USE = re.compile(r"\$\{(\w+)\[@\]\}")


def _shell_arrays(script: str) -> dict[str, list[str]]:
    """The words every `name=(...)` / `name+=(...)` of a shell script puts in each array (all of its assignments
    together): options given to a program through `"${name[@]}"` are checked as if written in its command."""
    arrays: dict[str, list[str]] = {}
    for match in re.finditer(r"(?<![\w$])(\w+)\+?=\(([^()]*)\)", script):
        try:
            words = shlex.split(match[2], comments=True)
        except ValueError:
            words = match[2].split()
        arrays.setdefault(match[1], []).extend(words)
    return arrays


LITERAL = re.compile(r"[a-z][a-z0-9_.-]*")  # a written value, not a shell variable or a placeholder (DIR, N, ...)


def problems(program: str, words: list[str]) -> list[str]:
    """What the program's parser would refuse in words: an `--option` it does not define (the sub-command's
    parser where the first positional word names one, any sub-command's where that word is a shell variable), a
    written value outside an option's choices, a written sub-command or first positional outside its choices."""
    parser = parser_of(program)
    if parser is None:  # a script that reads no command line: any option given to it is ignored
        return [f"{w} (the script parses no options)" for w in words if OPTION.fullmatch(w.split("=")[0])]
    positional = [w for w in words if not w.startswith("-")]
    parsers = [parser]
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            if positional and positional[0] in action.choices:
                parsers = [action.choices[positional[0]]]
            else:
                parsers += list(action.choices.values())
                if positional and LITERAL.fullmatch(positional[0]):
                    found.append(f"sub-command {positional[0]!r} not in {sorted(action.choices)}")
            break
    else:
        first = next((a for a in parser._actions if not a.option_strings), None)
        if first is not None and first.choices and positional and LITERAL.fullmatch(positional[0]) \
                and positional[0] not in first.choices:
            found.append(f"{first.dest} {positional[0]!r} not in {sorted(first.choices)}")
    actions = {o: a for p in parsers for o, a in p._option_string_actions.items()}
    for i, word in enumerate(words):
        name, _, value = word.partition("=")
        if not OPTION.fullmatch(name):
            continue
        if name not in actions:
            found.append(name)
            continue
        if not value and i + 1 < len(words) and actions[name].nargs != 0:
            value = words[i + 1]
        if actions[name].choices and LITERAL.fullmatch(value) and value not in actions[name].choices:
            found.append(f"{name} {value!r} not in {sorted(actions[name].choices)}")
    return found


def test_the_reader_finds_commands_in_markdown_shell_and_python():
    words = _words(" --preset tiny --sg  --out x | tee log # a comment", in_code=False)
    assert words == ["--preset", "tiny", "--sg", "--out", "x"]
    assert _words(" x --a 1` and `--b`", in_code=False) == ["x", "--a", "1"]
    assert _words(' x --a {dir}", "--b"', in_code=True) == ["x", "--a", "{dir}"]
    assert _shell_arrays('a=(--x 1 --y "two words")\n[ -n "$z" ] && a+=(--z)\nb=(\n  --w  # why\n)') == {
        "a": ["--x", "1", "--y", "two words", "--z"], "b": ["--w"]}
    assert problems("codec.export", ["--no-such-option", "--help"]) == ["--no-such-option"]
    assert problems("pipelines.evaluate", ["compare", "--out", "x"]) == []
    assert problems("pipelines.evaluate", ["$cmd", "--out", "x"]) == []  # a shell variable: any sub-command's
    assert problems("pipelines.evaluate", ["comapre", "--out", "x"]) == [
        "sub-command 'comapre' not in ['codec', 'compare', 'tts']"]
    assert problems("codec.train", ["--sg-tap", "last", "--sg-tap=$TAP", "--sg-loss=mse"]) == [
        "--sg-tap 'last' not in ['all_blocks', 'backbone', 'last_block']"]
    assert problems("benchmarks", ["al", "--device", "cpu"]) == [
        "benchmark 'al' not in ['all', 'codec-infer', 'codec-train', 'lm-generate', 'lm-train', 'peers', 'tts']"]


def test_every_documented_command_uses_options_its_program_accepts():
    commands = documented_commands()
    programs = {program for _, _, program, _ in commands}
    # the reader sees the main programs: a regex that stopped matching would pass vacuously
    assert {"codec.train", "lm.train", "pipelines.evaluate", "benchmarks"} <= programs, sorted(programs)
    bad = [f"{name}:{line}: {program}: {'; '.join(problems(program, words))}"
           for name, line, program, words in commands if problems(program, words)]
    assert not bad, "documented commands their programs would refuse:\n" + "\n".join(bad)


def test_the_links_of_the_hand_written_pages_lead_to_tracked_files():
    tracked = set(tracked_files())
    folders = {str(Path(name).parent) for name in tracked}
    pages = [(name, text) for name, text in tracked_text_files() if name.endswith(".md")
             # evaluation reports and claims pages are program output, kept without most of their plots
             and not re.fullmatch(r"docs/results/.*/[^/]*(report|claims)[^/]*\.md", name)]
    assert "README.md" in dict(pages) and "docs/RESULTS.md" in dict(pages)
    broken = []
    for name, text in pages:
        for match in re.finditer(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text):
            if "://" in match[1] or match[1].startswith("mailto:"):
                continue
            target = os.path.normpath(str(Path(name).parent / match[1]))
            if target not in tracked and target not in folders:
                broken.append(f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match[1]}")
    assert not broken, "links to files that are not tracked:\n" + "\n".join(broken)


def _readme_python_block(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, f"README.md: {len(found)} python examples hold {marker!r}"
    return found[0]


def test_the_readmes_codec_example_runs_and_its_comments_hold(tmp_path):
    import torch

    from codec import Codec, CodecConfig

    block = _readme_python_block("Codec.from_pretrained")
    run = re.search(r'Codec\.from_pretrained\("([^"]+)"\)', block)[1]  # a training run's output: made here
    torch.manual_seed(0)
    Codec(CodecConfig.preset("debug", codebook_size=16384)).save_pretrained(tmp_path / "codec")
    wav, lengths = torch.randn(2, 4800) * 0.1, torch.tensor([4800, 3000])
    scope = {"wav": wav, "lengths": lengths}
    exec(block.replace(run, str(tmp_path / "codec")), scope)
    codec, codes, frame_lengths = scope["codec"], scope["codes"], scope["frame_lengths"]
    assert codes.shape == (2, 15)  # 50 frames/s
    # the last line's: decoded from z_e, every item whole (no lengths given), "-> [B, F * 320]"
    assert frame_lengths.tolist() == [15, 15] and scope["audio"].shape == (2, 15 * 320)
    documented = re.search(r"codec\.sample_rate, codec\.frame_rate, codec\.codebook_size\s*#\s*([\d., ]+)", block)[1]
    assert [float(v) for v in documented.split(",")] == [codec.sample_rate, codec.frame_rate, codec.codebook_size]


def test_the_readmes_synthesis_example_runs(monkeypatch):
    block = _readme_python_block("pipelines.synthesize")
    trained = re.search(r'model="([^"]+)"', block)[1]  # a recipe's output: the bundled model stands in for it
    bundled = str(ROOT / "pipelines" / "default_model")
    pieces = []
    scope = {"play": pieces.append}
    exec(block.replace(trained, bundled), scope)
    out = scope["out"]
    assert out["audio"].dtype.name == "float32" and out["audio"].ndim == 1 and out["sampling_rate"] == 16000
    assert len(pieces) == 2 and all(p.dtype.name == "float32" and len(p) > 1600 for p in pieces)  # two sentences
