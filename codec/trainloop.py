"""Pieces shared by every training loop (codec and LM): accelerator set-up, logging, the resume decision.

The loops themselves stay explicit in `codec/train.py` and `lm/train.py`; only what would otherwise be copied
between them lives here, including the two failure policies (docs/RELIABILITY.md):

- NonFiniteGuard: a step whose loss or gradient norm is NaN/Inf makes no optimizer update; it is counted, logged
  (TensorBoard `nonfinite/*` and a message on stderr) and training goes on. `max_consecutive` such steps in a row
  stop the run with NonFiniteError; the checkpoints on disk (written only after good or skipped steps, so never
  holding non-finite weights) stay as they are.
- CheckpointSaver: a checkpoint that cannot be written (full disk, I/O error) is reported loudly (stderr and
  TensorBoard `checkpoint/failed_saves`), the previous ones stay intact and training goes on, since the next save
  may succeed; `max_consecutive` failed saves in a row stop the run with CheckpointError rather than train on
  with nothing saved.
- StopOnSignal: SIGTERM (a cancelled or preempted job, `kill`) or SIGINT (Ctrl-C) ends the run after the step
  under way, with a checkpoint of that step, so no step since the last periodic save is lost; the loop raises
  TrainingStopped and the CLI exits 128 + the signal's number. A second signal acts at once, as without this.
- run_lock: one run at a time in an --out folder. A second run started there while the first lives (a job queued
  again while it still runs, a command typed twice) is refused by name; it would have written its checkpoints
  between the first's, and a --resume would have gone on from the other run's.

Fault injection for the tests (inert unless set): SGSPEECH_FAULT_NONFINITE="loss@<steps>;grad@<steps>" (steps
1-based, comma-separated) turns those steps' loss into NaN, or one gradient into Inf after backward ("disc@<steps>":
the codec's discriminator loss into NaN);
SGSPEECH_FAULT_SIGNAL="<SIGNAL>[+<SIGNAL>...]@<step>" (e.g. "SIGTERM@2") makes process 0 alone send itself those
signals as that (1-based) step ends, just before the loop asks StopOnSignal: the others must stop with it.
"""
from __future__ import annotations

import datetime
import fcntl
import json
import math
import os
import signal
import socket
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NoReturn

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from tqdm import tqdm

from codec.checkpoint import CheckpointError, CheckpointManager, atomic_file
from codec.hardware import has_half_precision_units

NONFINITE_FAULT_ENV = "SGSPEECH_FAULT_NONFINITE"
SIGNAL_FAULT_ENV = "SGSPEECH_FAULT_SIGNAL"


def adamw(params, lr: float, betas: tuple[float, float], eps: float = 1e-8) -> torch.optim.AdamW:
    """AdamW with the fused kernel, on CPU and CUDA alike: one pass over all parameters instead of a Python loop
    per tensor. Tiny codec, 2 CPU threads: optimizer step 34 -> 9 ms, training step 1.19 -> 1.15 s; on a GPU,
    ~800 fewer dispatched ops per codec step (docs/PERFORMANCE.md). Same update rule, same state_dict layout."""
    return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, fused=True)


# --mixed-precision of both trainers. "auto": bf16 autocast on CUDA, float32 on CPU. "bf16" on a CPU with
# bfloat16 units (AVX512-BF16, AMX) speeds a tiny LM's packed step x1.7 (docs/PERFORMANCE.md); on one without, it
# is slower.
MIXED_PRECISIONS = ("auto", "no", "bf16")
MIXED_PRECISION_HELP = ("auto (default): bf16 autocast on CUDA, float32 on CPU; no: float32; bf16: autocast on any "
                        "device (on a CPU only worth it with AVX512-BF16/AMX: x1.7 for the tiny LM's packed step there)")


