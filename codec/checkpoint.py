"""Atomic checkpoints with full resume, shared by the codec and LM training loops.

A checkpoint is a directory `step_00001000/` holding
  - `<name>.safetensors`        one per model (no pickle),
  - `<name>.optim.pt`           one per optimizer (read back with torch.load(weights_only=True)),
  - `rng_rank<r>.json/.safetensors`  every process's Python, NumPy and torch RNG states,
  - `trainer_state.json`        step, number of processes and whatever the loop adds (its config, counters).
It is written under a temporary name and renamed into place, so a directory named `step_*` is always complete:
a run killed mid-save leaves the previous checkpoint as the latest. Older ones beyond `keep_last` are removed.
`load` refuses a checkpoint written by another number of processes: each rank's data position and RNG state
depend on it, so such a run would not continue the saved one.

Fault injection (docs/RELIABILITY.md; inert unless set): SGSPEECH_FAULT_CHECKPOINT=<fault>[@<step>[,<step>...]]
makes `CheckpointManager.save` of those steps (all steps without `@`) fail on purpose:
  kill_before_rename   SIGKILL this process after every file is written and synced, before the rename;
  enospc               raise OSError(ENOSPC) after the first model file is written (a full disk).
"""
from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import pickle
import random
import re
import shutil
import signal
import threading
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, load_model, save_file, save_model

FORMAT_VERSION = 1
_PREFIX = "step_"
FAULT_ENV = "SGSPEECH_FAULT_CHECKPOINT"


class CheckpointError(RuntimeError):
    """A checkpoint could not be written or read; the message names the path and the reason."""


