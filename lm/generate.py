"""Text -> speech codes: a KV-cached sampling loop over the LlamaForCausalLM (static cache: lm/decoding.py).

The loop is our own (not `model.generate`) because the constraints are specific: after SPEECH_START only speech
codes and SPEECH_END may follow, the repetition penalty looks at a recent window only (speech legitimately
repeats codes over a whole utterance: a penalty over the full context pushes the model off its distribution),
the length bound comes from the text, and each row samples from its own generator.

Reproducibility: row i draws from a torch.Generator seeded by (seed, its prompt), so under the same seed a text
gives the same codes whether generated alone or in a batch with others (left padding does not change the draws),
as long as the logits are too: in float32 they agree to float rounding (~1e-6: the batch's size and padding change
the kernels' order of summation), so a draw differs only where it falls that close to a boundary, which is rare;
with half-precision layers or head (SamplingConfig) the rounding is coarser, and a text may sample differently
alone than in a batch.
Identical texts in one call therefore get identical samples; vary the seed for variety.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import math
import numbers
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import LlamaForCausalLM

from codec.hardware import cpu_model, has_half_precision_units
from lm import user_cache
from lm.decoding import GraphedStep, StaticCacheDecoder, step_milliseconds
from lm.text import TextTokenizer
from lm.vocab import Vocabulary

log = logging.getLogger(__name__)
COMPUTE_DTYPES = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}
HALF_PRECISION_POLICIES = ("where_faster", "always")
MAX_FRAMES_LIMIT = 10**9  # the length bound's settings: far beyond any context (a frame is 20 ms: 230 days)
# A CPU verdict stands only where half precision beats float32 by this much: within timing noise, exact float32 wins.
HALF_PRECISION_MIN_GAIN = 0.95


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int to Python, not a count


@dataclass(frozen=True)
class SamplingConfig:
    temperature: float = 0.8  # 0 = greedy
    top_k: int = 50  # 0 = off
    top_p: float = 0.95  # 1 = off
    repetition_penalty: float = 1.1  # 1 = off; CTRL-style: positive logits divided, negative multiplied
    repetition_window: int = 16  # how many of the most recent generated codes the penalty applies to
    # The length bound, max frames = max_frames_base + max_frames_per_text_token * (text tokens), stops a model
    # that never emits SPEECH_END; generous because pieces vary in length (a piece is ~1-4 characters).
    max_frames_base: int = 50
    max_frames_per_text_token: float = 20.0
    # SPEECH_END cannot be sampled before this many codes (0: at any time). With the bound above it fixes the length
    # of every row: what benchmarks do to time a given amount of speech whatever the model would say.
    min_frames: int = 0
    # The precision of the last projection (hidden -> logits over the whole vocabulary). On CPU a small LM's step
    # is memory-bound there (the head is its largest matrix); "bfloat16" reads half the bytes (logits then carry
    # bf16 rounding, ~0.4 % relative), and so does "float16", which on an x86 CPU rounds the weights only (fbgemm's
    # packed matmul takes float32 inputs: exact for weights stored in float16) and is the faster of the two there on
    # CPUs without half-precision units (docs/PERFORMANCE.md). "float32" keeps the model's own head module.
    head_dtype: str = "float32"
    # The same for the transformer layers' projections (the rest of a step's bytes): the residual stream, norms,
    # attention and KV cache stay float32. On 2 CPU threads the default model's projections took 2.4 ms of a step
    # in float32 and 1.0 ms in bfloat16 (docs/PERFORMANCE.md).
    layer_dtype: str = "float32"
    # Where the two above apply. "where_faster": on CUDA where the GPU multiplies in that precision
    # (codec.hardware); on a CPU where they measure faster, since the crossover is a property of the CPU, not of
    # the model: for the default model bfloat16 copies win at 1-32 rows on 2 AVX512-BF16 threads (x0.46-0.58 per
    # step), win at 1-4 rows and lose from 8 on AVX2 (x1.15-2.8: oneDNN converts the weights on every call), and lose
    # at one row but win at 32 on an Intel Xeon with AMX (x1.47, x0.79); its float16 copies (packed for fbgemm, its
    # setting since 2026-12-07) win at 1-32 rows on AVX2 (x0.40-0.67; docs/PERFORMANCE.md). The first generation at a
    # batch size (rounded up to a power of two) times a few one-token steps both ways (0.3-0.5 s), and the verdict
    # is kept for that model's shapes and size: by the process, and in the user cache ($SGSPEECH_CACHE_DIR/
    # half_precision.json, lm/user_cache.py) for this CPU, torch version, thread count and decoder code, so later
    # processes start without timing and sample alike (a verdict measured anew could flip where the two are close,
    # and with it the codes a seed draws); delete the file to measure again. "always": at any batch on any hardware.
    # Half-precision logits differ from float32 ones by rounding, so where the verdicts differ between batch sizes a
    # text alone and the same text in a batch may sample differently; float32 dtypes (the defaults) are exact
    # everywhere.
    half_precision: str = "where_faster"

    def __post_init__(self):
        # A str would fail inside math.isfinite with a message that names no field, and a bool passes as a number
        # (top_k=True then fails inside torch.topk): refuse both here, by name.
        for field in ("temperature", "top_p", "repetition_penalty", "max_frames_per_text_token"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{field} {value!r}: must be a number")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature {self.temperature!r}: must be a finite number >= 0 (0 = greedy)")
        if self.temperature > 0 and not 0 < torch.tensor(self.temperature, dtype=torch.float32).item() < math.inf:
            # the float32 logits are divided by it: 0 or inf there makes NaN probabilities
            raise ValueError(f"temperature {self.temperature!r}: beyond float32's range (1.4e-45 to 3.4e38), in which "
                             "the logits are divided by it; 0 samples greedily")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p {self.top_p!r}: must be in (0, 1] (1 = off)")
        # 0 would divide logits by zero (NaN probabilities); a negative penalty would favour repeats instead.
        if not (math.isfinite(self.repetition_penalty) and self.repetition_penalty > 0):
            raise ValueError(f"repetition_penalty {self.repetition_penalty!r}: must be a finite number > 0 (1 = off, "
                             "> 1 discourages repeats)")
        for field in ("top_k", "repetition_window", "min_frames"):  # a negative count would act as 0, silently
            if not (_whole(getattr(self, field)) and getattr(self, field) >= 0):
                raise ValueError(f"{field} {getattr(self, field)!r}: must be a whole number >= 0 (0 = off)")
        if not (_whole(self.max_frames_base) and self.max_frames_base >= 0
                and math.isfinite(self.max_frames_per_text_token) and self.max_frames_per_text_token >= 0):
            raise ValueError(f"max_frames_base {self.max_frames_base!r}, max_frames_per_text_token "
                             f"{self.max_frames_per_text_token!r}: the length bound needs a whole number >= 0 and a "
                             "finite number >= 0")
        if self.max_frames_base > MAX_FRAMES_LIMIT or self.max_frames_per_text_token > MAX_FRAMES_LIMIT:
            # no model's context holds that many, and the bound's arithmetic would overflow
            raise ValueError(f"max_frames_base {self.max_frames_base!r}, max_frames_per_text_token "
                             f"{self.max_frames_per_text_token!r}: the length bound takes numbers up to "
                             f"{MAX_FRAMES_LIMIT:g} (generation also stops at the model's context)")
        if self.max_frames_base == 0 and self.max_frames_per_text_token == 0:
            raise ValueError("max_frames_base 0 and max_frames_per_text_token 0: the length bound would allow no "
                             "speech at all")
        for field in ("head_dtype", "layer_dtype"):
            if getattr(self, field) not in COMPUTE_DTYPES:
                raise ValueError(f"{field} {getattr(self, field)!r}: choose one of {sorted(COMPUTE_DTYPES)}")
        if self.half_precision not in HALF_PRECISION_POLICIES:
            raise ValueError(f"half_precision {self.half_precision!r}: choose one of {list(HALF_PRECISION_POLICIES)}")

    @classmethod
    def from_saved(cls, settings: dict) -> "SamplingConfig":
        """From a pipeline.json's "sampling" object (the fields it leaves out take their defaults). Folders written
        before 2026-12-02 carry half_precision_max_rows, the rule the per-machine timing replaced: dropped."""
        return cls(**{key: value for key, value in settings.items() if key != "half_precision_max_rows"})

    def max_frames(self, num_text_tokens: int) -> int:
        # rounded first: 1.1 * 50 is 55.000000000000007 in binary floating point, which ceil made 56
        return int(math.ceil(round(self.max_frames_base + self.max_frames_per_text_token * num_text_tokens, 6)))


@dataclass(frozen=True)
class Reference:
    """An utterance whose voice to continue: its transcript and its codes (from the same codec as the LM)."""

    text: str
    codes: torch.Tensor


# model -> {(head dtype, layer dtype, rows rounded up to a power of two, torch threads): whether the copies are
# faster there}
_CPU_VERDICTS: "weakref.WeakKeyDictionary[LlamaForCausalLM, dict]" = weakref.WeakKeyDictionary()
VERDICTS_FILE = "half_precision.json"  # in the user cache: the verdicts of earlier processes on this machine


def _verdict_name(model: LlamaForCausalLM, head: torch.dtype | None, layer: torch.dtype | None, rows: int,
                  threads: int) -> str:
    """What a verdict depends on, as its key in VERDICTS_FILE: the CPU and its instruction set, torch, the thread
    count, the decoder's code (how the copies are made and run), the model's shapes and weight dtype (not its
    weights), the copies' dtypes and the batch size."""
    c = model.config
    head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    shape = (f"{c.num_hidden_layers} layers, hidden {c.hidden_size}, mlp {c.intermediate_size}, heads "
             f"{c.num_attention_heads}/{c.num_key_value_heads}x{head_dim}, vocabulary {c.vocab_size}, {model.dtype}")
    return (f"{cpu_model()} ({torch.backends.cpu.get_cpu_capability()}), torch {torch.__version__}, {threads} "
            f"threads | lm/decoding.py {_decoder_digest()} | {shape} | copies: head {head}, layers {layer} | "
            f"{rows} rows")


