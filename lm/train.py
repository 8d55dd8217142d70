"""Train the speech LM on extracted tokens.

  python -m lm.train --tokens DIR[,DIR...] --dev-tokens DIR --out DIR --preset tiny --steps 3000 --batch-tokens 8192 \
      [--seed 0] [--resume] [--init LM_DIR]
  accelerate launch --multi_gpu -m lm.train ...                       (several GPUs, DDP)

One process or DDP only: DeepSpeed and FSDP are refused (see `require_replicated_optimizer`).

One optimizer step = `--batch-tokens` row tokens over all processes and `--grad-accum` micro-batches, exactly:
--batch-tokens must be a whole number of rows (--row-length, else the preset's) that the processes and
micro-batches share evenly, and a resumed run must have as many processes as the checkpoint's. Rows are
packed utterances (lm/packing.py); the loss covers speech codes and SPEECH_END, averaged over every target token
of the step on every process. The learning rate is a pure function of the step and the data position is
derived from it, so a checkpoint holds everything a resumed run needs.

<out>/tokenizer/  the text tokenizer (trained on the normalized training transcripts at the first start)
<out>/checkpoints/step_*/  resumable checkpoints;  <out>/tensorboard/  logs;  <out>/final/  save_pretrained.
<out>/best/  the model at the evaluation with the lowest dev loss so far (+ best.json: its step and dev figures):
a small LM on a small corpus overfits (docs/RESULTS.md, "The default TTS model"), and then best/ is the one to use.

--init LM_DIR starts from a trained LM (a save_pretrained folder: its weights and its tokenizer) with a fresh
optimizer and LR schedule: continue a model on a grown corpus (several --tokens directories) whose data position
--resume could not keep. With --init-new-codec the tokens may come from another codec, of the same codebook size
(e.g. one whose encoder trained on) or another: the transformer and the text embeddings carry over, the embeddings
(and output rows) of the speech codes start fresh, since code i of the new codec means something else; LMs over
codecs of several sizes can so start alike from one trained LM.

Failures (codec/trainloop.py, docs/RELIABILITY.md): a step with a NaN/Inf loss or gradient norm makes no update,
is counted and reported, and --max-nonfinite-steps of them in a row stop the run; a checkpoint that cannot be
written is reported on stderr and training goes on, but --max-checkpoint-failures in a row stop it. SIGTERM or
Ctrl-C ends the run after the step under way, with a checkpoint of it (exit status 143 / 130; --resume continues).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import math
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate.utils import DistributedType
from torch.utils.data import DataLoader

from codec.checkpoint import CheckpointError, CheckpointManager, atomic_directory
from codec.cli import (clip_norm, fraction, non_negative_float, non_negative_int, positive_float, positive_int,
                       run_main)
from codec.data import ResumableSampler
from codec.schedule import lr_at, set_lr
from codec.trainloop import (MIXED_PRECISION_HELP, MIXED_PRECISIONS, CheckpointSaver, NonFiniteGuard, StopOnSignal,
                             TrainingStopped, TrainLogger, adamw, build_accelerator, require_same_data_settings,
                             run_lock, schedule_change_notice, seed_everything, write_json)
from lm.config import PRESETS, LMConfig
from lm.identity import CodecIdentity, CodecMismatchError
from lm.model import ATTENTION_KINDS, LMLoadError, SpeechLM, use_attention
from lm.packing import PackedRows, collate_rows
from lm.text import TextConfig, TextTokenizer
from lm.tokens import TokenStore, open_tokens
from lm.vocab import IGNORE_INDEX


@dataclass(frozen=True)
class TrainConfig:
    tokens: str  # a token directory, or several separated by commas (read as one corpus)
    dev_tokens: str
    out: str
    preset: str = "tiny"
    steps: int = 3000
    batch_tokens: int = 8192  # row tokens per optimizer step, all processes together
    grad_accum: int = 1  # micro-batches per step on each process
    row_length: int | None = None  # None: the preset's max_positions
    packing: bool = True  # False: one utterance per row (padded to the batch's longest)
    lr: float = 1e-3
    warmup_steps: int = 100
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    gradient_checkpointing: bool = False  # recompute activations in backward: less memory, ~30% slower
    attention: str = "sdpa"  # lm.model.ATTENTION_KINDS; flex_attention (CUDA only) skips the masked blocks of packed rows
    mixed_precision: str = "auto"  # codec.trainloop.MIXED_PRECISIONS
    eval_every: int = 250
    save_every: int = 500
    keep_last: int = 3
    seed: int = 0
    max_nonfinite_steps: int = 5  # stop after this many skipped (NaN/Inf) steps in a row
    max_checkpoint_failures: int = 3  # stop after this many failed checkpoint saves in a row
    text: TextConfig | None = TextConfig()  # the tokenizer to train here; None when `tokenizer` supplies one
    tokenizer: str | None = None  # a `python -m lm.text` folder shared by LMs under comparison; None: train one here
    init: str | None = None  # start from this trained LM (save_pretrained folder; its tokenizer comes with it)
    init_new_codec: bool = False  # the tokens come from another codec than `init`'s: its speech-code rows start fresh

    def __post_init__(self):
        # A supplied tokenizer carries its own settings in its folder; a second, unused copy in train_config.json
        # (e.g. vocab_size 512 beside a 256-piece tokenizer) would mislead whoever reads it.
        if self.init is not None and self.tokenizer is not None:
            raise ValueError(f"init={self.init!r} brings its own tokenizer, tokenizer={self.tokenizer!r} another: "
                             "give one or the other")
        if self.tokenizer is not None or self.init is not None:
            if self.text not in (None, TextConfig()):
                raise ValueError(f"text={self.text} describes a tokenizer to train, "
                                 f"{'init' if self.init else 'tokenizer'}={self.init or self.tokenizer!r} "
                                 "supplies a trained one: give one or the other")
            object.__setattr__(self, "text", None)
        elif self.text is None:
            raise ValueError("text=None needs tokenizer=<a `python -m lm.text` folder> or init=<an LM folder>")
        if self.init_new_codec and self.init is None:
            raise ValueError("init_new_codec needs init=<an LM folder> trained on another codec's tokens")
        # A warm-up as long as the run leaves the learning rate below its peak to the end and never decays it (a
        # 20-step run under the default 100-step warm-up trained at a fifth of its lr): a mistake, not a schedule.
        # A 0-step run (the API's way to write the model a run starts from, e.g. an --init onto another codec) has no
        # schedule to spoil.
        if self.steps > 0 and self.warmup_steps >= self.steps:
            raise ValueError(f"warmup_steps={self.warmup_steps} is not below steps={self.steps}: the learning rate "
                             "would never reach its peak nor decay; give a warm-up shorter than the run "
                             "(--warmup-steps)")

    @property
    def lm_config(self) -> LMConfig:
        return lm_config_for(self.preset, self.row_length)


def lm_config_for(preset: str, row_length: int | None) -> LMConfig:
    """The LM a run of `preset` trains: the preset's, its context set to --row-length where one was given."""
    config = LMConfig.preset(preset)
    return config if row_length is None else dataclasses.replace(config, max_positions=row_length)