def build_accelerator(mixed_precision: str = "auto", cpu: bool = False, gradient_accumulation_steps: int = 1) -> Accelerator:
    """One Accelerator for CPU, one GPU and many, with the precision rule of MIXED_PRECISIONS."""
    if mixed_precision not in MIXED_PRECISIONS:
        raise ValueError(f"mixed precision {mixed_precision!r}: choose one of {MIXED_PRECISIONS}")
    use_cpu = cpu or not torch.cuda.is_available()
    if mixed_precision == "auto":
        mixed_precision = "no" if use_cpu else "bf16"
    elif mixed_precision == "bf16" and use_cpu and not has_half_precision_units(torch.bfloat16, "cpu"):
        print("[train] --mixed-precision bf16 on a CPU without bfloat16 units (AVX512-BF16/AMX): it runs, but "
              "slower than float32", file=sys.stderr)
    return Accelerator(cpu=use_cpu, mixed_precision=mixed_precision,
                       gradient_accumulation_steps=gradient_accumulation_steps)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) identically on every process."""
    set_seed(seed)


class TrainLogger:
    """TensorBoard scalars plus a tqdm bar (steps/s, ETA) with the latest losses; silent on non-main ranks."""

    def __init__(self, accelerator: Accelerator, log_dir: str | os.PathLike, total_steps: int, start_step: int = 0,
                 desc: str = "train"):
        self.enabled = accelerator.is_main_process
        self.writer = None
        self.bar = None
        if self.enabled:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(log_dir))
            self.bar = tqdm(total=total_steps, initial=start_step, desc=desc, unit="step", dynamic_ncols=True,
                            disable=os.environ.get("TQDM_DISABLE") == "1")

    def log(self, step: int, scalars: dict[str, float], show: tuple[str, ...] = ()) -> None:
        if not self.enabled:
            return
        for name, value in scalars.items():
            if value is not None and math.isfinite(value):
                self.writer.add_scalar(name, value, step)
        if show:
            # "train/loss" shows as loss, "dev/loss" as dev_loss (cut to its last part, it overwrote the training loss)
            self.bar.set_postfix({k.removeprefix("train/").replace("/", "_"): f"{scalars[k]:.3g}" for k in show
                                  if k in scalars}, refresh=False)

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def write(self, message: str) -> None:
        if self.enabled:
            tqdm.write(message)

    def warn(self, message: str) -> None:
        """A problem the user must see: on stderr, even with the progress bar off."""
        if self.enabled:
            tqdm.write(message, file=sys.stderr)

    def close(self) -> None:
        if self.enabled:
            self.bar.close()
            self.writer.flush()
            self.writer.close()


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Write JSON atomically (temporary file + rename)."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str))


class NonFiniteError(FloatingPointError):
    """Too many optimizer steps in a row had a NaN/Inf loss or gradient; the message says which and where."""


def _injected(kind: str, step: int) -> bool:
    """Whether SGSPEECH_FAULT_NONFINITE (e.g. "loss@3,4;grad@7") asks for a `kind` fault at `step`."""
    for part in os.environ.get(NONFINITE_FAULT_ENV, "").split(";"):
        fault, _, steps = part.strip().partition("@")
        if fault == kind and step in {int(s) for s in steps.split(",") if s.strip()}:
            return True
    return False


def require_same_data_settings(saved: dict, current: dict, keys: tuple[str, ...], source: str | os.PathLike) -> None:
    """Stop a resume whose data settings `keys` differ between the checkpoint (`saved`) and this run (`current`):
    the data position is a function of them, so the resumed run would see other data than the interrupted one."""
    changed = [f"{k} {saved.get(k)!r} -> {current[k]!r}" for k in keys if saved.get(k) != current[k]]
    if changed:
        raise SystemExit(f"{source}: trained with other data settings ({'; '.join(changed)}): resuming would feed "
                         f"other data than the interrupted run saw; resume with the same settings, or use a new --out")


def schedule_change_notice(saved: dict, current: dict, keys: tuple[str, ...], step: int, lr_saved: float,
                           lr_current: float, source: str | os.PathLike) -> str | None:
    """A resume may change its schedule settings `keys` on purpose (to extend a run): a notice naming each change
    between the checkpoint (`saved`; a key it lacks is taken as unchanged) and this run (`current`), with the LR at
    the resumed `step` under both schedules; None when nothing changed."""
    changed = [f"{k} {saved[k]} -> {current[k]}" for k in keys if k in saved and saved[k] != current[k]]
    if not changed:
        return None
    return (f"{source}: resuming under another schedule ({'; '.join(changed)}): the LR at step {step} is "
            f"{lr_current:.3g} (the checkpoint's schedule: {lr_saved:.3g}); this run no longer matches an "
            "uninterrupted one")


def mean_over_processes(accelerator: Accelerator, values: dict[str, float]) -> dict[str, float]:
    """Each scalar's mean over all processes (each measured it on its own batch), for logging.

    Collective with several processes: every process calls it at the same steps, with the same keys in the same
    order."""
    if accelerator.num_processes == 1:
        return values
    stacked = torch.tensor(list(values.values()), dtype=torch.float64, device=accelerator.device)
    return dict(zip(values, accelerator.reduce(stacked, "mean").tolist()))


def trim_partial_line(path: str | os.PathLike, after_step: int | None = None) -> None:
    """Cut a JSONL file back to its last complete line (what a process killed mid-append leaves); with `after_step`,
    also drop the lines of steps after it (logged after the checkpoint a run resumes from, and logged again when the
    resumed run takes those steps anew), so that each step keeps one line."""
    path = Path(path)
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
    if after_step is not None:
        def later(line: bytes) -> bool:
            try:
                step = json.loads(line).get("step")
            except (ValueError, AttributeError):
                return False
            return isinstance(step, int) and step > after_step

        data = b"".join(line for line in data.splitlines(keepends=True) if not later(line))
    if data != path.read_bytes():
        with open(path, "r+b") as f:
            f.write(data)
            f.truncate(len(data))


class NonFiniteGuard:
    """Skip-count-stop for non-finite losses and gradients, shared by every training loop (module doc).

    Per optimizer step: `bad(loss, grad_norm, ...)` says (identically on every process) whether to skip the update;
    then either `skipped(step, what, values)` or `good()`. `state_dict()` goes into checkpoints so that a resumed
    run keeps counting.
    """

    def __init__(self, accelerator: Accelerator, logger: TrainLogger, max_consecutive: int = 5):
        if max_consecutive < 1:
            raise ValueError(f"max_consecutive must be >= 1, got {max_consecutive}")
        self.accelerator, self.logger, self.max_consecutive = accelerator, logger, max_consecutive
        self.total, self.consecutive = 0, 0

    def bad(self, *values) -> bool:
        finite = all(math.isfinite(float(v)) for v in values if v is not None)
        if self.accelerator.num_processes > 1:  # every process must take the same decision (DDP collectives)
            flag = torch.tensor([0.0 if finite else 1.0], device=self.accelerator.device)
            finite = float(self.accelerator.reduce(flag, "sum").item()) == 0.0
        return not finite

    def skipped(self, step: int, what: str, values: dict[str, float]) -> None:
        """Count and report a skipped step; raise NonFiniteError after `max_consecutive` in a row."""
        self.total += 1
        self.consecutive += 1
        shown = ", ".join(f"{k}={float(v):.4g}" for k, v in values.items())
        self.logger.warn(f"step {step}: non-finite {what} ({shown}); update skipped "
                         f"({self.consecutive} in a row, {self.total} in this run, stop at {self.max_consecutive} in a row)")
        if self.logger.enabled:
            self.logger.writer.add_scalar("nonfinite/skipped_steps", self.total, step)
            self.logger.writer.add_scalar("nonfinite/consecutive", self.consecutive, step)
            self.logger.writer.flush()
        if self.consecutive >= self.max_consecutive:
            raise NonFiniteError(f"step {step}: {self.consecutive} optimizer steps in a row had a non-finite loss or "
                                 f"gradient (last: {what}: {shown}); stopping. The last good checkpoint is untouched: "
                                 f"lower the learning rate or check the data, then resume from it.")

    def good(self) -> None:
        self.consecutive = 0

    def poison_loss(self, step: int, loss: torch.Tensor, kind: str = "loss") -> torch.Tensor:
        """Fault injection (module doc): NaN instead of `loss` at the steps named by SGSPEECH_FAULT_NONFINITE=<kind>@...
        ("loss": the training loss; "disc": the codec's discriminator loss)"""
        return loss * float("nan") if _injected(kind, step) else loss

    def poison_grads(self, step: int, parameters) -> None:
        """Fault injection: an Inf gradient entry at the steps named by SGSPEECH_FAULT_NONFINITE=grad@..."""
        if _injected("grad", step):
            for p in parameters:
                if p.grad is not None:
                    p.grad.view(-1)[0] = float("inf")
                    return

    def state_dict(self) -> dict:
        return {"total": self.total, "consecutive": self.consecutive}

    def load_state_dict(self, state: dict | None) -> None:
        self.total, self.consecutive = int((state or {}).get("total", 0)), int((state or {}).get("consecutive", 0))


class CheckpointSaver:
    """CheckpointManager.save under the failed-save policy (module doc): report, keep training, stop after N in a row."""

    def __init__(self, manager: CheckpointManager, logger: TrainLogger, max_consecutive: int = 3):
        self.manager, self.logger, self.max_consecutive = manager, logger, max(1, max_consecutive)
        self.failures, self.consecutive = 0, 0

    def save(self, step: int, models: dict, optimizers: dict, state: dict | None = None) -> Path | None:
        try:
            path = self.manager.save(step, models, optimizers, state)
        except CheckpointError as e:
            self.failures += 1
            self.consecutive += 1
            latest = self.manager.latest()
            self.logger.warn(f"ERROR: checkpoint of step {step} NOT saved: {e}. Latest good checkpoint: "
                             f"{latest if latest is not None else 'none yet'}. Training continues "
                             f"({self.consecutive} failed save(s) in a row; stop at {self.max_consecutive}).")
            if self.logger.enabled:
                self.logger.writer.add_scalar("checkpoint/failed_saves", self.failures, step)
                self.logger.writer.flush()
            if self.consecutive >= self.max_consecutive:
                raise CheckpointError(f"step {step}: {self.consecutive} checkpoint saves in a row failed (last: {e}); "
                                      f"stopping rather than training on without checkpoints. Latest good "
                                      f"checkpoint: {latest if latest is not None else 'none'}") from e
            return None
        self.consecutive = 0
        return path


class TrainingStopped(Exception):
    """A training loop ended early on a stop signal (StopOnSignal), after writing a checkpoint of its last step."""

    def __init__(self, signum: int, step: int, checkpoint: Path | None):
        self.signum, self.step, self.checkpoint = signum, step, checkpoint
        super().__init__(f"{signal.Signals(signum).name} received: stopped after step {step}; latest checkpoint "
                         f"{checkpoint if checkpoint is not None else 'none'}; run the same command with --resume "
                         f"to continue")

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal (SIGTERM 143, SIGINT 130): a script that chains
        stages with `set -e` stops here instead of going on to a stage whose input is unfinished."""
        return 128 + self.signum


@contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold `out`'s lock of this process's rank (`RANK`, 0 alone) while the block runs; SystemExit naming the holder
    where another live process holds it. An flock: the kernel drops it when its process ends, however it ends, so a
    killed run leaves nothing stale behind. A folder it made for a run that then wrote nothing (refused on its
    data, say) is removed again."""
    made, path = False, out / f".run-lock-rank{os.environ.get('RANK', '0')}"
    if out.exists() and not out.is_dir():
        raise SystemExit(f"--out {out}: a file, not a folder; give a folder for the run")
    for _ in range(3):
        if not out.exists():  # made here (again, where a run that wrote nothing removed it meanwhile)
            out.mkdir(parents=True, exist_ok=True)
            made = True
        try:
            handle = open(path, "a+")
        except FileNotFoundError:  # the folder went between the two lines above: make it again
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "a process"
            handle.close()
            raise SystemExit(f"{out}: another run is training into it ({holder}, per {path.name}): wait for it to "
                             f"end or stop it, or use another --out") from None
        # a run that ended between our open and our lock may have removed the file: the lock would then be on a
        # file no later run sees, so it is taken again on the one the path names now
        try:
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()
    else:
        raise SystemExit(f"{out}: could not take {path.name} (removed again and again by other runs)")
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since "
                     f"{datetime.datetime.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        yield
    finally:
        # removed while still held, so that no run can lock the removed file after this one lets go of it
        if made and [p.name for p in out.iterdir()] == [path.name]:
            path.unlink()
            try:
                out.rmdir()
            except OSError:  # another run made something there meanwhile
                pass
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def ignore_stop_signals(_worker_id: int = 0) -> None:
    """DataLoader `worker_init_fn`: workers ignore SIGINT/SIGTERM (Ctrl-C and a job scheduler signal the whole
    process group), so they keep serving the main process while it finishes its step; it shuts them down itself."""
    for signum in StopOnSignal.SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


class StopOnSignal:
    """Context manager for a training loop: the first SIGTERM or SIGINT only sets a flag, which the loop reads after
    each step with `requested()`, then saves a checkpoint of that step and calls `stop()`; `--resume` continues
    exactly (the data position is a function of the step). A second signal is handed to the handler that was there
    before (SIGINT: KeyboardInterrupt; SIGTERM: the process ends), for a step that hangs.

    Why a flag and not a save in the handler: the handler runs between two bytecodes of the main thread, possibly
    inside an optimizer step, and a multi-process run must save at the same step on every rank. `requested()` is
    therefore collective: every process calls it once per step, and any one process's signal stops all of them.
    Handlers are only installed from the main thread (elsewhere Python cannot), never over a signal the process
    was started with ignored, and restored on exit."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, accelerator: Accelerator):
        self.accelerator = accelerator
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopOnSignal":
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                # an ignored signal stays ignored: a shell starts background jobs (`cmd &`) with SIGINT ignored so
                # that Ctrl-C at the terminal does not reach them, and `nohup`-style launchers rely on the same
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> bool:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
        return False

    def _handle(self, signum: int, frame) -> None:
        if self.received is None:
            self.received = signum  # no printing here: the handler may interrupt a write to stderr (tqdm)
            return
        previous = self._previous.get(signum, signal.SIG_DFL)
        self.__exit__()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.raise_signal(signum)

    def requested(self, step: int) -> bool:
        """Whether any process received a stop signal by the end of (1-based) `step`; collective when there are
        several processes: all call it once per step."""
        spec = os.environ.get(SIGNAL_FAULT_ENV)  # fault injection (module doc)
        if spec and self.accelerator.process_index == 0:
            names, _, at = spec.partition("@")
            if int(at) == step:
                for name in names.split("+"):
                    os.kill(os.getpid(), signal.Signals[name.strip()])
        flag = 0.0 if self.received is None else 1.0
        if self.accelerator.num_processes > 1:
            flag = float(self.accelerator.reduce(torch.tensor(flag, device=self.accelerator.device), "sum"))
        return flag > 0

    def stop(self, step: int, checkpoints: CheckpointManager, logger: TrainLogger) -> NoReturn:
        """End the run after `step` (its checkpoint already attempted): report, close the logs, raise
        TrainingStopped."""
        stopped = TrainingStopped(self.received or signal.SIGTERM, step, checkpoints.latest())
        logger.warn(str(stopped))
        logger.close()
        raise stopped