@functools.cache
def _decoder_digest() -> str:
    """lm/decoding.py's text as a short hash: a verdict timed with other decoder code is measured again."""
    return hashlib.sha256(Path(inspect.getfile(StaticCacheDecoder)).read_bytes()).hexdigest()[:12]


def _half_precision_faster(model: LlamaForCausalLM, rows: int, head: torch.dtype | None,
                           layer: torch.dtype | None) -> bool:
    """Whether one-token steps with the copies beat float32 on this CPU at `rows` rows: measured on first use (3
    rounds after a warm-up, the arms interleaved, the paired ratios' median), then remembered by this process and
    in the user cache (VERDICTS_FILE), where a later process finds it."""
    bucket = 1 << (rows - 1).bit_length()
    verdicts = _CPU_VERDICTS.setdefault(model, {})
    key = (head, layer, bucket, torch.get_num_threads())  # the crossover moves with the thread count
    if key in verdicts:
        return verdicts[key]
    name = _verdict_name(model, *key)
    remembered = user_cache.read_json(VERDICTS_FILE).get(name)
    if isinstance(remembered, dict) and isinstance(remembered.get("faster"), bool):
        verdicts[key] = remembered["faster"]
        log.info("half-precision copies (head %s, layers %s), batch of %d: %s, as measured on %s (%s)", head, layer,
                 bucket, "used" if verdicts[key] else "float32", remembered.get("measured"), VERDICTS_FILE)
        return verdicts[key]
    ratios = []
    for round_ in range(4):  # round 0 warms the kernels up
        exact = step_milliseconds(model, bucket, 6, prefill=8)
        half = step_milliseconds(model, bucket, 6, head_dtype=head, layer_dtype=layer, prefill=8)
        if round_:
            ratios.append(half / exact)
    ratio = sorted(ratios)[1]
    verdicts[key] = ratio < HALF_PRECISION_MIN_GAIN
    log.info("half-precision copies (head %s, layers %s), batch of %d: x%.2f of float32 per step -> %s", head, layer,
             bucket, ratio, "used" if verdicts[key] else "float32")
    user_cache.update_json(VERDICTS_FILE, name, {"faster": verdicts[key], "ratio": round(ratio, 3),
                                                 "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    return verdicts[key]


def _compute_dtypes(model: LlamaForCausalLM, rows: int, sampling: SamplingConfig,
                    device: torch.device) -> tuple[torch.dtype | None, torch.dtype | None]:
    """The precisions of the decoder's head and layer copies for a batch of `rows` (None: the model's own), by
    `sampling.half_precision` (see SamplingConfig)."""
    head, layer = COMPUTE_DTYPES[sampling.head_dtype], COMPUTE_DTYPES[sampling.layer_dtype]
    if (head is None and layer is None) or sampling.half_precision == "always":
        return head, layer
    if device.type != "cpu":
        return tuple(d if d is not None and has_half_precision_units(d, device) else None for d in (head, layer))
    return (head, layer) if _half_precision_faster(model, rows, head, layer) else (None, None)


def _row_generator(seed: int, prompt: list[int]) -> torch.Generator:
    digest = hashlib.sha256(f"{seed}:{','.join(map(str, prompt))}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


def _mask_bias(allowed: torch.Tensor) -> torch.Tensor:
    """A bool mask over the vocabulary [V] as what _next_tokens adds to the logits: 0 where allowed, -inf elsewhere
    (one addition a step, where masked_fill with the mask's negation cost seven times as much)."""
    return torch.zeros(allowed.shape, device=allowed.device).masked_fill(~allowed, float("-inf"))


def _refuse_nan(t: torch.Tensor) -> None:
    if bool(t.isnan().any()):
        rows = torch.nonzero(t.isnan().any(dim=-1)).reshape(-1).tolist()
        raise ValueError(f"the LM's logits are not finite in batch row(s) {rows}: its weights or activations overflow "
                         "(a half-precision copy?) or are NaN")


def _next_tokens(logits: torch.Tensor, mask_bias: torch.Tensor, recent: list[list[int]], sampling: SamplingConfig,
                 generators: list[torch.Generator]) -> torch.Tensor:
    """Pick one token per row from last-position logits [B, V] (float32), among the tokens where mask_bias [V]
    (`_mask_bias`) is 0. NaN logits, and +inf ones on masked tokens, are refused (ValueError naming the rows)."""
    if not mask_bias.is_floating_point():  # a bool mask would be added as 0 / 1, masking nothing
        raise TypeError(f"mask_bias: expected _mask_bias(allowed) (0 / -inf), got a {mask_bias.dtype} tensor")
    if sampling.repetition_penalty != 1.0 and any(recent):
        # Only the window's tokens change: gather them, penalise, scatter back (O(window), not O(vocabulary)).
        # Rows are padded with their own first token (a no-op repeat); a token repeated in the window is penalised
        # once, since every copy writes the same value.
        width = max(len(tokens) for tokens in recent)
        ids = torch.tensor([tokens + tokens[:1] * (width - len(tokens)) if tokens else [0] * width for tokens in recent],
                           device=logits.device)
        picked = logits.gather(1, ids)
        penalised = torch.where(picked > 0, picked / sampling.repetition_penalty, picked * sampling.repetition_penalty)
        empty = torch.tensor([not tokens for tokens in recent], device=logits.device)[:, None]
        logits = logits.scatter(1, ids, torch.where(empty, picked, penalised))
    logits = logits + mask_bias
    if sampling.temperature <= 0:
        _refuse_nan(logits)  # argmax would take a NaN for the largest
        return logits.argmax(dim=-1)
    if sampling.temperature < 1e-3:  # logits / 1e-39 overflow to inf (NaN probabilities): shifted first, the same softmax
        logits = logits - logits.max(dim=-1, keepdim=True).values
    logits = logits / sampling.temperature
    if sampling.top_k > 0:
        # Top-p within the top k (sorted by topk), and the draw among those k alone: the same distribution as
        # masking the whole vocabulary, at the cost of k entries instead of a sort and a draw over all of it.
        values, candidates = torch.topk(logits, min(sampling.top_k, logits.shape[-1]), dim=-1)
    else:
        values, candidates = torch.sort(logits, dim=-1, descending=True)
    if sampling.top_p < 1.0:
        probs = values.softmax(dim=-1)
        outside = probs.cumsum(dim=-1) - probs > sampling.top_p  # the most likely token always stays
        values = values.masked_fill(outside, float("-inf"))
    probs = values.softmax(dim=-1).cpu()
    _refuse_nan(probs)  # NaN or +inf among the logits (torch.multinomial refused them too)
    # torch.multinomial(p, 1)'s own method, the same draw from the same generator: p / Exp(1) noise, argmax; without
    # its checks of p (a softmax, checked above), which cost more than the draw (21 us a row against 9)
    picks = [torch.argmax(p / torch.empty_like(p).exponential_(1, generator=g), dim=-1, keepdim=True)
             for p, g in zip(probs, generators)]
    return candidates.gather(1, torch.stack(picks).to(candidates.device)).squeeze(1)


@torch.no_grad()
def generate_codes(model: LlamaForCausalLM, vocab: Vocabulary, tokenizer: TextTokenizer, texts: list[str],
                   sampling: SamplingConfig = SamplingConfig(), seed: int = 0,
                   reference: Reference | None = None, cuda_graphs: bool = True) -> list[torch.Tensor]:
    """Speech codes (LongTensor [frames], codec code values) for each text, generated as one left-padded batch.

    A row ends at SPEECH_END or, failing that, after `sampling.max_frames(text tokens)` codes (with a warning),
    and never runs past the model's context (max_position_embeddings): time and KV-cache memory stay bounded
    whatever the text. A prompt that leaves no room for speech in the context raises ValueError.
    With a `reference`, each prompt is its transcript followed by the text, then its codes after SPEECH_START:
    the model continues in the reference's voice, and only the new codes are returned.
    On CUDA the one-token steps replay a CUDA graph (lm/decoding.py GraphedStep) unless cuda_graphs is False.
    """
    if isinstance(texts, str):  # iterating it would speak each character as a text of its own
        raise TypeError(f"texts: expected a list of str, got the str {texts[:40]!r}; pass [text] for one")
    if reference is not None and reference.codes.dim() != 1:
        raise ValueError(f"reference codes: expected one utterance's codes [F], got shape {tuple(reference.codes.shape)}"
                         f" (Codec.encode returns [B, F]: take codes[0, :frames[0]])")
    if not texts:
        return []
    device = next(model.parameters()).device
    prompts, limits = [], []
    context = int(getattr(model.config, "max_position_embeddings", 0) or 0) or None
    for text in texts:
        text_ids = tokenizer.encode(text)
        if reference is None:
            prompts.append(vocab.prompt(text_ids))
        else:
            prompt_text = tokenizer.encode(reference.text) + text_ids
            prompts.append(vocab.prompt(prompt_text, speech_prefix=reference.codes))
        limit = sampling.max_frames(len(text_ids))
        if context is not None:
            if len(prompts[-1]) >= context:
                raise ValueError(f"text {text[:40]!r}...: its prompt of {len(prompts[-1])} tokens leaves no room for "
                                 f"speech in the model's context of {context} positions; give shorter sentences")
            limit = min(limit, context - len(prompts[-1]))
        limits.append(max(1, limit))
    generators = [_row_generator(seed, p) for p in prompts]

    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), vocab.pad, dtype=torch.long)
    attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, p in enumerate(prompts):  # left padding: every row's next token is at the same column
        input_ids[row, width - len(p):] = torch.tensor(p)
        attention_mask[row, width - len(p):] = 1
    input_ids, attention_mask = input_ids.to(device), attention_mask.to(device)
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)

    speech_only = vocab.is_speech(torch.arange(vocab.size, device=device))
    allowed = speech_only.clone()
    allowed[vocab.speech_end] = True
    speech_only, allowed = _mask_bias(speech_only), _mask_bias(allowed)
    generated: list[list[int]] = [[] for _ in prompts]
    done = [False] * len(prompts)
    # at most max(limits) tokens are fed after the prompt (the last pick is never fed back)
    head_dtype, layer_dtype = _compute_dtypes(model, len(prompts), sampling, device)
    decoder = StaticCacheDecoder(model, len(prompts), width + max(limits), head_dtype=head_dtype, layer_dtype=layer_dtype)
    logits = decoder.step(input_ids, position_ids, attention_mask.bool())
    step = GraphedStep(decoder, len(prompts)) if cuda_graphs and device.type == "cuda" else decoder.step
    fed = torch.ones(len(prompts), 1, dtype=torch.bool, device=device)
    made = 0  # codes of every row still going (a batch moves together)
    while True:
        recent = [g[-sampling.repetition_window:] if sampling.repetition_window > 0 else [] for g in generated]
        next_ids = _next_tokens(logits.float(), allowed if made >= sampling.min_frames else speech_only, recent,
                                sampling, generators)
        made += 1
        for row, token in enumerate(next_ids.tolist()):
            if done[row]:
                continue
            if token == vocab.speech_end:
                done[row] = True
                continue
            generated[row].append(token)
            if len(generated[row]) >= limits[row]:
                done[row] = True
                log.warning("%r reached the length bound of %d frames without SPEECH_END",
                            texts[row][:60], limits[row])
        if all(done):
            break
        # Finished rows keep stepping (a batch moves together) on PAD; their outputs are ignored.
        feed = torch.tensor([vocab.pad if d else t for d, t in zip(done, next_ids.tolist())], device=device)
        position_ids = position_ids[:, -1:] + 1
        logits = step(feed[:, None], position_ids, fed)
    return [vocab.codes(torch.tensor(g, dtype=torch.long)) for g in generated]