def _fault(point: str, step: int, path: Path) -> None:
    """The fault-injection hook (module doc): act when SGSPEECH_FAULT_CHECKPOINT names `point` for `step`."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    fault, _, steps = spec.partition("@")
    if fault != point or (steps and step not in {int(s) for s in steps.split(",") if s.strip()}):
        return
    if fault == "kill_before_rename":
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault == "enospc":
        raise OSError(errno.ENOSPC, f"No space left on device (injected by {FAULT_ENV})", str(path))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def cwd_relative(path: str | os.PathLike) -> Path:
    """`path` relative to the working directory (the project root) when inside it, absolute otherwise: the form in
    which records and cards name files, so that they still hold when exp/ moves to another machine."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling path to write; on success it is renamed to `target`, so `target` is never seen
    half-written, and on any error it is removed. Its name holds the process and thread ids: two writers of one
    target (two builds of one corpus folder at once) never write into each other's file. `fsync`: flush the file
    to disk before the rename (what must survive a power cut, not only a killed process)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; on success it is renamed to `target`, so `target` is never seen
    half-written.

    A new `target` takes one rename. An existing one is replaced in two (portable Python cannot swap two folders in
    one rename): it is renamed aside to `.trash-<name>-<pid>`, the new folder into place, then the old one deleted.
    A crash between the two renames leaves no `target`, with the old folder under that trash name and the new,
    complete one as `.tmp-<name>-<pid>`: a reader finds `target` missing (a clear not-found error, never a mixture
    of the two); writing it again restores it (codec.train's `--resume` writes `final/` again) and removes such
    leftovers of processes no longer running (a process killed while filling its temporary folder leaves one too).
    Every file and folder inside is fsynced before the rename, subfolders included.
    On any error the temporary folder is removed and `target` (if it existed) is left untouched.
    """
    target = Path(os.path.abspath(target))  # "." or "out/..": the folder's own name and parent, not ".tmp--<pid>"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        # files as readable as any other the process creates (safetensors writes 0600): the mode mkdir gave tmp under
        # the umask, less the execute bits
        mode = tmp.stat().st_mode & 0o666
        for folder, _, files in os.walk(tmp):
            for name in files:
                f = Path(folder, name)
                if f.is_file() and not f.is_symlink():
                    os.chmod(f, mode)
                    with open(f, "rb") as fh:
                        os.fsync(fh.fileno())
            _fsync_dir(Path(folder))
        if target.exists() or target.is_symlink():
            require_no_loss(target, {p.name for p in tmp.iterdir()})
        trash = target.parent / f".trash-{target.name}-{os.getpid()}"
        replace_folder(tmp, target, trash)
        _fsync_dir(target.parent)
        shutil.rmtree(trash, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_leftovers(target)


def replace_folder(new: Path, target: Path, trash: Path) -> None:
    """Rename the complete folder `new` to `target`. An existing `target` is first renamed to `trash` (portable
    Python cannot swap two folders in one rename), so no half-deleted folder is ever named `target`; if the second
    rename fails, the old folder is put back. The caller deletes `trash` once it is done."""
    moved = target.exists() or target.is_symlink()
    if moved:
        os.replace(target, trash)
    try:
        os.replace(new, target)
    except BaseException:
        if moved and not (target.exists() or target.is_symlink()):
            os.replace(trash, target)
        raise


def require_no_loss(target: Path, names: set[str]) -> None:
    """Refuse to replace `target` by a folder holding `names` where that would lose more than an older copy of the
    same thing: a file where a folder goes, or a subfolder the new one lacks (a run's checkpoints/, say, when a
    codec is exported into the run folder by mistake)."""
    if not target.is_dir() or target.is_symlink():
        raise FileExistsError(f"{target}: exists and is not a folder; not replaced")
    lost = sorted(p.name + "/" for p in target.iterdir() if p.is_dir() and p.name not in names)
    if lost:
        raise FileExistsError(f"{target}: holds {', '.join(lost[:5])}, which this write would delete; not replaced "
                              f"(write to a new or empty folder)")


def require_replaceable(target: str | os.PathLike, marker: str, kind: str) -> None:
    """Before writing a `kind` folder to `target` (which replaces all of it): refuse one that exists and is neither
    empty nor a `kind` folder (no `marker` file in it), e.g. a mistyped --out naming a data or run folder."""
    target = Path(target)
    if not (target.exists() or target.is_symlink()):
        return
    if not target.is_dir():
        raise FileExistsError(f"{target}: exists and is not a folder")
    if any(target.iterdir()) and not (target / marker).is_file():
        raise FileExistsError(f"{target}: is not a {kind} folder (no {marker}) and is not empty: writing the {kind} "
                              f"there would replace everything in it; give a new or empty folder")


def _remove_leftovers(target: Path) -> None:
    """Remove the `.tmp-`/`.trash-` folders of `target` that processes no longer running left (killed while writing
    it); called once `target` is complete, so none of them holds anything it does not."""
    # exactly <kind>-<name>-<pid>: a sibling target's ("256-sg" beside "256") are not this one's
    own = re.compile(rf"\.(tmp|trash)-{re.escape(target.name)}-(\d+)")
    for leftover in target.parent.glob(f".*-{glob.escape(target.name)}-*"):
        match = own.fullmatch(leftover.name)
        if match and not _process_alive(int(match.group(2))):
            shutil.rmtree(leftover, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def rng_state() -> tuple[dict, dict[str, torch.Tensor]]:
    """This process's RNG states as (JSON-able dict, tensors)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    meta = {
        "python": [py_state[0], list(py_state[1]), py_state[2]],
        "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
    }
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda{i}"] = s
    return meta, tensors