# Settings a resumed run must share with the checkpoint: they decide which rows each step sees (and `init`, what
# the run started from).
_DATA_SETTINGS = ("tokens", "preset", "batch_tokens", "grad_accum", "row_length", "packing", "seed", "text", "tokenizer",
                  "init", "init_new_codec")
# Settings a resumed run may change on purpose (to extend a run: --steps N --resume), with a notice: they reshape the
# LR schedule from the resumed step on, so the run no longer matches an uninterrupted one (as codec.train says).
_SCHEDULE_SETTINGS = ("steps", "lr", "warmup_steps", "min_lr_ratio")


def schedule_change(saved: dict, cfg: "TrainConfig", step: int, source) -> str | None:
    """A notice naming the schedule settings in which `cfg` differs from the checkpoint's `saved` config, with the
    LR at the resumed `step` under both schedules; None when they are the same."""
    current = _as_json(cfg)
    old = {k: saved.get(k, current[k]) for k in _SCHEDULE_SETTINGS}
    lr_old = lr_at(step, old["lr"], old["warmup_steps"], old["steps"], old["min_lr_ratio"])
    lr_new = lr_at(step, cfg.lr, cfg.warmup_steps, cfg.steps, cfg.min_lr_ratio)
    return schedule_change_notice(saved, current, _SCHEDULE_SETTINGS, step, lr_old, lr_new, source)


