"""LM generation speed: lm.generate.generate_codes vs plain transformers `model.generate` (default DynamicCache), same run.

Same model (random weights, --preset, vocabulary of a --codebook codec, 16384 as the default model's; or with
--pipeline DIR a trained pipeline's LM, e.g. pipelines/default_model, generate_codes then in that pipeline's
half-precision settings), same left-padded prompts (real corpus sentences), same sampling settings (temperature 0.8,
top-k 50, top-p 0.95, repetition penalty 1.1 - which our loop applies to a 16-code window and transformers to the
whole context), and exactly --new-tokens new tokens per row in both: ours with SamplingConfig(min_frames=N,
max_frames_base=N, max_frames_per_text_token=0), transformers with min_new_tokens = max_new_tokens = N and no EOS.
tokens/s = batch * N / wall seconds (prefill included).
"""
from __future__ import annotations

import dataclasses
import logging

import torch

from benchmarks import fixtures
from benchmarks.common import environment, inverse, log, peak_memory, report, setup_device, time_fn
from lm.config import LMConfig
from lm.generate import SamplingConfig, generate_codes
from lm.model import SpeechLM
from lm.tokens import TokenStore
from pipelines.tts import TTSPipeline

PRESETS = ("tiny", "small")


def left_padded(prompts: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for r, p in enumerate(prompts):
        ids[r, width - len(p):] = torch.tensor(p)
        mask[r, width - len(p):] = 1
    return ids.to(device), mask.to(device)


def build_lm(preset: str, codebook: int, utterances: int, device) -> SpeechLM:
    store = TokenStore(fixtures.tokens(utterances=utterances))
    tokenizer = fixtures.tokenizer(utterances=utterances)
    torch.manual_seed(0)
    lm = SpeechLM.create(LMConfig.preset(preset), tokenizer, dataclasses.replace(store.identity, codebook_size=codebook))
    lm.model.to(device).eval()
    if device.type == "cuda":
        lm.model.to(torch.bfloat16)
    return lm


def pipeline_lm(directory: str, device) -> tuple[SpeechLM, dict]:
    """A trained pipeline's LM (float32 weights, as the pipeline loads it) and its SamplingConfig precision fields."""
    tts = TTSPipeline.from_pretrained(directory, device=device)
    fields = ("head_dtype", "layer_dtype", "half_precision")
    return tts.lm, {name: getattr(tts.sampling, name) for name in fields}


def measure(lm: SpeechLM, sampling: SamplingConfig, texts: list[str], new_tokens: int, dev, warmup: int,
            repeats: int) -> dict:
    """Both generators on one batch of `texts` (SPEECH_END blocked by the caller) -> the row's figures."""
    batch = len(texts)
    prompts = [lm.vocab.prompt(lm.tokenizer.encode(t)) for t in texts]
    ids, mask = left_padded(prompts, lm.vocab.pad, dev)
    row = {"batch": batch, "new_tokens": new_tokens, "codebook": lm.vocab.codebook_size, "vocab_size": lm.vocab.size,
           "prompt_tokens_max": int(ids.shape[1])}

    def ours():
        codes = generate_codes(lm.model, lm.vocab, lm.tokenizer, texts, sampling, seed=0)
        assert all(len(c) == new_tokens for c in codes), [len(c) for c in codes]

    def plain():
        out = lm.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                                min_new_tokens=new_tokens, do_sample=True, temperature=0.8, top_k=50,
                                top_p=0.95, repetition_penalty=1.1, pad_token_id=lm.vocab.pad,
                                eos_token_id=None, use_cache=True)
        assert out.shape[1] == ids.shape[1] + new_tokens

    # generate_codes times both precisions on its first generation at a batch size (CPU, half_precision
    # "where_faster"); settle that verdict here, untimed, so that it never lands in a timed repeat (--warmup 0)
    fixtures.decoder_precision(lm.model, batch, sampling)
    with peak_memory(dev, row):
        with torch.inference_mode():
            t_ours = time_fn(ours, dev, warmup, repeats)
            t_plain = time_fn(plain, dev, warmup, repeats)
    total = batch * new_tokens
    row.update({"precision": fixtures.decoder_precision(lm.model, batch, sampling),  # after ours(): its verdict
                "plain_precision": str(lm.model.dtype).removeprefix("torch."),
                "ours_s": t_ours, "plain_generate_s": t_plain,
                "ours_tokens_per_s": inverse(t_ours, total), "plain_tokens_per_s": inverse(t_plain, total),
                "ours_ms_per_step": t_ours["median"] / new_tokens * 1e3,
                "plain_ms_per_step": t_plain["median"] / new_tokens * 1e3,
                "speedup_vs_plain": t_plain["median"] / t_ours["median"]})
    return row