def set_rng_state(meta: dict, tensors: dict[str, torch.Tensor]) -> None:
    v, state, gauss = meta["python"]
    random.setstate((v, tuple(state), gauss))
    name, keys, pos, has_gauss, cached = meta["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(tensors["torch"])
    # by device number: sorted as strings, "cuda10" would come before "cuda2" and, on a machine with more than 10
    # GPUs, device 2 would get device 10's state
    cuda = [tensors[k] for k in sorted((k for k in tensors if k.startswith("cuda")), key=lambda k: int(k[4:]))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


class CheckpointManager:
    """Saves and restores training state under `directory`; works alone or with an Accelerate `accelerator`.

    With several processes every rank calls `save` (each writes its own RNG state); the main process writes
    models and optimizers and performs the final rename after a barrier.
    """

    def __init__(self, directory: str | os.PathLike, keep_last: int = 3, accelerator=None):
        self.directory = Path(directory)
        self.keep_last = max(1, keep_last)
        self.accelerator = accelerator

    # -- helpers over the optional accelerator -------------------------------------------------------------
    @property
    def _rank(self) -> int:
        return self.accelerator.process_index if self.accelerator else 0

    @property
    def _num_processes(self) -> int:
        return self.accelerator.num_processes if self.accelerator else 1

    @property
    def _is_main(self) -> bool:
        return self.accelerator.is_main_process if self.accelerator else True

    def _barrier(self) -> None:
        if self.accelerator:
            self.accelerator.wait_for_everyone()

    def _unwrap(self, model: torch.nn.Module) -> torch.nn.Module:
        return self.accelerator.unwrap_model(model) if self.accelerator else model

    # -- listing -------------------------------------------------------------------------------------------
    def checkpoints(self) -> list[Path]:
        if not self.directory.exists():
            return []
        found = [p for p in self.directory.iterdir() if p.is_dir() and p.name.startswith(_PREFIX) and p.name[len(_PREFIX):].isdigit()]
        return sorted(found, key=lambda p: int(p.name[len(_PREFIX):]))

    def latest(self) -> Path | None:
        found = self.checkpoints()
        return found[-1] if found else None

    # -- save / load ---------------------------------------------------------------------------------------
    def save(self, step: int, models: dict[str, torch.nn.Module], optimizers: dict[str, torch.optim.Optimizer],
             state: dict | None = None) -> Path:
        """Write the checkpoint of `step`; raises CheckpointError (previous checkpoints intact) if it fails."""
        final = self.directory / f"{_PREFIX}{step:08d}"
        tmp = self.directory / f".tmp-{final.name}"
        error = None
        try:
            if self._is_main:
                shutil.rmtree(tmp, ignore_errors=True)
                tmp.mkdir(parents=True)
        except OSError as e:
            error = e
        self._barrier()
        try:
            if error is None:
                meta, tensors = rng_state()
                (tmp / f"rng_rank{self._rank}.json").write_text(json.dumps(meta))
                save_file(tensors, str(tmp / f"rng_rank{self._rank}.safetensors"))
            if error is None and self._is_main:
                for name, model in models.items():
                    save_model(self._unwrap(model), str(tmp / f"{name}.safetensors"))
                    _fault("enospc", step, tmp / f"{name}.safetensors")
                for name, opt in optimizers.items():
                    torch.save(opt.state_dict(), tmp / f"{name}.optim.pt")
                full_state = {"format_version": FORMAT_VERSION, "step": step, "num_processes": self._num_processes,
                              **(state or {})}
                (tmp / "trainer_state.json").write_text(json.dumps(full_state, indent=2))
        except (OSError, RuntimeError, SafetensorError) as e:
            # a full disk or an I/O error reaches us as OSError from Python's own writes, but as RuntimeError from
            # torch.save ("[enforce fail at inline_container.cc] ... file write failed") and as SafetensorError from
            # safetensors ("No space left on device (os error 28)")
            error = e
        # Every rank learns whether any rank failed, so all of them raise (or none does) and none hangs later.
        if self._any(error is not None):
            if self._is_main:
                shutil.rmtree(tmp, ignore_errors=True)
            reason = error if error is not None else "another process could not write its part"
            raise CheckpointError(f"checkpoint {final}: could not be written ({reason}); earlier checkpoints are intact") from error
        try:
            if self._is_main:
                mode = tmp.stat().st_mode & 0o666  # as atomic_directory: safetensors writes its files 0600
                for f in tmp.iterdir():
                    os.chmod(f, mode)
                    with open(f, "rb") as fh:
                        os.fsync(fh.fileno())
                _fault("kill_before_rename", step, tmp)
                trash = _free_trash_name(final)
                replace_folder(tmp, final, trash)  # a re-saved step (e.g. the final one): the old one kept until then
                _fsync_dir(self.directory)
                shutil.rmtree(trash, ignore_errors=True)
                self._prune()
        except OSError as e:
            error = e
        if self._any(error is not None):
            if self._is_main:
                shutil.rmtree(tmp, ignore_errors=True)
            reason = error if error is not None else "the main process could not complete it"
            raise CheckpointError(f"checkpoint {final}: could not be written ({reason}); earlier checkpoints are intact") from error
        return final

    def _any(self, flag: bool) -> bool:
        """True on every rank when `flag` is true on any rank (a collective call with several processes)."""
        if self.accelerator is None or self.accelerator.num_processes == 1:
            return flag
        total = self.accelerator.reduce(torch.tensor([float(flag)], device=self.accelerator.device), "sum")
        return bool(total.item() > 0)

    def _prune(self) -> None:
        for old in self.checkpoints()[: -self.keep_last]:
            trash = _free_trash_name(old)
            os.replace(old, trash)  # rename first: a half-deleted folder is never mistaken for a checkpoint
            shutil.rmtree(trash, ignore_errors=True)
        for stale in self.directory.glob(".t*-" + _PREFIX + "*"):  # leftovers of a run killed mid-save
            shutil.rmtree(stale, ignore_errors=True)

    def load(self, path: str | os.PathLike, models: dict[str, torch.nn.Module],
             optimizers: dict[str, torch.optim.Optimizer], restore_rng: bool = True) -> dict:
        """Restore models, optimizers and this rank's RNG from `path`; returns trainer_state.json's content.

        Raises CheckpointError, before restoring anything, when `path` was written by another number of processes."""
        path = Path(path)
        current = path / "trainer_state.json"
        try:
            state = json.loads(current.read_text())
            if state.get("format_version") != FORMAT_VERSION:
                raise CheckpointError(f"checkpoint {current}: format version {state.get('format_version')}, this code reads {FORMAT_VERSION}")
            # checkpoints written before the count was recorded: every process wrote its own RNG file
            saved = state.get("num_processes", len(list(path.glob("rng_rank*.json"))))
            if saved != self._num_processes:
                raise CheckpointError(f"checkpoint {path}: written by {saved} process(es), this run has "
                                      f"{self._num_processes}: each process's data position and RNG state depend on "
                                      f"the count, so the run would not continue as saved; resume with {saved} "
                                      f"process(es), or use a new output folder")
            for name, model in models.items():
                current = path / f"{name}.safetensors"
                missing, unexpected = load_model(self._unwrap(model), str(current), strict=False)
                if missing or unexpected:
                    raise CheckpointError(f"checkpoint {current}: weights do not match the model "
                                          f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})")
            for name, opt in optimizers.items():
                current = path / f"{name}.optim.pt"
                opt.load_state_dict(torch.load(current, map_location="cpu", weights_only=True))
            current = path / f"rng_rank{self._rank}.json"
            if restore_rng and current.exists():
                meta = json.loads(current.read_text())
                current = path / f"rng_rank{self._rank}.safetensors"
                set_rng_state(meta, load_file(str(current)))
        except CheckpointError:
            raise
        except (OSError, ValueError, RuntimeError, KeyError, pickle.UnpicklingError, SafetensorError) as e:
            raise CheckpointError(f"checkpoint {current}: could not be read ({e})") from e
        return state


def _free_trash_name(folder: Path) -> Path:
    """A name to rename `folder` to before deleting it: `.trash-<name>`, with any leftover of that name (a run
    killed while deleting one, or files a delete could not remove) removed first, or, where that cannot be removed,
    `.trash-<name>-<n>`. Renaming onto a leftover would fail (not empty), and with it every later save."""
    trash = folder.with_name(f".trash-{folder.name}")
    shutil.rmtree(trash, ignore_errors=True)
    n = 0
    while trash.exists() or trash.is_symlink():
        n += 1
        trash = folder.with_name(f".trash-{folder.name}-{n}")
    return trash


def read_versioned_json(path: str | os.PathLike, version: int, error: type[Exception], hint: str = "") -> dict:
    """The JSON object in `path`, whose "format_version" must be `version`; else `error` naming the file and why.

    Every saved folder of the project (codec, LM, tokenizer, token store, TTS pipeline) reads its JSON this way.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: file not found{hint}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise error(f"{path}: not valid JSON ({e})") from None
    found = data.get("format_version") if isinstance(data, dict) else None
    if found != version:
        raise error(f"{path}: format version {found!r}, this code reads {version}")
    return data


def refuse_unknown_keys(path: str | os.PathLike, error: type[Exception], sections: dict[str, tuple[dict, set]]) -> None:
    """`error` naming every key of a saved JSON file that this code does not read; `sections` maps a section's name
    ("" for the top level) to (its mapping, the keys read there). A typo ("pause_second") or a setting of another
    version would otherwise be ignored without a word and its default used."""
    unknown = [f"{name}.{key}" if name else key for name, (data, known) in sections.items()
               for key in sorted(set(data) - set(known))]
    if unknown:
        raise error(f"{path}: unknown keys {unknown} (a typo, or a setting of another version?)")
