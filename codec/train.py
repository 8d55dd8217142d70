"""Train the codec: `python -m codec.train --preset tiny --train-manifest M --dev-manifest M --out DIR`.

One loop for CPU, one GPU and many (`accelerate launch --multi_gpu -m codec.train ...`; bf16 on GPU). Each step:
the generator runs (with self-guidance), then - once step >= --adv-start-step - the discriminators take their
step on the detached output, then the generator takes its step on the weighted sum of its losses.

Output directory:
  checkpoints/step_XXXXXXXX/   full training state every --save-every steps (last --keep-last kept);
                               `--resume` continues from the latest one (step, weights, optimizers, RNG, data);
                               it refuses other data settings (manifest, batch, segment, seed) or another
                               number of processes, and prints a notice when the schedule (steps, lr,
                               warm-up, adversarial start, SG ramp) or the gradient clipping was changed;
                               with no checkpoint yet it says so and starts at step 0
  tb/                          TensorBoard: every loss, grad norms, LR, validation metrics
  metrics.jsonl                the training scalars (losses, grad norms, LR, step time), one JSON line per step
                               (main process)
  eval/step_XXXXXXXX.json      the validation metrics at each --eval-every
  samples/step_XXXXXXXX/       a few dev utterances, original and reconstructed
  final/                       the trained codec (config.json + model.safetensors): Codec.from_pretrained(out/final)

`--init-from CODEC_DIR` starts from a saved codec's weights (fresh optimizers); with `--freeze-tokenizer` only the
decoder side trains and the codes stay exactly those of CODEC_DIR (tokens and LMs made with it stay valid).

Failures (codec/trainloop.py, docs/RELIABILITY.md): a step with a NaN/Inf loss or gradient norm makes no update of
the part concerned (generator or discriminators), is counted and reported, and --max-nonfinite-steps of them in a
row stop the run; a checkpoint that cannot be written is reported on stderr and training goes on, but
--max-checkpoint-failures failed saves in a row stop it. Either way the earlier checkpoints stay intact. SIGTERM
or Ctrl-C ends the run after the step under way, with a checkpoint of it (exit status 143 / 130; --resume continues).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import torch
from accelerate.utils import gather_object
from torch.utils.data import DataLoader

from codec.audio import AudioError, save_wav
from codec.checkpoint import FORMAT_VERSION as CHECKPOINT_FORMAT
from codec.checkpoint import CheckpointError, CheckpointManager, read_versioned_json
from codec.cli import clip_norm, non_negative_int, positive_float, positive_int
from codec.config import PRESETS, QUANTIZERS, SG_LOSSES, SG_TAPS, CodecConfig, ConfigError
from codec.data import (CropDataset, EmptyManifestError, ResumableSampler, UtteranceDataset, collate_padded,
                        read_manifest, screen_manifest, usable_sha256)
from codec.discriminators import Discriminators
from codec.export import folder_label
from codec.grow import width_factor
from codec.model import Codec, CodecLoadError, format_counts, parameter_counts
from codec.objective import (GeneratorForward, discriminator_objective, generator_gan_losses, loss_weights,
                             multiscale_mel_loss)
from codec.quantizer import VQ_DEAD_CODE_HITS
from codec.schedule import lr_at, ramp_at, set_lr
from codec.trainloop import (MIXED_PRECISION_HELP, MIXED_PRECISIONS, CheckpointSaver, NonFiniteGuard, StopOnSignal,
                             TrainingStopped, TrainLogger, adamw, build_accelerator, ignore_stop_signals,
                             mean_over_processes, require_same_data_settings, run_lock, schedule_change_notice,
                             seed_everything, trim_partial_line, write_json)


def _fsq_levels(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: FSQ levels are integers separated by commas, e.g. 8,8,4,4,4,4") from None


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m codec.train", description=__doc__.split("\n")[0])
    p.add_argument("--preset", choices=("xcodec2", "small", "tiny", "debug"), help="default tiny (not with --init-from)")
    p.add_argument("--init-from", metavar="CODEC_DIR",
                   help="start from the weights of a codec folder (a run's final/, or `python -m codec.export` of a "
                        "checkpoint) with fresh optimizers at step 0; its architecture and training options are kept, except "
                        "those given here (--sg, --sg-weight, --sg-tap, --sg-loss, --sg-encoder-grad, --phase-weight, --cepstral-weight)")
    p.add_argument("--freeze-tokenizer", action="store_true",
                   help="with --init-from: train the decoder side only; the encoder and quantizer stay as they are, "
                        "so the codes (and token stores and LMs made with them) stay valid, and a CPU step costs "
                        "about half")
    p.add_argument("--codebook-size", type=int,
                   help="overrides the preset's (FSQ levels follow it); with --init-from, the quantizer starts fresh "
                        "(its projections into and out of the code space newly initialised, even at the source's own "
                        "size, by --seed: a source that was itself re-quantized at this size with this seed gets "
                        "back that start, noted at launch) and every other weight comes from the source: codecs of "
                        "several codebook sizes fine-tuned alike from one trained ancestor")
    p.add_argument("--fsq-levels", type=_fsq_levels, metavar="L1,L2,...",
                   help="the FSQ grid, e.g. 8,8,4,4,4,4 (codebook size = their product; default: derived from "
                        "--codebook-size, 4s and one 8); with --init-from, a fresh quantizer as --codebook-size")
    p.add_argument("--decoder-depth", type=int,
                   help="transformer blocks in the decoder (overrides the preset's); with --init-from, more than the "
                        "source codec's grows its decoder: the new blocks follow the source's and start as identities, "
                        "so training starts from the source codec's exact output")
    p.add_argument("--decoder-width", type=int,
                   help="the decoder's channels (overrides the preset's; its heads keep their size, so their number "
                        "follows); with --init-from, a multiple of the source codec's widens its decoder: each channel, "
                        "attention head and MLP unit is copied (codec.grow), so training starts from the source "
                        "codec's output (to float rounding)")
    p.add_argument("--quantizer", choices=QUANTIZERS)
    p.add_argument("--sg", action=argparse.BooleanOptionalAction, default=None,
                   help="self-guidance (default on; with --init-from, the folder's setting)")
    p.add_argument("--sg-weight", type=float, help="default: 5 at codebook 65536, 10 below")
    p.add_argument("--sg-tap", choices=SG_TAPS)
    p.add_argument("--sg-loss", choices=SG_LOSSES, help="mse (the paper's, default), centered (each utterance's time "
                                                       "mean removed from h_q and h_e: stable on long schedules) or "
                                                       "relative; see codec.objective.self_guidance_loss")
    p.add_argument("--sg-encoder-grad", action=argparse.BooleanOptionalAction, default=None,
                   help="let the SG loss's gradient reach the encoder through z_q (default on; off = decoder-only SG, "
                        "an ablation)")
    p.add_argument("--sg-ramp-steps", type=non_negative_int, default=0,
                   help="raise the SG weight linearly from 1/N of its full value to all of it over the first N steps (a schedule, "
                        "not saved with the codec; default 0: the full weight from the first step, as the paper)")
    p.add_argument("--phase-weight", type=float,
                   help="weight of the phase loss (instantaneous frequency + group delay vs the input; default 0 = off)")
    p.add_argument("--cepstral-weight", type=float,
                   help="weight of the cepstral loss (L1 of mean-normalised MFCCs vs the input; default 0 = off)")
    p.add_argument("--semantic-model", help="local transformers SSL model directory: turns the semantic branch on")
    p.add_argument("--semantic-layer", type=int)
    p.add_argument("--train-manifest", required=True)
    p.add_argument("--dev-manifest")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=positive_int, default=10000)
    p.add_argument("--batch-size", type=positive_int, default=8, help="per process")
    p.add_argument("--segment-seconds", type=positive_float, default=1.0)
    p.add_argument("--seed", type=non_negative_int, default=0)  # numpy refuses a negative seed
    p.add_argument("--lr", type=positive_float, default=2e-4)
    p.add_argument("--warmup-steps", type=non_negative_int, default=None, help="default: 2%% of --steps")
    p.add_argument("--grad-clip", type=clip_norm, default=1.0,
                   help="the gradient norm each step is clipped to, generator and discriminators alike (inf: no clipping)")
    p.add_argument("--save-every", type=positive_int, default=1000)
    p.add_argument("--keep-last", type=positive_int, default=3)
    p.add_argument("--eval-every", type=positive_int, default=1000)
    p.add_argument("--eval-utterances", type=positive_int, default=8)
    p.add_argument("--adv-start-step", type=non_negative_int, default=0, help="train mel (+SG) only before this step")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    p.add_argument("--max-nonfinite-steps", type=positive_int, default=5,
                   help="stop after this many steps in a row with a NaN/Inf loss or gradient (each is skipped)")
    p.add_argument("--max-checkpoint-failures", type=positive_int, default=3,
                   help="stop after this many failed checkpoint saves in a row (each is reported, training goes on)")
    p.add_argument("--num-workers", type=non_negative_int, default=None, help="default: 0 on CPU, 4 on GPU")
    p.add_argument("--cpu", action="store_true")
    p.add_argument("--mixed-precision", choices=MIXED_PRECISIONS, default="auto", help=MIXED_PRECISION_HELP)
    args = p.parse_args(argv)
    if args.warmup_steps is not None and args.warmup_steps >= args.steps:
        # the learning rate would stay below its peak to the end and never decay: a mistake, not a schedule
        p.error(f"--warmup-steps {args.warmup_steps} is not below --steps {args.steps}: the learning rate would never "
                "reach its peak nor decay")
    return args


def fresh_quantizer(args: argparse.Namespace) -> bool:
    """--codebook-size or --fsq-levels with --init-from: the quantizer starts fresh, every other weight is loaded."""
    return args.codebook_size is not None or args.fsq_levels is not None


def grid_size(args: argparse.Namespace) -> int | None:
    """The codebook size --codebook-size and --fsq-levels give (one of them, or both agreeing), None if neither."""
    if args.fsq_levels is None:
        return args.codebook_size
    size = math.prod(args.fsq_levels)
    if args.codebook_size is not None and args.codebook_size != size:
        sys.exit(f"--fsq-levels {','.join(map(str, args.fsq_levels))} give {size} codes, --codebook-size says "
                 f"{args.codebook_size}: give one, or both agreeing")
    return size


SG_ONLY_FIELDS = ("sg_weight", "sg_tap", "sg_loss", "sg_encoder_grad")  # config fields that act only with SG on


def build_config(args, source: Codec | None = None) -> CodecConfig:
    """The codec config of this run: the preset with the given options, or with --init-from the config of that
    codec (`source`, loaded by the caller) with the given training options."""
    training = {"sg": args.sg, "sg_weight": args.sg_weight, "sg_tap": args.sg_tap, "sg_loss": args.sg_loss,
                "sg_encoder_grad": args.sg_encoder_grad, "phase_weight": args.phase_weight,
                "cepstral_weight": args.cepstral_weight}
    training = {k: v for k, v in training.items() if v is not None}
    base = source.config if source is not None else PRESETS.get(args.preset or "tiny")
    if not (args.sg if args.sg is not None else getattr(base, "sg", True)):
        # a grid's options common to every arm (the recipes' codec_extra) reach its plain arms too: there they have
        # no effect, and written into the config they would only change its fingerprint
        ignored = [k for k in SG_ONLY_FIELDS if k in training]
        if ignored:
            print(f"ignored without self-guidance: {', '.join('--' + k.replace('_', '-') for k in ignored)} (this run "
                  "trains without it; add --sg to use them)", file=sys.stderr)
        training = {k: v for k, v in training.items() if k not in ignored}
    architecture = {"--preset": args.preset, "--quantizer": args.quantizer, "--semantic-model": args.semantic_model,
                    "--semantic-layer": args.semantic_layer}
    if args.decoder_depth is not None and args.decoder_depth < 1:
        sys.exit(f"--decoder-depth {args.decoder_depth}: the decoder needs at least one transformer block")
    if args.init_from:
        given = [flag for flag, value in architecture.items() if value is not None]
        if given:
            sys.exit(f"--init-from {args.init_from} brings its own architecture: drop {', '.join(given)}")
        depth = source.config.decoder_depth
        if args.decoder_depth is not None and args.decoder_depth < depth:
            sys.exit(f"--decoder-depth {args.decoder_depth}: {args.init_from} has {depth} decoder blocks; a decoder "
                     f"can be grown from it, not cut")
        changed = {"decoder_depth": args.decoder_depth or depth}
        if args.decoder_width is not None:
            changed.update(decoder_dim=args.decoder_width, decoder_heads=heads_for_width(source.config, args.decoder_width))
            try:
                width_factor(source.config, dataclasses.replace(source.config, **changed))
            except ValueError as e:
                sys.exit(f"--decoder-width {args.decoder_width}: {e}")
        if fresh_quantizer(args):  # main: load_grown; the FSQ levels follow the size unless given
            if args.freeze_tokenizer:
                given = (f"--codebook-size {args.codebook_size}" if args.fsq_levels is None
                         else f"--fsq-levels {','.join(map(str, args.fsq_levels))}")
                sys.exit(f"{given} with --init-from starts a fresh quantizer: it cannot be trained with "
                         f"--freeze-tokenizer")
            changed.update(codebook_size=grid_size(args), fsq_levels=args.fsq_levels)
        try:
            return dataclasses.replace(source.config, **training, **changed)
        except ConfigError as e:
            sys.exit(f"--init-from {args.init_from}: {e}")
    if args.freeze_tokenizer:
        sys.exit("--freeze-tokenizer needs --init-from CODEC_DIR: freezing a fresh encoder would fix random codes")
    if args.semantic_layer is not None and args.semantic_model is None:
        # it would only change config.json, and with it the tokenizer fingerprint, for the same codes
        sys.exit(f"--semantic-layer {args.semantic_layer} needs --semantic-model DIR: without a semantic branch it "
                 f"has nothing to select")
    overrides = {"codebook_size": grid_size(args), "fsq_levels": args.fsq_levels, "quantizer": args.quantizer,
                 "decoder_depth": args.decoder_depth,
                 "semantic_model": args.semantic_model, "semantic_layer": args.semantic_layer, **training}
    try:
        config = CodecConfig.preset(args.preset or "tiny", **{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as e:
        sys.exit(f"--preset {args.preset or 'tiny'}: {e}")
    if args.decoder_width is not None:  # the preset's head size kept
        config = dataclasses.replace(config, decoder_dim=args.decoder_width,
                                     decoder_heads=heads_for_width(config, args.decoder_width))
    if args.semantic_model:  # the adapter's input width is the SSL model's hidden size
        ssl_config = Path(args.semantic_model) / "config.json"
        try:
            hidden = json.loads(ssl_config.read_text())["hidden_size"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.exit(f"--semantic-model {args.semantic_model}: no readable SSL model config with a hidden_size "
                     f"({ssl_config}: {e.strerror if isinstance(e, OSError) else e!r}); give a local transformers "
                     f"model folder (save_pretrained)")
        config = dataclasses.replace(config, semantic_dim=int(hidden))
    return config


def heads_for_width(config: CodecConfig, width: int) -> int:
    """Attention heads of a decoder `width` wide whose heads have config's head size (exits if they cannot)."""
    head_size = config.decoder_dim // config.decoder_heads
    if width < head_size or width % head_size:
        sys.exit(f"--decoder-width {width}: the decoder's attention heads are {head_size} wide; the width must be a "
                 f"multiple of that")
    return width // head_size