def run(device: str = "cpu", presets=("tiny",), batches=(1, 32), new_tokens: int = 200, codebook: int = 16384,
        pipeline: str | None = None, threads: int = 2, warmup: int = 1, repeats: int = 3, utterances: int = 48,
        quick: bool = False) -> dict:
    if quick:
        presets, batches, new_tokens, warmup, repeats, utterances = ("debug",), (1, 2), 8, 1, 2, 12
    if pipeline:
        presets = codebook = None  # they describe the random-weights build only
    dev = setup_device(device, threads)
    env = environment(device)
    logging.getLogger("lm.generate").setLevel(logging.ERROR)  # the length-bound warning is the intended stop here
    texts_all = fixtures.sentences(utterances=utterances)
    rows = []
    for name in presets or (None,):
        lm, precision = pipeline_lm(pipeline, dev) if pipeline else (build_lm(name, codebook, utterances, dev), {})
        sampling = SamplingConfig(min_frames=new_tokens, max_frames_base=new_tokens, max_frames_per_text_token=0.0,
                                  **precision)
        for batch in batches:
            texts = [texts_all[i % len(texts_all)] for i in range(batch)]
            row = {"preset": name, "model": pipeline or "random weights",
                   **measure(lm, sampling, texts, new_tokens, dev, warmup, repeats)}
            log(f"lm-generate {pipeline or name} b{batch}: ours {row['ours_tokens_per_s']['median']:.0f} tok/s, "
                f"plain {row['plain_tokens_per_s']['median']:.0f} tok/s, speedup {row['speedup_vs_plain']:.2f}x")
            rows.append(row)
        del lm
    targets = []
    b1 = next((r for r in rows if r["batch"] == 1 and (pipeline or r["preset"] == "tiny")), None)
    if b1 is not None:
        model = f"the LM of {pipeline}" if pipeline else "tiny LM"
        where = "GPU" if dev.type == "cuda" else "CPU (target is stated for GPU; measured here for reference)"
        targets.append({"target": f"generation >= 3x plain generate at batch 1 on {where}",
                        "value": b1["speedup_vs_plain"], "met": b1["speedup_vs_plain"] >= 3})
        if dev.type == "cpu":
            targets.append({"target": f"{model} generates >= 250 tokens/s on 2 CPU threads (batch 1, generate_codes)",
                            "value": b1["ours_tokens_per_s"]["median"], "met": b1["ours_tokens_per_s"]["median"] >= 250})
    return report("lm_generate", env, {"presets": list(presets or ()), "pipeline": pipeline, "batches": list(batches),
                                       "new_tokens": new_tokens, "codebook": codebook, "threads": threads,
                                       "warmup": warmup, "repeats": repeats, "quick": quick}, rows, targets,
                  notes=["speedup_vs_plain = plain model.generate seconds / generate_codes seconds (> 1: ours faster)",
                         "both generate exactly new_tokens per row (SPEECH_END blocked)",
                         "precision: generate_codes' head and layers (a pipeline's half-precision copies where it uses "
                         "them); plain_precision: the model's weights, which model.generate uses"])