def token_losses(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token cross-entropy (nats) summed per row `[B]`, and the number of targets per row `[B]`.

    No attention mask is passed: the restarting position_ids make transformers build the block-diagonal
    causal mask that keeps packed utterances apart.
    """
    logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
    labels = batch["labels"][:, 1:]
    loss = F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE_INDEX,
                           reduction="none")
    return loss.view(labels.shape).sum(dim=1), (labels != IGNORE_INDEX).sum(dim=1)


def token_loss_sum(model, batch: dict) -> tuple[torch.Tensor, int]:
    """Summed next-token cross-entropy (nats) over the batch's targets, and how many targets there were."""
    nats, targets = token_losses(model, batch)
    return nats.sum(), int(targets.sum())


@torch.no_grad()
def evaluate(model, rows: PackedRows, accelerator, rows_per_batch: int, pad_id: int) -> dict:
    """Dev loss in nats per target token, and in bits per second of audio (comparable across codebook sizes).

    Each process scores its share of the rows with the unwrapped model: a DDP forward would broadcast buffers
    and hang when the processes hold different numbers of rows.
    """
    model = accelerator.unwrap_model(model)
    model.eval()
    nats = torch.zeros((), dtype=torch.float64, device=accelerator.device)
    targets = torch.zeros((), dtype=torch.float64, device=accelerator.device)
    mine = list(range(accelerator.process_index, len(rows), accelerator.num_processes))
    for start in range(0, len(mine), rows_per_batch):
        batch = collate_rows([rows[i] for i in mine[start : start + rows_per_batch]], pad_id)
        loss, count = token_loss_sum(model, {k: v.to(accelerator.device) for k, v in batch.items() if k != "padding"})
        nats += loss.double()
        targets += count
    nats, targets = accelerator.reduce(nats, "sum"), accelerator.reduce(targets, "sum")
    model.train()
    return {"dev/loss": float(nats / targets), "dev/bits_per_second": float(nats / math.log(2) / rows.seconds)}


def dev_set_fingerprint(store: TokenStore) -> str:
    """What a dev loss was measured on: the codec, and every utterance's id and codes (a moved folder keeps it)."""
    digest = hashlib.sha256(store.identity.fingerprint.encode())
    for i, entry in enumerate(store.entries):
        digest.update(f"\0{entry.id}\0{entry.length}\0".encode())
        digest.update(store[i].tobytes())
    return digest.hexdigest()


def resumed_best_dev(state: dict, dev_set: str, dev_tokens: str) -> tuple[float, str | None]:
    """The lowest dev loss so far, from a checkpoint's `state`, and a warning when it cannot be used: a loss
    measured on another dev set than this run's `dev_set` is no bar for this one's (best/ would keep a model
    that was never measured on it), so the comparison starts over at the next evaluation."""
    if state.get("best_dev_loss") is None:
        return math.inf, None
    saved = state.get("best_dev_set")
    same = saved == dev_set if saved is not None else state.get("config", {}).get("dev_tokens") == dev_tokens
    if same:
        return float(state["best_dev_loss"]), None
    return math.inf, (f"the checkpoint's best dev loss {float(state['best_dev_loss']):.4f} was measured on another "
                      f"dev set than --dev-tokens {dev_tokens}: best/ will be replaced at the next evaluation")


def require_replicated_optimizer(accelerator) -> None:
    """Stop unless the run is one process or DDP: the loop assumes every process holds the whole optimizer state.

    Under DeepSpeed (ZeRO) or FSDP the gradient accumulation (no_sync, one optimizer.step per --grad-accum
    micro-batches; DeepSpeed's backward steps the engine itself), the guard that skips a non-finite step by not
    calling optimizer.step(), and the checkpoint (the main process's optimizer.state_dict(), a shard there) would
    all be wrong, silently. Neither has been run with this loop, nor has XLA or Megatron-LM.
    """
    kind = accelerator.distributed_type
    if kind != DistributedType.NO and not kind.name.startswith("MULTI_"):  # MULTI_GPU, MULTI_CPU, ...: DDP
        raise SystemExit(f"lm.train runs on one process or under DDP (accelerate launch --multi_gpu), not under "
                         f"{kind.name}: its gradient accumulation, its non-finite-step guard and its checkpoints "
                         "assume that every process holds and steps the whole optimizer state (DeepSpeed ZeRO and "
                         "FSDP shard it)")


def rows_per_micro_batch(batch_tokens: int, row_length: int, world: int, grad_accum: int) -> int:
    """Rows per micro-batch on each process, such that a step is exactly `batch_tokens` row tokens.

    A rounded share would change the experiment silently: e.g. 2 rows per step, rounded up to one per process,
    become 8 on 8 GPUs at the same learning rate.
    """
    rows_per_step, rest = divmod(batch_tokens, row_length)
    shares = world * grad_accum
    if rows_per_step == 0 or rest or rows_per_step % shares:
        unit = row_length * shares
        nearest = sorted({max(unit, batch_tokens // unit * unit), -(-batch_tokens // unit) * unit})
        raise SystemExit(f"--batch-tokens {batch_tokens}: a step is whole rows of {row_length} tokens shared evenly "
                         f"by {world} process(es) x --grad-accum {grad_accum}, so --batch-tokens must be a multiple "
                         f"of {unit}: use --batch-tokens {' or '.join(map(str, nearest))} (with a learning rate "
                         "for that batch), or change --grad-accum or the number of processes")
    return rows_per_step // shares


def require_rows_for_every_process(num_rows: int, world: int, row_length: int, tokens: str) -> None:
    """Stop a run with fewer training rows than processes: some process would have no row to train on."""
    if num_rows < world:
        raise SystemExit(f"the training tokens {tokens} make {num_rows} row(s) of <= {row_length} tokens, fewer than "
                         f"the {world} process(es): each process needs at least one; use more data, a smaller "
                         "--row-length, or fewer processes")


def train(cfg: TrainConfig, resume: bool = False) -> Path:
    with contextlib.ExitStack() as held:  # the run's lock, taken once its settings are known to be good
        return _train(cfg, resume, held)


def _train(cfg: TrainConfig, resume: bool, held: contextlib.ExitStack) -> Path:
    out = Path(cfg.out)
    accelerator = build_accelerator(cfg.mixed_precision)
    require_replicated_optimizer(accelerator)
    seed_everything(cfg.seed)
    world, rank = accelerator.num_processes, accelerator.process_index
    lm_config = cfg.lm_config
    row_length = lm_config.max_positions

    rows_per_micro = rows_per_micro_batch(cfg.batch_tokens, row_length, world, cfg.grad_accum)
    rows_per_rank_step = rows_per_micro * cfg.grad_accum

    train_store, dev_store = open_tokens(cfg.tokens), TokenStore(cfg.dev_tokens)
    train_store.identity.require_same(dev_store.identity, f"the training tokens {cfg.tokens}", f"the dev tokens {cfg.dev_tokens}")
    if accelerator.is_main_process and any(Path(d).resolve() == Path(cfg.dev_tokens).resolve()
                                           for d in cfg.tokens.split(",") if d):
        # allowed (an overfitting check does it on purpose), but best/ is then the model that fits training data best
        print(f"warning: --dev-tokens {cfg.dev_tokens} is one of the training token folders: the dev loss measures "
              f"the fit to training data, and best/ is chosen on it; give a held-out set for a real dev loss",
              file=sys.stderr)
    held.enter_context(run_lock(out))  # before the checkpoints are looked at: another live run may be writing them
    ckpt = CheckpointManager(out / "checkpoints", cfg.keep_last, accelerator)
    latest = ckpt.latest()
    if latest is not None and not resume:
        raise SystemExit(f"{out} already has checkpoints (latest {latest.name}): pass --resume, or use a new --out")
    # The text tokenizer is trained once (main process) on the training transcripts and kept for resumption. A fresh
    # start writes its own even where <out>/tokenizer exists: one left by a start that stopped before its first
    # checkpoint may come from other settings (another --vocab-size, --tokenizer or --init), and would be used in
    # silence (or make --init's weights fail to load).
    tokenizer_dir = out / "tokenizer"
    write_tokenizer = latest is None or not (tokenizer_dir / "tokenizer.model").exists()
    # A resume takes the weights from the checkpoint and the tokenizer from <out>: it must not need the --init folder
    # to still exist, nor to still hold the same model.
    init = _load_init(cfg, lm_config, train_store.identity) if cfg.init and write_tokenizer else None
    dev_set = dev_set_fingerprint(dev_store)

    if accelerator.is_main_process and write_tokenizer:
        tokenizer = (init.tokenizer if init else TextTokenizer.load(cfg.tokenizer) if cfg.tokenizer
                     else TextTokenizer.train([e.text for e in train_store.entries], cfg.text))
        with atomic_directory(tokenizer_dir) as tmp:
            tokenizer.save(tmp)
    accelerator.wait_for_everyone()
    tokenizer = TextTokenizer.load(tokenizer_dir)

    lm = SpeechLM.create(lm_config, tokenizer, train_store.identity)
    if init is not None:
        if cfg.init_new_codec:
            _load_all_but_speech_rows(lm, init)
        else:
            lm.model.load_state_dict(init.model.state_dict())  # same config, tokenizer and codec
    vocab = lm.vocab
    if cfg.gradient_checkpointing:
        lm.model.gradient_checkpointing_enable()
    try:
        use_attention(lm.model, cfg.attention, accelerator.device)
    except ValueError as e:
        raise SystemExit(f"--attention: {e}") from None
    train_rows = PackedRows(train_store, vocab, tokenizer, row_length, pack=cfg.packing)
    require_rows_for_every_process(len(train_rows), world, row_length, cfg.tokens)
    dev_rows = PackedRows(dev_store, vocab, tokenizer, row_length, pack=True)

    # Weight decay on matrices only: decaying norm gains towards zero just fights the normalization.
    params = [p for p in lm.model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.ndim >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
    optimizer = adamw(groups, lr=cfg.lr, betas=(0.9, 0.95), eps=1e-8)
    model, optimizer = accelerator.prepare(lm.model, optimizer)

    start_step, nonfinite_state, best_dev, best_dev_note, schedule_note = 0, None, math.inf, None, None
    if resume and latest is not None:
        # load refuses a checkpoint of another number of processes, the one data setting not in the config
        state = ckpt.load(latest, {"model": model}, {"optimizer": optimizer})
        saved = {"init_new_codec": False, **state["config"]}  # checkpoints from before the flag ran without it
        try:
            require_same_data_settings(_paths_resolved(saved), _paths_resolved(_as_json(cfg)), _DATA_SETTINGS, latest)
        except SystemExit as e:  # a grown corpus is a new run that starts from this one's weights
            raise SystemExit(f"{e} (to go on with more data: --init {out / 'final'} and a new --out)") from None
        start_step, nonfinite_state = state["step"], state.get("nonfinite")
        if start_step > cfg.steps:  # the loop would not run and final/ would be the later checkpoint's model
            raise SystemExit(f"{latest}: the checkpoint is at step {start_step}, past --steps {cfg.steps}: resume "
                             f"with --steps {start_step} or more (or start from an earlier checkpoint in a new --out)")
        schedule_note = schedule_change(saved, cfg, start_step, latest)
        best_dev, best_dev_note = resumed_best_dev(state, dev_set, cfg.dev_tokens)
    if accelerator.is_main_process:
        write_json(out / "train_config.json", {**_as_json(cfg), "world_size": world, "rows_per_micro": rows_per_micro,
                                               "parameters": sum(p.numel() for p in params)})

    # The data position is a function of the step: every rank has consumed step * rows_per_rank_step rows.
    sampler = ResumableSampler(len(train_rows), cfg.seed, rank, world, start=start_step * rows_per_rank_step)
    # its own generator: iter() draws a worker seed from it, which would move the global RNG just restored
    loader = DataLoader(train_rows, batch_size=rows_per_micro, sampler=sampler,
                        collate_fn=partial(collate_rows, pad_id=vocab.pad),
                        generator=torch.Generator().manual_seed(cfg.seed))
    batches = iter(loader)

    logger = TrainLogger(accelerator, out / "tensorboard", cfg.steps, start_step, desc="lm")
    guard = NonFiniteGuard(accelerator, logger, cfg.max_nonfinite_steps)
    guard.load_state_dict(nonfinite_state)
    saver = CheckpointSaver(ckpt, logger, cfg.max_checkpoint_failures)
    for note in (schedule_note, best_dev_note):
        if note:
            logger.warn(note)
    logger.write(f"{sum(p.numel() for p in params) / 1e6:.2f} M parameters; {len(train_store)} utterances in "
                 f"{len(train_rows)} rows of <= {row_length} tokens ({train_rows.too_long} too long); "
                 f"{rows_per_micro} rows x {cfg.grad_accum} micro-batches x {world} processes per step")
    model.train()
    with StopOnSignal(accelerator) as stop:  # SIGTERM/SIGINT: finish the step, save it, stop
        for step in range(start_step, cfg.steps):
            t0 = time.perf_counter()
            set_lr(optimizer, lr_at(step, cfg.lr, cfg.warmup_steps, cfg.steps, cfg.min_lr_ratio))
            micro_batches = [{k: (v.to(accelerator.device) if torch.is_tensor(v) else v)
                              for k, v in next(batches).items()} for _ in range(cfg.grad_accum)]
            # Normalise by the targets of the whole step on all processes: DDP averages gradients over processes,
            # hence the factor `world`; every target token then weighs the same however the rows were packed.
            local_targets = sum(int((b["labels"][:, 1:] != IGNORE_INDEX).sum()) for b in micro_batches)
            step_targets = accelerator.reduce(torch.tensor(float(local_targets), device=accelerator.device), "sum")
            step_nats = torch.zeros((), device=accelerator.device)
            for i, batch in enumerate(micro_batches):
                last = i == len(micro_batches) - 1
                with contextlib.nullcontext() if last else accelerator.no_sync(model):  # all-reduce once per step
                    loss_sum, _ = token_loss_sum(model, batch)
                    loss_sum = guard.poison_loss(step + 1, loss_sum)
                    accelerator.backward(loss_sum * world / step_targets)
                step_nats += loss_sum.detach()
            guard.poison_grads(step + 1, model.parameters())
            grad_norm = accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            skipped = guard.bad(step_nats, grad_norm)
            if not skipped:  # a skipped step still consumes its rows: the data position stays a function of step
                optimizer.step()
            optimizer.zero_grad(set_to_none=True)

            real_tokens = sum(int((b["input_ids"] != vocab.pad).sum()) for b in micro_batches)
            totals = accelerator.reduce(torch.tensor([float(step_nats), float(real_tokens)], device=accelerator.device),
                                        "sum")
            seconds = time.perf_counter() - t0
            scalars = {"train/loss": float(totals[0] / step_targets), "train/lr": optimizer.param_groups[0]["lr"],
                       "train/grad_norm": float(grad_norm), "train/tokens_per_s": float(totals[1]) / seconds,
                       "train/padding": sum(b["padding"] for b in micro_batches) / len(micro_batches)}
            if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
                scalars.update(evaluate(model, dev_rows, accelerator, rows_per_micro, vocab.pad))
                logger.write(f"step {step + 1}: dev loss {scalars['dev/loss']:.4f} nats/token, "
                             f"{scalars['dev/bits_per_second']:.1f} bits/s")
                if scalars["dev/loss"] < best_dev:
                    best_dev = scalars["dev/loss"]
                    _save_best(lm, accelerator, model, out, step + 1, scalars)
            logger.log(step + 1, scalars, show=("train/loss", "train/tokens_per_s", "train/padding", "dev/loss"))
            logger.advance()
            if skipped:
                guard.skipped(step + 1, "loss or gradient",
                              {"train/loss": scalars["train/loss"], "train/grad_norm": scalars["train/grad_norm"]})
            else:
                guard.good()
            stopping = step + 1 < cfg.steps and stop.requested(step + 1)  # after the last step the run just ends
            if (step + 1) % cfg.save_every == 0 or step + 1 == cfg.steps or stopping:
                saver.save(step + 1, {"model": model}, {"optimizer": optimizer},
                           {"config": _as_json(cfg), "nonfinite": guard.state_dict(),
                            "best_dev_loss": best_dev if math.isfinite(best_dev) else None, "best_dev_set": dev_set})
            if stopping:
                accelerator.end_training()
                stop.stop(step + 1, ckpt, logger)
    logger.close()
    if guard.total or saver.failures:
        logger.warn(f"finished with {guard.total} skipped non-finite step(s) and {saver.failures} failed checkpoint save(s)")

    final = out / "final"
    if accelerator.is_main_process:
        lm.model = accelerator.unwrap_model(model)
        lm.save_pretrained(final)
    accelerator.wait_for_everyone()
    # Leave the process group before exiting: a rank that exits with gloo's threads still running can abort
    # ("terminate called without an active exception", seen once in CI's two-process test).
    accelerator.end_training()
    return final


def _load_init(cfg: TrainConfig, lm_config: LMConfig, codec: CodecIdentity) -> SpeechLM:
    """The LM --init names, checked against this run: same architecture (the preset) and same codec (the tokens)."""
    try:
        init = SpeechLM.from_pretrained(cfg.init)
    except LMLoadError as e:
        raise SystemExit(f"--init: {e}") from None
    if init.config != lm_config:
        raise SystemExit(f"--init {cfg.init}: its architecture {init.config} is not the one of --preset {cfg.preset} "
                         f"{'with --row-length ' + str(cfg.row_length) + ' ' if cfg.row_length else ''}({lm_config})")
    if not cfg.init_new_codec:
        try:
            init.check_codec(codec, f"the training tokens {cfg.tokens}")
        except CodecMismatchError as e:  # the one deliberate way across is named where it is needed
            raise CodecMismatchError(f"{e}; to carry the LM onto another codec's tokens, add --init-new-codec") from None
    return init


def _load_all_but_speech_rows(lm: SpeechLM, init: SpeechLM) -> None:
    """`init`'s weights into `lm` but for the speech codes' rows of the embeddings (and, if untied, the output
    rows), re-initialised as a new model's are; the two may differ in codebook size (the speech codes are the last
    rows, after the text pieces and specials of the shared tokenizer)."""
    text_rows = lm.vocab.speech_offset
    assert init.vocab.speech_offset == text_rows  # the same tokenizer: lm was created with init's
    state, own = init.model.state_dict(), lm.model.state_dict()
    for name, value in state.items():
        if value.shape != own[name].shape:  # a token matrix of another codebook size: [vocab, hidden]
            state[name] = torch.cat([value[:text_rows], own[name][text_rows:]])
    lm.model.load_state_dict(state)
    codes = slice(text_rows, lm.vocab.size)
    std = lm.model.config.initializer_range
    with torch.no_grad():
        for weight in {id(w): w for w in (lm.model.get_input_embeddings().weight,
                                          lm.model.get_output_embeddings().weight)}.values():
            weight[codes].normal_(0.0, std)


def _save_best(lm: SpeechLM, accelerator, model, out: Path, step: int, scalars: dict) -> None:
    """<out>/best/ (save_pretrained) and best.json in it, replaced together in one atomic_directory: the model of the
    lowest dev loss so far (written one after the other, a kill between them left best/ without its best.json)."""
    if accelerator.is_main_process:
        lm.model = accelerator.unwrap_model(model)
        with atomic_directory(out / "best") as tmp:
            lm.save_pretrained(tmp)
            write_json(tmp / "best.json", {"step": step, **{k: v for k, v in scalars.items() if k.startswith("dev/")}})
    accelerator.wait_for_everyone()


def _paths_resolved(config: dict) -> dict:
    """config with its data paths (tokens: comma-separated folders; tokenizer; init) resolved, so that a resume
    compares folders, not spellings (x, ./x and x/ are one folder, as codec.train compares its manifest)."""
    def resolved(value: str | None) -> str | None:
        return None if value is None else ",".join(str(Path(p).resolve()) for p in value.split(","))
    return {**config, **{k: resolved(config.get(k)) for k in ("tokens", "tokenizer", "init")}}


def _as_json(cfg: TrainConfig) -> dict:
    return dataclasses.asdict(cfg)


def parse_args(argv: list[str] | None = None) -> tuple[TrainConfig, bool]:
    d = TrainConfig.__dataclass_fields__
    parser = argparse.ArgumentParser(prog="python -m lm.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", required=True,
                        help="training token directory (lm.extract), or several separated by commas (same codec)")
    parser.add_argument("--dev-tokens", required=True, help="dev token directory, same codec")
    parser.add_argument("--out", required=True)
    parser.add_argument("--preset", default=d["preset"].default, choices=sorted(PRESETS))
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    for name in ("steps", "batch_tokens", "grad_accum", "row_length", "eval_every", "save_every", "keep_last",
                 "max_nonfinite_steps", "max_checkpoint_failures"):
        parser.add_argument("--" + name.replace("_", "-"), type=positive_int, default=d[name].default,
                            help="tokens per packed row (default: the preset's context length)"
                            if name == "row_length" else "(default %(default)s)")
    parser.add_argument("--warmup-steps", type=non_negative_int, default=d["warmup_steps"].default,
                        help="steps of linear learning-rate warm-up, below --steps (default %(default)s)")
    parser.add_argument("--seed", type=non_negative_int, default=d["seed"].default,  # numpy refuses < 0
                        help="(default %(default)s)")
    for name, kind in (("lr", positive_float), ("min_lr_ratio", fraction), ("weight_decay", non_negative_float),
                       ("grad_clip", clip_norm)):
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=d[name].default,
                            help="(default %(default)s)")
    parser.add_argument("--no-packing", action="store_true", help="one utterance per row (padding baseline)")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--attention", choices=ATTENTION_KINDS, default=d["attention"].default,
                        help="attention kernel for training: sdpa (default; a dense mask over each packed row) or "
                             "flex_attention (CUDA only: skips the masked-out blocks between packed utterances)")
    parser.add_argument("--mixed-precision", choices=MIXED_PRECISIONS, default=d["mixed_precision"].default,
                        help=MIXED_PRECISION_HELP)
    parser.add_argument("--tokenizer", default=None,
                        help="a text tokenizer folder (python -m lm.text) to share across LMs; default: train one")
    parser.add_argument("--vocab-size", type=positive_int, default=None,
                        help=f"text pieces, an upper bound (default {TextConfig.vocab_size}; not with --tokenizer)")
    parser.add_argument("--text-model", choices=("unigram", "bpe"), default=None,
                        help=f"default {TextConfig.model_type}; not with --tokenizer")
    parser.add_argument("--phonemes", action="store_true", help="text input as espeak-ng IPA phonemes (not with --tokenizer)")
    parser.add_argument("--init", default=None, metavar="LM_DIR",
                        help="start from a trained LM (save_pretrained folder, e.g. <out>/final) with its tokenizer, "
                             "a fresh optimizer and LR schedule; not with --tokenizer or the text options")
    parser.add_argument("--init-new-codec", action="store_true",
                        help="with --init: the tokens come from another codec (any codebook size); the "
                             "transformer and text embeddings carry over, the speech codes' rows start fresh")
    args = parser.parse_args(argv)
    text_options = {"--vocab-size": args.vocab_size, "--text-model": args.text_model, "--phonemes": args.phonemes or None}
    given = [flag for flag, value in text_options.items() if value is not None]
    for flag, folder in (("--tokenizer", args.tokenizer), ("--init", args.init)):
        if folder and given:
            parser.error(f"{', '.join(given)} set(s) up a tokenizer to train, {flag} {folder} supplies a "
                         "trained one: give one or the other")
    if args.tokenizer and args.init:
        parser.error(f"--init {args.init} brings its own tokenizer, --tokenizer {args.tokenizer} another: give one")
    defaults = TextConfig()
    text = None if args.tokenizer or args.init else TextConfig(
        vocab_size=defaults.vocab_size if args.vocab_size is None else args.vocab_size,
        model_type=args.text_model or defaults.model_type, phonemes=args.phonemes)
    if args.warmup_steps >= args.steps:  # TrainConfig refuses it too; here the message names the options
        parser.error(f"--warmup-steps {args.warmup_steps} is not below --steps {args.steps}: the learning rate would "
                     "never reach its peak nor decay")
    cfg = TrainConfig(
        tokens=args.tokens, dev_tokens=args.dev_tokens, out=args.out, preset=args.preset, steps=args.steps,
        batch_tokens=args.batch_tokens, grad_accum=args.grad_accum, row_length=args.row_length,
        packing=not args.no_packing, lr=args.lr, warmup_steps=args.warmup_steps, min_lr_ratio=args.min_lr_ratio,
        weight_decay=args.weight_decay, grad_clip=args.grad_clip, gradient_checkpointing=args.gradient_checkpointing,
        attention=args.attention, mixed_precision=args.mixed_precision,
        eval_every=args.eval_every, save_every=args.save_every, keep_last=args.keep_last, seed=args.seed,
        max_nonfinite_steps=args.max_nonfinite_steps, max_checkpoint_failures=args.max_checkpoint_failures,
        text=text, tokenizer=args.tokenizer, init=args.init, init_new_codec=args.init_new_codec)
    return cfg, args.resume


def main(argv: list[str] | None = None) -> int:
    cfg, resume = parse_args(argv)
    try:
        final = train(cfg, resume)
    except TrainingStopped as stopped:  # already reported; the exit code tells a calling script
        return stopped.exit_code
    except CheckpointError as e:  # a checkpoint this run cannot resume from: the message says why and what to do
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"saved {final}")
    return 0


if __name__ == "__main__":
    from lm.phonemes import PhonemizerError
    from lm.text import TokenizerError
    from lm.tokens import TokenStoreError

    run_main(main, (FileNotFoundError, LMLoadError, TokenizerError, TokenStoreError, CodecMismatchError,
                    PhonemizerError))