# Settings a resumed run must share with its checkpoint: the data position is a function of the step, the batch
# and the seed, so changing any of them would silently feed other audio than the uninterrupted run.
DATA_SETTINGS = ("train_manifest", "batch_size", "segment_seconds", "seed")
# Settings a resumed run may change on purpose (to extend a run, or start the GAN late), with a notice: they
# reshape the LR schedule from the resumed step on, so the run no longer matches an uninterrupted one.
# --grad-clip is one of them: it changes every update from the resumed step on just as well.
SCHEDULE_SETTINGS = ("steps", "lr", "warmup_steps", "adv_start_step", "sg_ramp_steps", "grad_clip")
# schedule settings added after checkpoints were written without them: the value those runs had
ADDED_SCHEDULE_DEFAULTS = {"sg_ramp_steps": 0}


def numerics(accelerator) -> dict[str, str]:
    """The device kind and the precision a run computes in (--mixed-precision "auto" resolved): a resume under
    others continues the run, with other rounding."""
    return {"device": accelerator.device.type, "mixed_precision": str(accelerator.mixed_precision)}


def all_failures(failures: dict[str, str]) -> dict[str, str]:
    """Every process's load-time failures, on every process (a collective: all processes call it)."""
    merged: dict[str, str] = {}
    for part in gather_object([failures]):
        merged.update(part)
    return merged


def warmup_steps(args) -> int:
    return args.warmup_steps if args.warmup_steps is not None else max(1, args.steps // 50)


# a quantizer initialised apart from the source's is ~1.4 away (two random matrices); one that only echoes the
# source's own initialisation (same size, same seed) was 0.02-0.08 away after 5000 steps of training
FRESH_QUANTIZER_MIN_DISTANCE = 0.5


def quantizer_distance(codec: Codec, source: Codec) -> float | None:
    """The largest relative distance, over the quantizers' weight matrices, of codec's quantizer from source's, or
    None where their shapes differ (another codebook size: nothing to compare)."""
    ours, theirs = codec.quantizer.state_dict(), source.quantizer.state_dict()
    matrices = [k for k, w in ours.items() if w.is_floating_point() and w.dim() >= 2]
    if not matrices or ours.keys() != theirs.keys() or any(ours[k].shape != theirs[k].shape for k in ours):
        return None
    return max(float((ours[k].float() - theirs[k].float()).norm() / theirs[k].float().norm().clamp_min(1e-12))
               for k in matrices)


def check_resume_settings(saved: dict, args: argparse.Namespace, step: int, source: Path) -> str | None:
    """Refuse a resume whose data settings differ from the checkpoint's `saved` args; return a notice (or None)
    naming any schedule setting that differs, with the LR at `step` under both schedules."""
    def normalized(values: dict) -> dict:  # the same manifest, however its path was spelled
        return {**values, "train_manifest": str(Path(values["train_manifest"]).resolve())}

    saved = {**ADDED_SCHEDULE_DEFAULTS, **saved}
    require_same_data_settings(normalized(saved), normalized(vars(args)), DATA_SETTINGS, source)
    lr_old = lr_at(step, saved["lr"], warmup_steps(argparse.Namespace(**saved)), saved["steps"])
    lr_new = lr_at(step, args.lr, warmup_steps(args), args.steps)
    return schedule_change_notice(saved, vars(args), SCHEDULE_SETTINGS, step, lr_old, lr_new, source)


@torch.no_grad()
def evaluate(codec: Codec, dataset: UtteranceDataset, out_dir: Path, step: int, num_samples: int = 3) -> dict[str, float]:
    """Dev metrics: mel distance of encode->decode, quantization error, z_q vs z_e hidden MSE (absolute, and relative
    to the tap's energy ||h_e||^2), code usage/perplexity."""
    was_training = codec.training
    mel, qe, hidden, energy, frames, codes_all = 0.0, 0.0, 0.0, 0.0, 0, []
    for i in range(len(dataset)):
        item = dataset[i]
        wav = item["audio"][None]
        codes, lengths = codec.encode(wav)
        recon = codec.decode(codes, lengths)[:, : wav.shape[-1]]
        mel += float(multiscale_mel_loss(recon, wav.to(recon.device), codec.sample_rate))
        diag = codec.diagnose(wav)
        qe += float(diag["quantization_error"].sum())
        hidden += float(diag["hidden_mse"].sum())
        energy += float(diag["hidden_energy"].sum())
        frames += int(lengths.sum())
        codes_all.append(codes[0, : int(lengths[0])].cpu())
        if i < num_samples:
            folder = out_dir / "samples" / f"step_{step:08d}"
            save_wav(folder / f"{item['id']}_orig.wav", wav[0], codec.sample_rate)
            save_wav(folder / f"{item['id']}_recon.wav", recon[0], codec.sample_rate)
    counts = torch.bincount(torch.cat(codes_all), minlength=codec.codebook_size).float()
    probs = counts[counts > 0] / counts.sum()
    codec.train(was_training)
    return {"eval/mel": mel / len(dataset), "eval/quantization_error": qe / frames, "eval/hidden_mse": hidden / frames,
            # the tap's scale: a steady rise means the residual stream is running away (docs/RESULTS.md)
            "eval/hidden_energy": energy / frames, "eval/relative_hidden_mse": hidden / max(energy, 1e-12),
            "eval/codebook_usage": float((counts > 0).sum()) / codec.codebook_size,
            "eval/perplexity": float(torch.exp(-(probs * probs.log()).sum()))}


def main(argv=None) -> Path:
    with contextlib.ExitStack() as held:  # the run's lock, taken once its settings are known to be good
        return _main(argv, held)


def _main(argv, held: contextlib.ExitStack) -> Path:
    args = parse_args(argv)
    accelerator = build_accelerator(args.mixed_precision, cpu=args.cpu)
    out = Path(args.out)
    seed_everything(args.seed)
    source, started = None, None
    if args.init_from:
        started = CheckpointManager(out / "checkpoints").latest() if args.resume else None
        if started is not None and not Path(args.init_from).exists():
            # a resumed run's checkpoint holds its codec whole (and what it started from): the start's folder, gone
            # since (a bundle replaced, a scratch run removed), is needed only for the architecture it gives
            saved = read_versioned_json(started / "trainer_state.json", CHECKPOINT_FORMAT, CheckpointError)
            source = Codec(CodecConfig.from_dict(saved["codec_config"]))
            print(f"note: --init-from {args.init_from} is gone; resuming from {started}, whose codec config is the "
                  "run's", file=sys.stderr)
        else:
            source, started = Codec.from_pretrained(args.init_from), None
    config = build_config(args, source)
    label = args.preset or (f"from {folder_label(args.init_from)}" if args.init_from else "tiny")
    weights = loss_weights(config)
    if args.sg_ramp_steps > 0 and not config.sg:
        sys.exit(f"--sg-ramp-steps {args.sg_ramp_steps}: this run trains without self-guidance (add --sg), so there "
                 f"is no SG weight to ramp")
    codec = Codec(config)
    # the start's weights, by fingerprint: the folder --init-from names may later hold another codec (an installed
    # bundle is replaced), and the model card must know what this run really started from
    init_fingerprint = source.fingerprint() if source is not None and started is None else None  # (a resume: saved)
    # a new quantizer's distance from the source's own (same shapes only), kept in the checkpoints: a run whose
    # "fresh" quantizer was its source's own start says so in its folder, not only at launch
    start_distance = None
    if source is not None and started is None:  # the same architecture (build_config), perhaps grown or requantized
        codec.load_grown(source, fresh_quantizer=fresh_quantizer(args))
        start_distance = quantizer_distance(codec, source) if fresh_quantizer(args) else None
        if start_distance is not None and start_distance < FRESH_QUANTIZER_MIN_DISTANCE and accelerator.is_main_process:
            print(f"note: the fresh quantizer starts within {start_distance:.0%} of {args.init_from}'s own (its weight "
                  f"matrices): that codec's quantizer was initialised alike (the same size and --seed {args.seed}) "
                  f"and has moved little since, so this run is close to a continuation, not a new quantizer; "
                  f"another --seed starts a new one")
        del source
    if args.freeze_tokenizer:
        codec.freeze_tokenizer()
    disc = Discriminators(config.mpd_channels, config.mrd_channels)
    # (a segment holds at least one frame: the crop below rounds it up so)
    frames_per_step = args.batch_size * accelerator.num_processes * max(1, round(args.segment_seconds * config.frame_rate))
    # a frozen tokenizer keeps the quantizer in eval mode: its codebook neither updates nor replaces dead codes
    dead_code_churn = (config.quantizer == "vq" and not args.freeze_tokenizer
                       and frames_per_step < VQ_DEAD_CODE_HITS * config.codebook_size)
    if dead_code_churn and accelerator.is_main_process:
        print(f"warning: VQ replaces a codeword used by fewer than {VQ_DEAD_CODE_HITS} frames a step (an EMA), and "
              f"a step here holds {frames_per_step} frames for {config.codebook_size} codes "
              f"({frames_per_step / config.codebook_size:.2g} each): most codewords will count as dead and be "
              f"replaced again and again, so the codebook will not settle. Use a larger batch or longer segments "
              f"(>= {VQ_DEAD_CODE_HITS * config.codebook_size} frames a step), fewer codes, or FSQ (the default)",
              file=sys.stderr)
    if accelerator.is_main_process:
        print(f"codec parameters ({label}):\n{format_counts(parameter_counts(codec))}")
        print(f"  {'discriminators (training only)':<34} {sum(p.numel() for p in disc.parameters()) / 1e6:9.3f} M")
        print(f"loss weights: {weights}")
        # the thread count is what CPU step times depend on most (processes sharing cores must split them)
        print(f"device: {accelerator.device}, {accelerator.num_processes} process(es), "
              f"{torch.get_num_threads()} torch threads each")
        if args.freeze_tokenizer:
            print(f"tokenizer frozen (codes of {args.init_from}): tokenizer fingerprint {codec.tokenizer_fingerprint()[:16]}")
    # AdamW with betas (0.8, 0.9) as HiFi-GAN/XCodec2; the LR is set every step from lr_at (no scheduler state)
    opt_g = adamw([p for p in codec.parameters() if p.requires_grad], lr=args.lr, betas=(0.8, 0.9))
    opt_d = adamw(disc.parameters(), lr=args.lr, betas=(0.8, 0.9))
    generator, disc, opt_g, opt_d = accelerator.prepare(GeneratorForward(codec), disc, opt_g, opt_d)

    held.enter_context(run_lock(out))  # before the checkpoints are looked at: another live run may be writing them
    ckpt = CheckpointManager(out / "checkpoints", keep_last=args.keep_last, accelerator=accelerator)
    models, optimizers = {"generator": generator, "discriminators": disc}, {"generator": opt_g, "discriminators": opt_d}
    step, nonfinite_state, saved_items = 0, None, None
    failures: dict[str, str] = {}  # training files found unreadable at load time (CropDataset's "failed")
    if ckpt.latest() is None and (out / "final").exists():
        # a finished run whose checkpoints were removed (to save space): with or without --resume, a run here would
        # start at step 0 and replace the codec that token stores and LMs may have been made with
        sys.exit(f"{out} already holds a trained codec ({out / 'final'}) and no checkpoint to resume from: a run "
                 f"there would start at step 0 and replace it; use a new --out")
    if ckpt.latest() is not None and not args.resume:  # a fresh run would overwrite its checkpoints and final/
        sys.exit(f"{out} already has checkpoints (latest {ckpt.latest().name}): pass --resume, or use a new --out")
    if args.resume and ckpt.latest() is None:  # a mistyped --out would otherwise look like a resumed run
        accelerator.print(f"--resume: no checkpoint in {ckpt.directory} yet: starting at step 0")
    if args.resume and ckpt.latest() is not None:
        saved = read_versioned_json(ckpt.latest() / "trainer_state.json", CHECKPOINT_FORMAT, CheckpointError)
        # checked before loading: other sizes fail to load with a message about tensors, and the generator's
        # optimizer holds other parameters under another freeze_tokenizer
        if saved["args"].get("freeze_tokenizer", False) != args.freeze_tokenizer:
            sys.exit(f"{ckpt.latest()}: trained with freeze_tokenizer={saved['args'].get('freeze_tokenizer', False)}; "
                     f"resume with the same setting, or use a new --out")
        saved_config = dataclasses.asdict(CodecConfig.from_dict(saved["codec_config"]))
        # without SG its options do nothing: a run checkpointed before they were kept out of such a config (2026-12-08)
        inert = SG_ONLY_FIELDS if not (saved_config["sg"] or config.sg) else ()
        if differs := [f"{k} {saved_config[k]!r} -> {v!r}" for k, v in dataclasses.asdict(config).items()
                       if saved_config[k] != v and k not in inert]:
            sys.exit(f"{ckpt.latest()}: saved with another codec config than these options ({', '.join(differs)}); "
                     f"resume with the run's options, or use a new --out")
        state = ckpt.load(ckpt.latest(), models, optimizers)
        step, nonfinite_state = state["step"], state.get("nonfinite")
        if step > args.steps:  # the loop would not run and final/ would be the later checkpoint's model (as lm.train)
            sys.exit(f"{ckpt.latest()}: the checkpoint is at step {step}, past --steps {args.steps}: resume with "
                     f"--steps {step} or more (or start from an earlier checkpoint in a new --out)")
        init_fingerprint = state.get("init_fingerprint")  # what the run started from, not what the folder holds now
        start_distance = state.get("quantizer_start_distance")
        failures = dict(state.get("load_failures", {}))  # found before the kill: the final summary lists them too
        saved_items = state.get("train_items")  # absent in checkpoints written before it was recorded
        notice = check_resume_settings(state["args"], args, step, ckpt.latest())
        if notice is not None:
            accelerator.print(notice)
        if (saved_numerics := state.get("numerics")) not in (None, numerics(accelerator)):
            # another machine or --mixed-precision: allowed (a run moved to other hardware), but not silently
            accelerator.print(f"{ckpt.latest()}: resuming with other numerics ({saved_numerics} -> "
                              f"{numerics(accelerator)}): this run no longer matches an uninterrupted one")
        accelerator.print(f"resumed from {ckpt.latest()} at step {step}")

    # segments are whole frames; the data position is a pure function of the step (see ResumableSampler)
    segment = max(1, round(args.segment_seconds * config.frame_rate)) * config.hop_length
    train_set = CropDataset(read_manifest(args.train_manifest), config.sample_rate, segment, seed=args.seed)
    train_items = {"count": len(train_set.manifest), "sha256": usable_sha256(train_set.manifest)}
    if saved_items is not None and saved_items != train_items:
        sys.exit(f"{ckpt.latest()}: the usable utterances of {args.train_manifest} changed since this run started "
                 f"({saved_items['count']} -> {train_items['count']} items, or other files): the data position is a "
                 f"function of their order, so resuming would repeat some and skip others; resume with the same data "
                 f"(a file that became unreadable or readable again changes them too), or use a new --out")
    if accelerator.is_main_process:  # (after every refusal: a refused resume changes nothing)
        # a run killed mid-append leaves half a line, and one killed after a checkpoint the lines of steps it takes again
        trim_partial_line(out / "metrics.jsonl", after_step=step)
    sampler = ResumableSampler(len(train_set), args.seed, accelerator.process_index, accelerator.num_processes,
                               start=step * args.batch_size)
    workers = args.num_workers if args.num_workers is not None else (0 if accelerator.device.type == "cpu" else 4)
    # the loader's own generator: drawing its base seed from the global RNG, just restored from the checkpoint,
    # would put a resumed run one draw ahead of the uninterrupted one (VQ's dead-code replacement draws from it)
    batches = iter(DataLoader(train_set, args.batch_size, sampler=sampler, collate_fn=collate_padded,
                              num_workers=workers, pin_memory=accelerator.device.type == "cuda",
                              worker_init_fn=ignore_stop_signals, generator=torch.Generator().manual_seed(args.seed)))
    dev_set = None
    if args.dev_manifest:
        # the codec cannot encode less than one frame: such an utterance would stop the run at its first evaluation
        dev = screen_manifest(read_manifest(args.dev_manifest), min_seconds=config.hop_length / config.sample_rate,
                              limit=args.eval_utterances)
        dev_set = UtteranceDataset(dev, config.sample_rate)

    warmup = warmup_steps(args)
    logger = TrainLogger(accelerator, out / "tb", args.steps, step, desc=f"codec {label}")
    guard = NonFiniteGuard(accelerator, logger, args.max_nonfinite_steps)
    guard.load_state_dict(nonfinite_state)
    saver = CheckpointSaver(ckpt, logger, args.max_checkpoint_failures)
    train_state = {"codec_config": config.to_dict(), "args": vars(args), "init_fingerprint": init_fingerprint,
                   "quantizer_start_distance": start_distance, "train_items": train_items,
                   "numerics": numerics(accelerator)}
    generator.train(), disc.train()
    with StopOnSignal(accelerator) as stop:  # SIGTERM/SIGINT: finish the step, save it, stop
        while step < args.steps:
            t0 = time.perf_counter()
            batch = next(batches)
            failures.update(pair for item in batch["failed"] for pair in item)
            wav, lengths = batch["audio"].to(accelerator.device), batch["length"].to(accelerator.device)
            lr = lr_at(step, args.lr, warmup, args.steps)
            set_lr(opt_g, lr), set_lr(opt_d, lr)
            adversarial = step >= args.adv_start_step
            scalars = {"lr": lr}

            out_g = generator(wav, lengths)
            losses = dict(out_g.losses)
            losses["mel"] = guard.poison_loss(step + 1, losses["mel"])
            skipped = None  # what was not finite, if anything: that part's update is skipped
            if guard.bad(*(v.detach() for v in losses.values())):
                skipped = "generator loss"  # nothing to learn from this batch: neither part is updated
            if skipped is None and adversarial:
                # discriminator step on the detached output
                loss_d = guard.poison_loss(step + 1, discriminator_objective(disc, wav, out_g.fake), "disc")
                opt_d.zero_grad(set_to_none=True)
                accelerator.backward(loss_d)
                norm = accelerator.clip_grad_norm_(disc.parameters(), args.grad_clip)
                scalars["grad_norm/discriminators"] = float(norm)
                scalars["disc"] = float(loss_d.detach())
                if guard.bad(scalars["disc"], scalars["grad_norm/discriminators"]):
                    # the discriminators' update only: the generator's is guarded by its own loss and gradient
                    skipped = "discriminator loss or gradient"
                    opt_d.zero_grad(set_to_none=True)
                else:
                    opt_d.step()
                # the generator's adversarial and feature-matching terms against the updated discriminators
                losses.update(generator_gan_losses(disc, wav, out_g.fake))
            step_weights = weights
            if "sg" in weights and args.sg_ramp_steps > 0:
                # a fresh quantizer moves z_q far in its first hundreds of steps; ramping the SG weight lets the mel
                # loss settle it before SG pulls at full weight (tried at one seed, where it did not remove the early
                # gap SG opens: docs/results/sg-ramp-2026-12-06)
                step_weights = {**weights, "sg": weights["sg"] * ramp_at(step, args.sg_ramp_steps)}
                scalars["sg_weight"] = step_weights["sg"]
            loss_g = sum(step_weights[name] * value for name, value in losses.items())
            opt_g.zero_grad(set_to_none=True)
            if skipped in (None, "discriminator loss or gradient"):
                accelerator.backward(loss_g)
                guard.poison_grads(step + 1, generator.parameters())
                norm = accelerator.clip_grad_norm_(generator.parameters(), args.grad_clip)
                scalars["grad_norm/generator"] = float(norm)
                if guard.bad(loss_g.detach(), scalars["grad_norm/generator"]):
                    skipped = ("generator loss or gradient" if skipped is None else
                               "discriminator and generator losses or gradients")
                    opt_g.zero_grad(set_to_none=True)
                else:
                    opt_g.step()
            step += 1  # a skipped step still consumes its batch: the data position stays a function of the step

            # what each process measured on its own batch, as the mean over all of them (the other scalars agree)
            measured = {name: float(value.detach()) for name, value in losses.items()}
            measured.update({"total_g": float(loss_g.detach()), "quantization_error": float(out_g.quantization_error)})
            if "disc" in scalars:
                measured["disc"] = scalars["disc"]
            scalars.update(mean_over_processes(accelerator, measured))
            scalars["step_seconds"] = time.perf_counter() - t0
            if skipped is not None:
                scalars["skipped_nonfinite"] = 1.0
            logger.log(step, scalars, show=("mel", "sg", "disc"))
            logger.advance()
            if accelerator.is_main_process:
                with open(out / "metrics.jsonl", "a") as f:
                    f.write(json.dumps({"step": step, **scalars}) + "\n")
            if skipped is not None:
                guard.skipped(step, skipped, {k: v for k, v in scalars.items() if k != "lr" and k != "step_seconds"})
            else:
                guard.good()
            # evaluated before the checkpoint of the same step: a run killed between the two resumes from the step
            # before and evaluates this one again, where the other order would lose its evaluation for good
            if dev_set is not None and (step % args.eval_every == 0 or step == args.steps):
                if accelerator.is_main_process:
                    metrics = evaluate(accelerator.unwrap_model(generator).codec, dev_set, out, step)
                    logger.log(step, metrics)
                    logger.write(f"step {step}: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
                    write_json(out / "eval" / f"step_{step:08d}.json", metrics)
                accelerator.wait_for_everyone()
            stopping = step < args.steps and stop.requested(step)  # after the last step the run just ends
            if step % args.save_every == 0 or step == args.steps or stopping:
                saver.save(step, models, optimizers, {**train_state, "nonfinite": guard.state_dict(),
                                                      "load_failures": all_failures(failures)})
            if stopping:
                stop.stop(step, ckpt, logger)
    logger.close()
    unusable = train_set.manifest.skipped + sorted(all_failures(failures).items())
    if unusable:  # the broken entries, once, with their reasons (each was skipped; none stopped the run)
        logger.warn(f"{len(unusable)} training entries skipped:\n" + "\n".join(f"  {n}: {r}" for n, r in unusable))
    if guard.total or saver.failures:
        logger.warn(f"finished with {guard.total} skipped non-finite step(s) and {saver.failures} failed checkpoint save(s)")
    final = out / "final"
    if accelerator.is_main_process:
        accelerator.unwrap_model(generator).codec.save_pretrained(final)
        print(f"saved {final}")
    accelerator.wait_for_everyone()
    return final


if __name__ == "__main__":
    try:
        main()
    except TrainingStopped as stopped:  # already reported; the exit code tells a calling script
        sys.exit(stopped.exit_code)
    except CheckpointError as e:  # a checkpoint this run cannot resume from: the message says why and what to do
        sys.exit(f"error: {e}")
    # a missing or empty manifest, one whose files all fail to decode, a bad --init-from
    except (FileNotFoundError, CodecLoadError, EmptyManifestError, AudioError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
