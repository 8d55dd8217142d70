"""LM building blocks without audio: vocabulary layout, loss mask, text tokenizer, packing, generation, save/load."""
from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import random
import shutil
import weakref

import pytest
import torch

from lm.config import LMConfig
from lm.generate import Reference, SamplingConfig, generate_codes
from lm.identity import CodecIdentity, CodecMismatchError
from lm.model import LMLoadError, SpeechLM, use_attention
from lm.packing import collate_rows, pack_first_fit
from lm.text import TextConfig, TextTokenizer, TokenizerError
from lm.vocab import IGNORE_INDEX, SPECIALS, Vocabulary

SENTENCES = [
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
    "Dr. Smith paid $3.50 for 2 apples.", "Quick zephyrs blow, vexing daft Jim!",
]
IDENTITY = CodecIdentity("ab" * 32, codebook_size=64, frame_rate=50.0, sample_rate=16000)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tokenizer() -> TextTokenizer:
    return TextTokenizer.train(SENTENCES, TextConfig(vocab_size=256))


@pytest.fixture(scope="module")
def lm(tokenizer) -> SpeechLM:
    torch.manual_seed(0)
    return SpeechLM.create(LMConfig.preset("debug"), tokenizer, IDENTITY)


# -- presets ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("preset,low,high", [("tiny", 5e6, 12e6), ("mini", 15e6, 25e6), ("small", 80e6, 130e6),
                                             ("1b", 0.9e9, 1.3e9)])
def test_presets_have_the_sizes_their_docstring_gives(preset, low, high):
    """lm/config.py names each preset's size for a 16384 codebook; a changed shape must update those words."""
    from transformers import LlamaForCausalLM

    vocab = Vocabulary(text_size=TextConfig().vocab_size, codebook_size=16384)
    with torch.device("meta"):  # shapes only: the 1b preset costs no memory
        model = LlamaForCausalLM(LMConfig.preset(preset).llama_config(vocab.size, pad_token_id=vocab.pad))
    assert low <= sum(p.numel() for p in model.parameters()) <= high


# -- vocabulary -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text_size,codebook_size", [(1, 1), (51, 64), (1000, 65536)])
def test_speech_ids_never_collide_with_text_or_specials(text_size, codebook_size):
    vocab = Vocabulary(text_size, codebook_size)
    text = set(range(text_size))
    specials = {getattr(vocab, name) for name in SPECIALS}
    speech = set(vocab.speech_ids(torch.arange(codebook_size)).tolist())
    assert len(specials) == len(SPECIALS)
    assert not (text & specials) and not (text & speech) and not (specials & speech)
    assert text | specials | speech == set(range(vocab.size))
    assert torch.equal(vocab.codes(vocab.speech_ids(torch.arange(codebook_size))), torch.arange(codebook_size))
    with pytest.raises(ValueError):
        vocab.speech_ids(torch.tensor([codebook_size]))
    with pytest.raises(ValueError):
        vocab.codes(torch.tensor([vocab.pad]))


def test_loss_mask_covers_exactly_speech_and_speech_end():
    vocab = Vocabulary(text_size=40, codebook_size=16)
    text, codes = [3, 7, 39], torch.tensor([0, 15, 4, 4, 9])
    ids, labels = vocab.training_row(text, codes)
    assert ids.tolist() == [vocab.text_start, 3, 7, 39, vocab.text_end, vocab.speech_start,
                            *(codes + vocab.speech_offset).tolist(), vocab.speech_end]
    supervised = labels != IGNORE_INDEX
    assert supervised.tolist() == [False] * 6 + [True] * (len(codes) + 1)
    assert torch.equal(labels[supervised], ids[supervised])
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab


# -- text tokenizer -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
def test_tokenizer_round_trip_on_a_dozen_sentences(tmp_path, model_type):
    tok = TextTokenizer.train(SENTENCES, TextConfig(vocab_size=300, model_type=model_type))
    assert tok.size <= 300
    for s in SENTENCES:
        assert tok.decode(tok.encode(s)) == tok.preprocess(s)
    assert tok.decode(tok.encode("Dr. Smith paid $3.50")) == "doctor smith paid three dollars fifty cents"
    tok.save(tmp_path)
    again = TextTokenizer.load(tmp_path)
    assert [again.encode(s) for s in SENTENCES] == [tok.encode(s) for s in SENTENCES]


def test_tokenizer_drops_characters_it_cannot_represent_with_a_warning(tokenizer, caplog):
    # normalize_text folds "é" to "e" and drops CJK (with a warning of its own report)
    with caplog.at_level("WARNING"):
        ids = tokenizer.encode("Café 你好 blue")
    assert tokenizer.decode(ids) == "cafe blue"
    assert 0 not in ids  # never <unk>
    # a letter missing from the training text is dropped rather than mapped to <unk>
    small = TextTokenizer.train(["aaa bbb", "ab ba"], TextConfig(vocab_size=64))
    with caplog.at_level("WARNING"):
        assert small.decode(small.encode("abc")) == "ab"
    assert any("cannot represent" in r.message for r in caplog.records)


def test_phoneme_tokenizer_trains_on_espeak_output():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    tok = TextTokenizer.train(SENTENCES, TextConfig(vocab_size=256, phonemes=True))
    s = tok.preprocess("the smooth planks")
    assert "ð" in s and s.isascii() is False
    assert tok.decode(tok.encode("the smooth planks")) == s
    texts = ["the smooth planks", "", "A second one, with 3 words!", "the smooth planks"]
    assert tok.encode_many(texts) == [tok.encode(t) for t in texts]  # batched espeak-ng calls, same pieces
    plain = TextTokenizer.train(SENTENCES, TextConfig(vocab_size=64))
    assert plain.encode_many(texts) == [plain.encode(t) for t in texts]


def test_phonemes_of_a_corpus_come_from_the_disk_cache_the_second_time(tmp_path, monkeypatch, caplog):
    import lm.phonemes as ph

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    texts = ["the smooth planks", "a second text", "the smooth planks", ""]
    calls = []
    real_run = ph.subprocess.run

    def counting_run(cmd, *args, **kwargs):
        calls.append(cmd)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(ph.subprocess, "run", counting_run)
    monkeypatch.setenv("SGSPEECH_CACHE_DIR", str(tmp_path / "cache"))
    ph.phonemize.cache_clear()
    # what users synthesise is never written to disk (the default)
    assert ph.phonemize_many(["my card pin is four"] * 2) and not (tmp_path / "cache").exists()
    first = ph.phonemize_many(texts, disk_cache=True)
    assert first[0] == first[2] == ph.phonemize("the smooth planks") and "ð" in first[0] and first[3] == ""
    assert (tmp_path / "cache" / "phonemes.sqlite").exists()
    calls.clear()
    ph.phonemize.cache_clear()  # a new process: only the disk remembers
    assert ph.phonemize_many(texts, disk_cache=True) == first
    assert not [c for c in calls if "--ipa" in c]
    # another voice is another key
    ph.phonemize_many(["the smooth planks"], voice="en-gb", disk_cache=True)
    assert [c[-1] for c in calls if "--ipa" in c] == ["en-gb"]
    # a damaged cache file is reported and bypassed, never fatal
    (tmp_path / "cache" / "phonemes.sqlite").write_bytes(b"not a database" * 100)
    with caplog.at_level("WARNING"):
        assert ph.phonemize_many(texts, disk_cache=True) == first
    assert any("phoneme cache" in r.message for r in caplog.records)
    # an empty SGSPEECH_CACHE_DIR turns it off
    monkeypatch.setenv("SGSPEECH_CACHE_DIR", "")
    assert ph.cache_path() is None and ph.phonemize_many(texts, disk_cache=True) == first


@pytest.mark.parametrize("text, spoken", [
    ("the 1,000th customer", "the one thousandth customer"),  # not "one zeroth"
    ("its 1,000,001st day", "its one million first day"),  # not "one thousand first"
    ("\u22125 degrees, \u22120.5", "minus five degrees minus zero point five"),  # U+2212 minus: the sign was dropped
    ("21st and 12th", "twenty first and twelfth"),
])
def test_normalizer_reads_ordinals_with_thousands_commas_and_the_typographic_minus(text, spoken):
    from lm.normalize import normalize_text

    assert normalize_text(text) == spoken


def test_tokenizer_load_names_missing_file(tmp_path, tokenizer):
    tokenizer.save(tmp_path)
    (tmp_path / "tokenizer.model").unlink()
    with pytest.raises(TokenizerError, match="tokenizer.model"):
        TextTokenizer.load(tmp_path)


# -- packing --------------------------------------------------------------------------------------------------

def test_first_fit_packing_respects_row_length():
    lengths = [30, 70, 50, 50, 20, 100, 10]
    rows = pack_first_fit(lengths, 100)
    assert sorted(i for row in rows for i in row) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in row) <= 100 for row in rows)
    assert len(rows) == 4  # 330 tokens in rows of 100


def _first_fit_by_scanning(lengths: list[int], row_length: int) -> list[list[int]]:
    """The textbook first fit, longest first: each item to the first row with room, scanning the rows."""
    rows, room = [], []
    for i in sorted(range(len(lengths)), key=lambda i: (-lengths[i], i)):
        r = next((r for r, free in enumerate(room) if lengths[i] <= free), len(rows))
        if r == len(rows):
            rows.append([])
            room.append(row_length)
        rows[r].append(i)
        room[r] -= lengths[i]
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_first_fit_packing_is_first_fit(seed):
    # the tree search must place every item where scanning the rows would (resumed runs depend on the rows)
    rng = random.Random(seed)
    row_length = rng.choice([7, 100, 2048])
    lengths = [rng.randint(0 if seed % 2 else 1, row_length) for _ in range(rng.choice([1, 2, 5, 257, 1000]))]
    assert pack_first_fit(lengths, row_length) == _first_fit_by_scanning(lengths, row_length)
    assert pack_first_fit([], row_length) == []
    with pytest.raises(ValueError, match="item 1 has 8 tokens, more than the row length 7"):
        pack_first_fit([7, 8], 7)


def test_packed_row_never_attends_across_utterances(lm):
    vocab, model = lm.vocab, lm.model.eval()
    utterances, batch = _packed_batch(vocab)
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits
        start = 0
        for ids, _ in utterances:
            alone = model(input_ids=ids[None]).logits[0]
            assert torch.allclose(packed[0, start : start + len(ids)], alone, atol=1e-4)
            start += len(ids)
        # the padded second row: its real tokens are unaffected by the padding after them
        n = len(utterances[1][0])
        assert torch.allclose(packed[1, :n], model(input_ids=utterances[1][0][None]).logits[0], atol=1e-4)
        # and the test can fail: without restarting positions the later utterances do see the earlier ones
        leaky = model(input_ids=batch["input_ids"][:1]).logits[0]
        first = len(utterances[0][0])
        assert not torch.allclose(leaky[first : first + n], packed[0, first : first + n], atol=1e-4)


def test_flex_attention_on_packed_rows_equals_sdpa(lm):
    """FlexAttention (the GPU path that skips the blocks the packing mask empties) must give sdpa's logits on packed,
    padded rows; with the test above, its rows are then independent too. One batch shape: on CPU every new shape
    compiles another kernel (tens of seconds cold)."""
    vocab, model = lm.vocab, lm.model.eval()
    _, batch = _packed_batch(vocab)
    with torch.no_grad():
        sdpa = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits
        use_attention(model, "flex_attention", torch.device("cpu"), training=False)  # flex: forward only on CPU
        try:
            flex = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits
        finally:
            use_attention(model, "sdpa", torch.device("cpu"))
    assert torch.allclose(flex, sdpa, atol=1e-4)
    # and the test can fail: the same rows read as one utterance each (positions not restarting) give other logits
    with torch.no_grad():
        assert not torch.allclose(flex, model(input_ids=batch["input_ids"]).logits, atol=1e-4)


def test_flex_attention_training_is_refused_off_cuda_with_the_reason(lm):
    with pytest.raises(ValueError, match="no FlexAttention backward on cpu"):
        use_attention(lm.model, "flex_attention", torch.device("cpu"))
    with pytest.raises(ValueError, match="attention 'flash'"):
        use_attention(lm.model, "flash", torch.device("cpu"))
    assert lm.model.config._attn_implementation == "sdpa"


def _packed_batch(vocab):
    """Three utterances packed into one row, and the second of them alone in a padded row: (utterances, batch)."""
    g = torch.Generator().manual_seed(0)
    utterances = [vocab.training_row(torch.randint(0, vocab.text_size, (n,), generator=g).tolist(),
                                     torch.randint(0, vocab.codebook_size, (f,), generator=g))
                  for n, f in [(5, 40), (12, 9), (3, 60)]]
    items = [{"input_ids": torch.cat([u[0] for u in utterances]), "labels": torch.cat([u[1] for u in utterances]),
              "position_ids": torch.cat([torch.arange(len(u[0])) for u in utterances])},
             {"input_ids": utterances[1][0], "labels": utterances[1][1], "position_ids": torch.arange(len(utterances[1][0]))}]
    batch = collate_rows(items, vocab.pad)
    assert 0 < batch["padding"] < 1
    return utterances, batch


# -- generation -----------------------------------------------------------------------------------------------

def _force_logits(model, token: int, value: float, after_calls: int = 0):
    """A forward hook on lm_head that sets `token`'s logit to `value` from the `after_calls`-th forward on."""
    calls = {"n": 0}

    def hook(_module, _inputs, output):
        calls["n"] += 1
        if calls["n"] > after_calls:
            output = output.clone()
            output[..., token] = value
        return output

    return model.lm_head.register_forward_hook(hook)


def test_generation_stops_at_speech_end(lm):
    # the prompt forward is call 1; force SPEECH_END from the 8th forward on: 7 codes, then the end
    handle = _force_logits(lm.model, lm.vocab.speech_end, 1e4, after_calls=7)
    try:
        codes = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["the birch canoe"], SamplingConfig(temperature=0))
    finally:
        handle.remove()
    assert len(codes[0]) == 7
    assert bool(((codes[0] >= 0) & (codes[0] < lm.vocab.codebook_size)).all())


def test_generation_stops_at_the_length_bound(lm):
    sampling = SamplingConfig(temperature=1.0, max_frames_base=5, max_frames_per_text_token=2.0)
    texts = ["the birch canoe", "glue the sheet to the dark blue background"]
    handle = _force_logits(lm.model, lm.vocab.speech_end, float("-inf"))  # a model that never stops
    try:
        codes = generate_codes(lm.model, lm.vocab, lm.tokenizer, texts, sampling, seed=3)
    finally:
        handle.remove()
    assert [len(c) for c in codes] == [sampling.max_frames(len(lm.tokenizer.encode(t))) for t in texts]


@pytest.mark.parametrize("half", [False, True])
def test_min_frames_holds_speech_end_back_on_both_logit_paths(lm, half):
    """A model that wants to stop at once (SPEECH_END forced high) makes exactly min_frames codes; the half-precision
    path computes logits from a copy of the head, which no hook on lm_head sees, so the rule lives in the sampler."""
    precision = dict(head_dtype="bfloat16", layer_dtype="bfloat16", half_precision="always") if half else {}
    sampling = SamplingConfig(temperature=1.0, min_frames=9, max_frames_base=9, max_frames_per_text_token=0, **precision)
    if half:  # the copy is made from the weights: a high SPEECH_END row of the head's weight and bias stands for it
        with torch.no_grad():
            saved = lm.model.lm_head.weight[lm.vocab.speech_end].clone()
            lm.model.lm_head.weight[lm.vocab.speech_end] = 50.0 * lm.model.lm_head.weight.abs().max()
        try:
            codes = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["the birch canoe", "rice"], sampling, seed=1)
            early = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["the birch canoe"],
                                   dataclasses.replace(sampling, min_frames=0), seed=1)
        finally:
            with torch.no_grad():
                lm.model.lm_head.weight[lm.vocab.speech_end] = saved
    else:
        handle = _force_logits(lm.model, lm.vocab.speech_end, 1e4)
        try:
            codes = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["the birch canoe", "rice"], sampling, seed=1)
            early = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["the birch canoe"],
                                   dataclasses.replace(sampling, min_frames=0), seed=1)
        finally:
            handle.remove()
    assert [len(c) for c in codes] == [9, 9]
    assert len(early[0]) < 9  # without it the model stops early: the test would catch a rule that does nothing


def test_only_speech_tokens_are_sampled_and_batched_equals_one_by_one(lm):
    sampling = SamplingConfig(temperature=1.0, top_k=20, top_p=0.9, repetition_penalty=1.3, repetition_window=8,
                              max_frames_base=30, max_frames_per_text_token=0)
    # make text and special tokens attractive: they must still never be produced
    handle = _force_logits(lm.model, 3, 50.0)
    try:
        texts = ["the birch canoe", "four hours of steady work faced us", "rice"]
        batched = generate_codes(lm.model, lm.vocab, lm.tokenizer, texts, sampling, seed=7)
        alone = [generate_codes(lm.model, lm.vocab, lm.tokenizer, [t], sampling, seed=7)[0] for t in texts]
        other_seed = generate_codes(lm.model, lm.vocab, lm.tokenizer, texts, sampling, seed=8)
    finally:
        handle.remove()
    assert all(torch.equal(a, b) for a, b in zip(batched, alone))
    assert any(not torch.equal(a, b) for a, b in zip(batched, other_seed))
    assert all(len(c) > 0 and int(c.max()) < lm.vocab.codebook_size for c in batched)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA GPU (run on the GPU machine)")
def test_cuda_graph_generation_equals_eager_generation(lm):
    model = copy.deepcopy(lm.model).cuda()
    sampling = SamplingConfig(temperature=1.0, top_k=20, max_frames_base=40, max_frames_per_text_token=0)
    texts = ["the birch canoe", "four hours of steady work faced us"]
    graphed = generate_codes(model, lm.vocab, lm.tokenizer, texts, sampling, seed=5)
    eager = generate_codes(model, lm.vocab, lm.tokenizer, texts, sampling, seed=5, cuda_graphs=False)
    assert all(torch.equal(a, b) for a, b in zip(graphed, eager))


def test_reference_continuation_returns_only_new_codes(lm):
    fed = []  # the ids of every forward, as the embedding sees them: the first is the prompt
    embed = lm.model.get_input_embeddings().register_forward_pre_hook(lambda _m, args: fed.append(args[0].clone()))
    handle = _force_logits(lm.model, lm.vocab.speech_end, 1e4, after_calls=5)
    try:
        ref = Reference("the juice of lemons", torch.arange(12) % lm.vocab.codebook_size)
        codes = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["makes fine punch"], SamplingConfig(temperature=0),
                               reference=ref)
    finally:
        handle.remove()
        embed.remove()
    assert len(codes[0]) == 5
    # the prompt is the reference's transcript, then the text, then the reference's codes after SPEECH_START
    prompt = lm.vocab.prompt(lm.tokenizer.encode(ref.text) + lm.tokenizer.encode("makes fine punch"),
                             speech_prefix=ref.codes)
    assert prompt[-12:] == lm.vocab.speech_ids(ref.codes).tolist()
    assert fed[0].tolist() == [prompt]
    # then each new code but the last, fed back one at a time
    assert [ids.tolist() for ids in fed[1:]] == [[[t]] for t in lm.vocab.speech_ids(codes[0]).tolist()]


def test_generation_refuses_a_bare_string_and_a_batch_of_reference_codes(lm):
    with pytest.raises(TypeError, match="expected a list of str, got the str 'rice'"):
        generate_codes(lm.model, lm.vocab, lm.tokenizer, "rice", SamplingConfig(temperature=0))  # was 4 texts
    ref = Reference("the juice of lemons", (torch.arange(12) % lm.vocab.codebook_size)[None])  # as encode gives
    with pytest.raises(ValueError, match=r"reference codes: expected one utterance's codes \[F\], got shape \(1, 12\)"):
        generate_codes(lm.model, lm.vocab, lm.tokenizer, ["makes fine punch"], SamplingConfig(temperature=0),
                       reference=ref)


# -- save / load ----------------------------------------------------------------------------------------------

def test_save_load_round_trip_and_codec_refusal(tmp_path, lm):
    lm.save_pretrained(tmp_path / "lm")
    again = SpeechLM.from_pretrained(tmp_path / "lm", codec=IDENTITY)
    assert again.vocab == lm.vocab and again.codec == lm.codec and again.config == lm.config
    for (name, a), (_, b) in zip(lm.model.state_dict().items(), again.model.state_dict().items()):
        assert torch.equal(a, b), name
    other = CodecIdentity("cd" * 32, 64, 50.0, 16000)
    with pytest.raises(CodecMismatchError, match=r"abababab.*cdcdcdcd"):
        SpeechLM.from_pretrained(tmp_path / "lm", codec=other)


def test_load_names_missing_and_truncated_files(tmp_path, lm):
    lm.save_pretrained(tmp_path / "lm")
    weights = tmp_path / "lm" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(LMLoadError, match="model.safetensors"):
        SpeechLM.from_pretrained(tmp_path / "lm")
    weights.unlink()
    with pytest.raises(LMLoadError, match="model.safetensors: file not found"):
        SpeechLM.from_pretrained(tmp_path / "lm")
    lm.save_pretrained(tmp_path / "lm")
    (tmp_path / "lm" / "config.json").write_text("{")
    with pytest.raises(LMLoadError, match="config.json"):
        SpeechLM.from_pretrained(tmp_path / "lm")


def test_sampler_draws_what_torch_multinomial_draws_and_refuses_nan_logits():
    """The sampler's draw is torch.multinomial's, token for token from the same generator states (so seeded
    synthesis keeps its samples), without multinomial's checks; NaN logits are refused naming the row, greedy
    decoding's too (a NaN on a masked token included), and a bool mask in place of the bias."""
    from lm.generate import _mask_bias, _next_tokens

    torch.manual_seed(0)
    logits = torch.randn(3, 500) * 4
    bias = _mask_bias(torch.arange(500) >= 20)
    sampling = SamplingConfig(temperature=0.8, top_k=40, top_p=0.9, repetition_penalty=1.0)
    ours, theirs = [torch.Generator().manual_seed(r) for r in range(3)], [torch.Generator().manual_seed(r) for r in range(3)]
    for _ in range(300):
        values, candidates = torch.topk((logits + bias) / 0.8, 40)
        probs = values.softmax(-1)
        values = values.masked_fill(probs.cumsum(-1) - probs > 0.9, float("-inf"))
        expected = candidates.gather(1, torch.stack([torch.multinomial(p, 1, generator=g)
                                                     for p, g in zip(values.softmax(-1), theirs)])).squeeze(1)
        assert torch.equal(_next_tokens(logits, bias, [[], [], []], sampling, ours), expected)
    logits[1, 30] = float("nan")
    with pytest.raises(ValueError, match=r"not finite in batch row\(s\) \[1\]"):
        _next_tokens(logits, bias, [[], [], []], sampling, ours)
    logits[1, 30], logits[2, 5] = 0.0, float("nan")  # on a masked token: greedy would have picked it
    with pytest.raises(ValueError, match=r"not finite in batch row\(s\) \[2\]"):
        _next_tokens(logits, bias, [[], [], []], SamplingConfig(temperature=0), ours)
    with pytest.raises(TypeError, match="mask_bias: expected _mask_bias"):
        _next_tokens(logits, torch.arange(500) >= 20, [[], [], []], sampling, ours)


def test_sampler_draws_from_the_top_k_top_p_distribution_with_a_windowed_penalty():
    from lm.generate import _mask_bias, _next_tokens

    torch.manual_seed(0)
    logits = torch.randn(1, 300) * 3
    allowed = torch.ones(300, dtype=torch.bool)
    allowed[:10] = False
    sampling = SamplingConfig(temperature=0.7, top_k=12, top_p=0.8, repetition_penalty=2.0, repetition_window=4)
    # the window holds the two most likely allowed tokens (the second twice: penalised once), so the penalty
    # reshapes the top-k/top-p set: without it the top token alone carries the 0.8 of top-p
    first, second = logits.masked_fill(~allowed, float("-inf")).topk(2).indices[0].tolist()
    recent = [[first, second, second]]

    def expected_for(penalty: float) -> torch.Tensor:
        """The definition over the whole vocabulary: penalty on the window's tokens, mask, temperature, top-k,
        top-p."""
        ref = logits.clone()
        for t in set(recent[0]):
            ref[0, t] = ref[0, t] / penalty if ref[0, t] > 0 else ref[0, t] * penalty
        ref = ref.masked_fill(~allowed, float("-inf")) / 0.7
        kth = torch.topk(ref, 12).values[:, -1:]
        ref = ref.masked_fill(ref < kth, float("-inf"))
        sorted_ref, order = torch.sort(ref, descending=True)
        p = sorted_ref.softmax(-1)
        sorted_ref[(p.cumsum(-1) - p) > 0.8] = float("-inf")
        return torch.full_like(ref, float("-inf")).scatter(1, order, sorted_ref).softmax(-1)[0]

    expected = expected_for(2.0)
    # the test can tell the penalty from none: the two distributions differ far beyond the tolerance below
    assert (expected - expected_for(1.0)).abs().max() > 0.2
    assert int((expected > 0).sum()) > 2  # several tokens share the draws, the penalised ones among them

    generators = [torch.Generator().manual_seed(1)]
    bias = _mask_bias(allowed)
    draws = torch.stack([_next_tokens(logits, bias, recent, sampling, generators) for _ in range(4000)]).reshape(-1)
    freq = torch.bincount(draws, minlength=300).float() / draws.numel()
    assert set(draws.tolist()) <= set(torch.nonzero(expected).reshape(-1).tolist())
    assert torch.allclose(freq, expected, atol=0.025), (freq[expected > 0], expected[expected > 0])
    greedy = _next_tokens(logits, bias, [[]], SamplingConfig(temperature=0), generators)
    assert int(greedy) == int(logits.masked_fill(~allowed, float("-inf")).argmax())
    # a temperature the config accepts but so small that logits / it overflow (NaN probabilities: multinomial
    # raised): its limit, greedy
    for tiny in (1e-39, 1e-30, 1e-4):
        assert int(_next_tokens(logits, bias, [[]], SamplingConfig(temperature=tiny), generators)) == int(greedy)


def _random_debug_llama():
    from lm.model import build_llama

    torch.manual_seed(0)
    vocab = Vocabulary(text_size=40, codebook_size=64)
    return vocab, build_llama(LMConfig.preset("debug"), vocab).eval()


@pytest.mark.parametrize("weights", ["the model's", "copies", "bfloat16"])
def test_static_cache_decoder_matches_transformers_with_left_padding(weights):
    """The decoder's logits equal transformers' through a prefill with left padding and five one-token steps, on
    the model's own weights (q, k, v three matmuls) and on copies (a float64 model with float32 copies of its head
    and layers: q, k and v one matmul, q and k one projection) to float32 rounding, and for a bfloat16 model to the
    bit: the same operations rounded in the same order (rotary embedding included)."""
    from transformers import DynamicCache

    from lm.decoding import Concatenated, StaticCacheDecoder

    vocab, model = _random_debug_llama()
    copies = {}
    if weights == "copies":
        model, copies = model.double(), {"head_dtype": torch.float32, "layer_dtype": torch.float32}
    if weights == "bfloat16":
        model = model.to(torch.bfloat16)
    atol = 0.0 if weights == "bfloat16" else 1e-5
    ids = torch.randint(0, vocab.size, (3, 9))
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, :4] = 0  # left padding
    mask[2, :8] = 0
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    decoder = StaticCacheDecoder(model, batch=3, max_len=14, **copies)
    assert isinstance(decoder.projections[0]["qkv"], Concatenated) == (weights == "copies")
    # transformers 5.x renamed past_key_values to cache (the old name warns, and goes in 5.40)
    cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    cache = {cache_arg: DynamicCache()}
    with torch.no_grad():
        ref = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **cache)
        ours = decoder.step(ids, positions, mask.bool())
        assert ours.dtype == torch.float32 and torch.allclose(ours, ref.logits[:, -1].float(), atol=atol, rtol=0)
        for _ in range(5):
            feed = torch.randint(0, vocab.size, (3, 1))
            mask = torch.cat([mask, mask.new_ones(3, 1)], 1)
            positions = positions[:, -1:] + 1
            ref = model(input_ids=feed, attention_mask=mask, position_ids=positions, use_cache=True, **cache)
            ours = decoder.step(feed, positions, torch.ones(3, 1, dtype=torch.bool))
            assert torch.allclose(ours, ref.logits[:, -1].float(), atol=atol, rtol=0)
    with pytest.raises(ValueError, match="exceed the cache of 14"):
        decoder.step(torch.zeros(3, 1, dtype=torch.long), positions + 1, torch.ones(3, 1, dtype=torch.bool))


def test_static_cache_decoder_refuses_a_scaled_rotary_embedding():
    """RoPE variants that scale the attention (transformers' attention_scaling != 1) are not what the decoder
    computes: refused by name, not decoded wrongly."""
    from lm.decoding import StaticCacheDecoder

    _, model = _random_debug_llama()
    model.model.rotary_emb.attention_scaling = 0.5
    with pytest.raises(ValueError, match="attention scaling 0.5"):
        StaticCacheDecoder(model, batch=1, max_len=4)


def test_half_precision_head_gives_float32_logits_within_its_rounding():
    """head_dtype=bfloat16: the logits of the whole vocabulary come from a bf16 copy of the head (half the bytes
    read per step on CPU), within bf16 rounding of the float32 head's, and still float32; a bad name is refused."""
    from lm.decoding import StaticCacheDecoder
    from lm.generate import SamplingConfig

    vocab, model = _random_debug_llama()
    ids = torch.randint(0, vocab.size, (2, 7))
    positions = torch.arange(7).expand(2, 7)
    real = torch.ones(2, 7, dtype=torch.bool)
    exact = StaticCacheDecoder(model, 2, 8).step(ids, positions, real)
    half = StaticCacheDecoder(model, 2, 8, head_dtype=torch.bfloat16).step(ids, positions, real)
    assert half.dtype == torch.float32 and half.shape == exact.shape
    err = (half - exact).abs().max()
    assert 0 < err <= 0.02 * exact.abs().max()  # rounded (not the same path), but only by bf16's ~3 digits
    assert StaticCacheDecoder(model, 2, 8, head_dtype=torch.float32).head is None  # the model's own dtype: its module
    with pytest.raises(ValueError, match="head_dtype 'int8'"):
        SamplingConfig(head_dtype="int8")
    with pytest.raises(ValueError, match="top_p 0"):
        SamplingConfig(top_p=0)
    with pytest.raises(ValueError, match="temperature nan"):
        SamplingConfig(temperature=float("nan"))


def test_half_precision_layers_keep_the_step_close_to_float32_and_apply_where_measured_faster(lm, monkeypatch,
                                                                                               tmp_path):
    """layer_dtype=bfloat16: the seven projections of every layer run from bf16 copies (q/k/v and gate/up each one
    matmul), prefill and one-token steps stay within bf16 rounding of float32 and keep a float32 cache; on a CPU
    generation uses the copies at the batch sizes where they time faster than float32 (measured once per model and
    size rounded up to a power of two), and with half_precision="always" at any batch."""
    from lm import generate as gen
    from lm.decoding import StaticCacheDecoder
    from lm.generate import SamplingConfig

    vocab, model = _random_debug_llama()
    ids = torch.randint(0, vocab.size, (2, 7))
    positions = torch.arange(7).expand(2, 7)
    real = torch.ones(2, 7, dtype=torch.bool)
    exact, half = StaticCacheDecoder(model, 2, 9), StaticCacheDecoder(model, 2, 9, layer_dtype=torch.bfloat16)
    assert half.projections[0]["qkv"].weight.dtype == torch.bfloat16 and half.keys.dtype == torch.float32
    for step in range(2):
        a, b = exact.step(ids, positions, real), half.step(ids, positions, real)
        assert b.dtype == torch.float32 and b.shape == a.shape
        err = (a - b).abs().max()
        assert 0 < err <= 0.03 * a.abs().max(), (step, err)
        ids, positions, real = ids[:, -1:], positions[:, -1:] + 1, real[:, -1:]
    assert StaticCacheDecoder(model, 2, 8, layer_dtype=torch.float32).projections[0]["o"][0] is \
        model.model.layers[0].self_attn.o_proj.weight  # the model's own dtype: no copy
    with pytest.raises(ValueError, match="layer_dtype 'int8'"):
        SamplingConfig(layer_dtype="int8")

    made, timed = [], []
    real_decoder = gen.StaticCacheDecoder
    monkeypatch.setattr(gen, "StaticCacheDecoder", lambda *a, **k: made.append(k) or real_decoder(*a, **k))

    def fake_timing(model, batch, steps, head_dtype=None, layer_dtype=None, prefill=20):
        """A CPU where half precision wins up to 2 rows and loses above (what AVX2 does from 8 rows)."""
        timed.append(batch)
        return 1.0 if head_dtype is None else (0.5 if batch <= 2 else 1.5)

    monkeypatch.setattr(gen, "step_milliseconds", fake_timing)
    monkeypatch.setattr(gen, "_CPU_VERDICTS", weakref.WeakKeyDictionary())  # no verdict from an earlier test
    monkeypatch.setenv("SGSPEECH_CACHE_DIR", str(tmp_path))  # nor one on disk
    config = SamplingConfig(head_dtype="bfloat16", layer_dtype="bfloat16", max_frames_base=3,
                            max_frames_per_text_token=0)
    three = ["the birch canoe", "glue the sheet", "makes fine punch"]
    for texts, policy in ((three[:2], "where_faster"), (three, "where_faster"), (three[:2], "where_faster"),
                          (three, "always")):
        codes = gen.generate_codes(lm.model, lm.vocab, lm.tokenizer, texts,
                                   dataclasses.replace(config, half_precision=policy), seed=0)
        assert len(codes) == len(texts) and all(len(c) <= 3 for c in codes)
    assert made == [{"head_dtype": torch.bfloat16, "layer_dtype": torch.bfloat16},  # 2 rows: measured faster
                    {"head_dtype": None, "layer_dtype": None},  # 3 rows (timed at 4): measured slower, float32
                    {"head_dtype": torch.bfloat16, "layer_dtype": torch.bfloat16},  # 2 rows again: remembered
                    {"head_dtype": torch.bfloat16, "layer_dtype": torch.bfloat16}]  # "always": any batch
    assert timed == [2] * 8 + [4] * 8  # 4 rounds x 2 arms per size, each size once
    with pytest.raises(ValueError, match="half_precision 'sometimes'"):
        SamplingConfig(half_precision="sometimes")


def test_a_precision_verdict_is_remembered_on_disk_for_this_machine_and_shape(monkeypatch, tmp_path, caplog):
    """A process's first generation at a batch size used to time both precisions (0.47 s of the default model's
    first call: docs/results/lean-step-2026-12-07/cold_call.json); the verdict is now kept in the user cache, read
    by later processes (here: an emptied in-process memory) for the same CPU, torch, threads, decoder code, model
    shapes and dtype, copies' dtypes and batch bucket, measured again where any of those differ or the entry is not
    a verdict, not kept where caching is off, and a cache file that is not JSON is named in a warning and replaced."""
    import json
    import logging

    from lm import generate as gen
    from lm.model import build_llama

    timed = []

    def fake_timing(model, batch, steps, head_dtype=None, layer_dtype=None, prefill=20):
        timed.append(batch)
        return 1.0 if head_dtype is None else 0.5

    monkeypatch.setattr(gen, "step_milliseconds", fake_timing)
    monkeypatch.setenv("SGSPEECH_CACHE_DIR", str(tmp_path))
    vocab, model = _random_debug_llama()
    saved_file, f16 = tmp_path / gen.VERDICTS_FILE, torch.float16

    def verdict(rows=1, threads=1, of=model, head=f16):
        monkeypatch.setattr(gen, "_CPU_VERDICTS", weakref.WeakKeyDictionary())  # as a new process
        torch.set_num_threads(threads)
        before = len(timed)
        faster = gen._half_precision_faster(of, rows, head, f16)
        return faster, len(timed) > before  # (the verdict, whether it was timed)

    threads = torch.get_num_threads()
    try:
        assert verdict() == (True, True) and len(timed) == 8  # measured: 4 rounds x 2 arms
        (name, entry), = json.loads(saved_file.read_text()).items()
        assert name.startswith(f"{gen.cpu_model()} (") and f"torch {torch.__version__}, 1 threads" in name
        assert f"lm/decoding.py {gen._decoder_digest()}" in name and "2 layers, hidden 64" in name
        assert "copies: head torch.float16, layers torch.float16 | 1 rows" in name
        assert entry["faster"] is True and entry["ratio"] == 0.5
        assert verdict() == (True, False)  # remembered: not timed again
        saved_file.write_text(json.dumps({name: {**entry, "faster": False}}))
        assert verdict() == (False, False)  # what the file says is what is used
        # each of these is another key: measured, and added
        wider = build_llama(dataclasses.replace(LMConfig.preset("debug"), hidden_size=96), vocab).eval()
        for other in ({"rows": 3}, {"threads": 2}, {"of": wider}, {"of": model.to(torch.float64)},
                      {"head": None}):
            assert verdict(**other)[1], other
        model.to(torch.float32)
        monkeypatch.setattr(gen, "cpu_model", lambda: "another CPU")
        assert verdict()[1]
        assert len(json.loads(saved_file.read_text())) == 7
        monkeypatch.undo()
        monkeypatch.setattr(gen, "step_milliseconds", fake_timing)
        monkeypatch.setenv("SGSPEECH_CACHE_DIR", str(tmp_path))
        for not_a_verdict in ({"faster": "yes"}, ["x"], None, 3):  # an entry edited by hand: measured anew
            saved_file.write_text(json.dumps({name: not_a_verdict}))
            assert verdict() == (True, True), not_a_verdict
        saved_file.write_text("{not json")
        with caplog.at_level(logging.WARNING, logger="lm.user_cache"):
            assert verdict() == (True, True)
        assert caplog.text.count(f"cache file {saved_file} unreadable") == 1
        assert len(json.loads(saved_file.read_text())) == 1  # replaced, readable again
        monkeypatch.setenv("SGSPEECH_CACHE_DIR", "")  # caching off: measured every time, nothing written
        assert verdict()[1] and verdict()[1]
    finally:
        torch.set_num_threads(threads)


def test_the_user_cache_is_off_for_a_user_without_a_home(monkeypatch):
    """Path.home() raises for a user ID with no passwd entry and no HOME (some containers): synthesis on a CPU
    reached it through the verdict cache and crashed; now caching is off there."""
    from pathlib import Path

    from lm import user_cache

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("SGSPEECH_CACHE_DIR", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert user_cache.cache_dir() is None and user_cache.read_json("x.json") == {}
    user_cache.update_json("x.json", "k", 1)  # nothing to write to, no error
    monkeypatch.setenv("SGSPEECH_CACHE_DIR", "/somewhere")  # set: the home folder is never asked for
    assert user_cache.cache_dir() == Path("/somewhere")


def test_float16_copies_on_a_cpu_round_only_the_weights():
    """float16 copies on an x86 CPU are packed for fbgemm: the inputs stay float32, so for weights that float16
    holds exactly (the bundled LM is stored in float16) the logits equal float32's to float32 rounding, where a
    float16 matmul would round every input too; a weight beyond float16's range is refused, not clamped; another
    quantized engine gets a plain float16 copy."""
    from lm.decoding import Concatenated, PackedFloat16, StaticCacheDecoder, forget_copies, packed_float16_available

    if not packed_float16_available():
        pytest.skip("this torch build has no fbgemm (packed float16 is x86 only)")
    vocab, model = _random_debug_llama()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    ids = torch.randint(0, vocab.size, (2, 7))
    positions = torch.arange(7).expand(2, 7)
    real = torch.ones(2, 7, dtype=torch.bool)
    half = dict(head_dtype=torch.float16, layer_dtype=torch.float16)
    exact, packed = StaticCacheDecoder(model, 2, 9), StaticCacheDecoder(model, 2, 9, **half)
    assert isinstance(packed.head, PackedFloat16) and isinstance(packed.projections[0]["gate_up"], PackedFloat16)
    for step in range(2):
        a, b = exact.step(ids, positions, real), packed.step(ids, positions, real)
        assert b.dtype == torch.float32 and torch.allclose(a, b, rtol=0, atol=2e-6 * a.abs().max()), step
        ids, positions, real = ids[:, -1:], positions[:, -1:] + 1, real[:, -1:]
    with torch.no_grad():
        model.model.layers[1].mlp.down_proj.weight[0, 0] = 1e5
    with pytest.raises(ValueError, match="magnitude 100000 is beyond float16's range"):
        StaticCacheDecoder(model, 1, 4, layer_dtype=torch.float16)
    engine = torch.backends.quantized.engine
    try:
        torch.backends.quantized.engine = "qnnpack"
        assert not packed_float16_available()
        forget_copies(model)  # (packed ones made before the switch still run under it)
        assert isinstance(StaticCacheDecoder(model, 1, 4, head_dtype=torch.float16).head, Concatenated)
    finally:
        torch.backends.quantized.engine = engine
    assert packed_float16_available()


def test_cpu_copies_are_kept_per_model_and_precision_until_a_weight_changes():
    """Copies are made once per model and precision and made anew when a weight changes in place or is replaced,
    so no decoder computes with stale weights; copies of weights the model no longer has are let go; weights made
    under inference_mode (no version counter) are never kept."""
    from lm import decoding
    from lm.decoding import StaticCacheDecoder, forget_copies

    vocab, model = _random_debug_llama()
    ids, positions, real = torch.tensor([[3, 5]]), torch.arange(2)[None], torch.ones(1, 2, dtype=torch.bool)
    bf16 = dict(head_dtype=torch.bfloat16, layer_dtype=torch.bfloat16)

    def logits_agree(decoder):
        a = StaticCacheDecoder(model, 1, 4).step(ids, positions, real)
        return torch.allclose(decoder.step(ids, positions, real), a, rtol=0, atol=0.03 * a.abs().max())

    first, again = StaticCacheDecoder(model, 1, 4, **bf16), StaticCacheDecoder(model, 1, 4, **bf16)
    assert again.head is first.head and again.projections is first.projections
    assert StaticCacheDecoder(model, 1, 4, head_dtype=torch.float16).head is not first.head  # kept per precision
    model.load_state_dict({k: v * 0.5 for k, v in model.state_dict().items()}, assign=True)  # new tensors, version 0
    replaced = StaticCacheDecoder(model, 1, 4, **bf16)
    assert replaced.head is not first.head and replaced.projections is not first.projections
    assert logits_agree(replaced)
    with torch.no_grad():  # in place: the version counter moves
        model.model.layers[1].mlp.down_proj.weight.mul_(2)
        model.lm_head.weight.mul_(-1)
    fresh = StaticCacheDecoder(model, 1, 4, head_dtype=torch.float16)  # the bfloat16 copies are now of old weights
    assert set(decoding._COPIES[model]) == {("head", torch.float16)} and logits_agree(fresh)
    changed = StaticCacheDecoder(model, 1, 4, **bf16)
    assert changed.head is not replaced.head and changed.projections is not replaced.projections
    assert logits_agree(changed)
    o_proj = model.model.layers[0].self_attn.o_proj  # square: its transpose is a view of the same storage and version
    o_proj.weight = torch.nn.Parameter(o_proj.weight.detach().t())
    transposed = StaticCacheDecoder(model, 1, 4, **bf16)
    assert transposed.projections is not changed.projections and logits_agree(transposed)
    forget_copies(model)
    assert model not in decoding._COPIES
    # logits come back float32 from a half-precision model too (its own head module: no copy)
    assert StaticCacheDecoder(model.to(torch.bfloat16), 1, 4).step(ids, positions, real).dtype == torch.float32
    with torch.inference_mode():
        _, model = _random_debug_llama()
        assert StaticCacheDecoder(model, 1, 4, **bf16).head is not StaticCacheDecoder(model, 1, 4, **bf16).head
        model.lm_head.weight.mul_(2)
        assert logits_agree(StaticCacheDecoder(model, 1, 4, **bf16))


def test_step_timing_leaves_the_random_state_alone(lm):
    """step_milliseconds (what the CPU verdict and benchmarks.precision_ab time) gives a positive time per step for
    each precision and draws no random numbers: measuring must not change what a seeded caller samples next."""
    from lm.decoding import step_milliseconds

    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    times = [step_milliseconds(lm.model, 2, 3, prefill=4),
             step_milliseconds(lm.model, 2, 3, head_dtype=torch.bfloat16, layer_dtype=torch.bfloat16, prefill=4)]
    assert all(t > 0 for t in times)
    assert torch.equal(torch.rand(3), expected)


def test_fixed_shape_step_matches_the_sliced_step():
    """step_at (what a CUDA graph replays: whole-cache attention, slot as a tensor) gives step's logits."""
    from lm.decoding import StaticCacheDecoder

    vocab, model = _random_debug_llama()
    ids = torch.randint(0, vocab.size, (2, 6))
    real = torch.ones(2, 6, dtype=torch.bool)
    real[1, :3] = False  # left padding
    positions = (real.long().cumsum(-1) - 1).clamp(min=0)
    sliced, fixed = StaticCacheDecoder(model, 2, 12), StaticCacheDecoder(model, 2, 12)
    torch.testing.assert_close(sliced.step(ids, positions, real), fixed.step(ids, positions, real))
    fixed.keys[:, :, :, 6:] = 1e4  # slots not yet written must not leak into attention
    fixed.values[:, :, :, 6:] = 1e4
    one = torch.ones(2, 1, dtype=torch.bool)
    for _ in range(4):
        feed, positions = torch.randint(0, vocab.size, (2, 1)), positions[:, -1:] + 1
        expected = sliced.step(feed, positions, one)
        got = fixed.step_at(feed, positions, one, torch.tensor([fixed.length]))
        fixed.length += 1
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_train_config_keeps_text_settings_only_for_a_tokenizer_it_trains(capsys):
    from lm.train import TrainConfig, parse_args

    base = ["--tokens", "t", "--dev-tokens", "d", "--out", "o"]
    assert parse_args(base)[0].text == TextConfig()
    assert parse_args(base + ["--vocab-size", "128", "--text-model", "bpe"])[0].text == TextConfig(128, "bpe")
    shared = parse_args(base + ["--tokenizer", "exp/text_tokenizer"])[0]
    assert shared.text is None and shared.tokenizer == "exp/text_tokenizer"  # its settings live in its folder
    with pytest.raises(SystemExit):
        parse_args(base + ["--tokenizer", "exp/text_tokenizer", "--vocab-size", "128", "--phonemes"])
    err = capsys.readouterr().err
    assert "--vocab-size, --phonemes" in err and "--tokenizer exp/text_tokenizer" in err
    with pytest.raises(ValueError, match="give one or the other"):
        TrainConfig("t", "d", "o", text=TextConfig(vocab_size=128), tokenizer="exp/text_tokenizer")
    with pytest.raises(ValueError, match="text=None needs tokenizer"):
        TrainConfig("t", "d", "o", text=None)


@pytest.mark.parametrize("option, value, reason", [
    ("--grad-clip", "0", "above 0"), ("--grad-clip", "-1", "above 0"), ("--grad-clip", "nan", "above 0"),
    ("--lr", "0", "above 0"), ("--lr", "-0.0003", "above 0"), ("--min-lr-ratio", "1.5", "between 0 and 1"),
    ("--weight-decay", "-0.1", "0 or more"), ("--seed", "-1", "0 or more")])  # numpy's seeding refuses < 0
def test_lm_train_refuses_optimizer_settings_that_would_not_train_or_would_ascend(option, value, reason, capsys):
    """clip_grad_norm_ scales gradients by min(1, bound / norm): a bound of 0 zeroed every step, a negative one
    turned descent into ascent; a negative LR ascends too; all were taken without a word."""
    from lm.train import parse_args

    base = ["--tokens", "t", "--dev-tokens", "d", "--out", "o"]
    with pytest.raises(SystemExit):
        parse_args(base + [option, value])
    err = capsys.readouterr().err
    assert option in err and reason in err
    assert parse_args(base + ["--grad-clip", "inf", "--min-lr-ratio", "0", "--weight-decay", "0"])[0].grad_clip == float("inf")


def test_a_warm_up_as_long_as_the_run_is_refused(capsys):
    """lr_at warms up linearly to the peak at warmup_steps: a 20-step run under the default 100-step warm-up (the
    debug recipe's LM) trained at a fifth of its lr and never decayed, without a word."""
    from lm.train import TrainConfig, parse_args

    base = ["--tokens", "t", "--dev-tokens", "d", "--out", "o"]
    with pytest.raises(SystemExit):
        parse_args(base + ["--steps", "20"])
    assert "--warmup-steps 100 is not below --steps 20" in capsys.readouterr().err
    with pytest.raises(ValueError, match="warmup_steps=5 is not below steps=5"):
        TrainConfig("t", "d", "o", steps=5, warmup_steps=5)
    assert parse_args(base + ["--steps", "20", "--warmup-steps", "2"])[0].warmup_steps == 2


def test_half_precision_units_follow_the_cpu_probes(monkeypatch):
    """bfloat16 counts as native with AVX512-BF16 or AMX, float16 only with AMX-FP16, float32 never."""
    from codec.hardware import has_half_precision_units

    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported", "_is_amx_fp16_supported"):
        monkeypatch.setattr(torch.cpu, probe, lambda: False, raising=False)
    assert not has_half_precision_units(torch.bfloat16) and not has_half_precision_units(torch.float16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert has_half_precision_units(torch.bfloat16) and not has_half_precision_units(torch.float16)
    monkeypatch.setattr(torch.cpu, "_is_amx_fp16_supported", lambda: True)
    assert has_half_precision_units(torch.float16)
    assert not has_half_precision_units(torch.float32)


@pytest.mark.parametrize("capability, bf16, fp16", [((6, 1), False, False), ((7, 5), False, True), ((8, 0), True, True),
                                                    ((9, 0), True, True)])
def test_half_precision_units_on_cuda_follow_the_compute_capability(monkeypatch, capability, bf16, fp16):
    """A T4 (7.5) emulates bfloat16, which torch.cuda.is_bf16_supported() counts as support: not native here."""
    from codec.hardware import has_half_precision_units

    asked = []
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (asked.append(device), capability)[1])
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert has_half_precision_units(torch.bfloat16, "cuda:1") == bf16
    assert has_half_precision_units(torch.float16, "cuda") == fp16
    assert asked[0] == torch.device("cuda:1")  # the device asked about, not the current one


@pytest.mark.parametrize("field, value", [("repetition_penalty", 0.0), ("repetition_penalty", -1.1),
                                          ("repetition_penalty", float("nan")), ("repetition_penalty", float("inf")),
                                          ("top_k", -1), ("top_k", 2.5), ("repetition_window", -4), ("min_frames", -1),
                                          ("max_frames_base", -1), ("max_frames_per_text_token", float("nan"))])
def test_sampling_config_refuses_values_that_would_break_or_silently_reverse_sampling(field, value):
    # a penalty of 0 divided logits by zero (NaN probabilities deep in sampling), a negative one favoured repeats,
    # a negative top_k or window acted as "off"
    with pytest.raises(ValueError, match=field):
        SamplingConfig(**{field: value})


def test_lm_train_refuses_deepspeed_and_fsdp_and_runs_under_ddp():
    from types import SimpleNamespace

    from accelerate.utils import DistributedType

    from lm.train import require_replicated_optimizer

    for kind in (DistributedType.DEEPSPEED, DistributedType.FSDP):
        with pytest.raises(SystemExit, match=f"not under {kind.name}: .*whole optimizer state"):
            require_replicated_optimizer(SimpleNamespace(distributed_type=kind))
    for kind in (DistributedType.NO, DistributedType.MULTI_GPU, DistributedType.MULTI_CPU):
        require_replicated_optimizer(SimpleNamespace(distributed_type=kind))


def test_a_step_is_exactly_batch_tokens_whatever_the_number_of_processes(tmp_path):
    from lm.train import TrainConfig, rows_per_micro_batch, train

    assert rows_per_micro_batch(2048, 1024, world=1, grad_accum=1) == 2
    assert rows_per_micro_batch(16384, 1024, world=4, grad_accum=2) == 2
    # 2 rows per step used to become one per process: 8 rows on 8 GPUs at the learning rate chosen for 2
    with pytest.raises(SystemExit, match=r"multiple of 8192: use --batch-tokens 8192 \("):
        rows_per_micro_batch(2048, 1024, world=8, grad_accum=1)
    with pytest.raises(SystemExit, match="2 process.* x --grad-accum 3.*use --batch-tokens 6144 or 12288"):
        rows_per_micro_batch(8192, 1024, world=2, grad_accum=3)
    # train() checks it before reading any data (these token folders do not exist)
    with pytest.raises(SystemExit, match="--batch-tokens 3000: .*rows of 1024 tokens.*use --batch-tokens 2048 or 3072"):
        train(TrainConfig("no-tokens", "no-dev-tokens", str(tmp_path / "run"), preset="debug", batch_tokens=3000))


# -- review of the LM training loop: the best dev model across a resume ---------------------------------------

def _tiny_token_store(directory, seed: int, codes_mod: int, n: int) -> str:
    """A finished token directory written directly (no codec, no audio): `n` utterances of codes below `codes_mod`."""
    import numpy as np

    from lm.tokens import TOKENS_FORMAT_VERSION, code_dtype, write_header, write_shard

    directory.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    utterances = [{"id": f"{seed}-{i}", "text": SENTENCES[i % len(SENTENCES)], "speaker": "s"} for i in range(n)]
    codes = [rng.integers(0, codes_mod, int(rng.integers(20, 60))) for _ in range(n)]
    dtype = code_dtype(IDENTITY.codebook_size)
    write_shard(directory, 0, utterances, codes, [], dtype)
    write_header(directory, {"format_version": TOKENS_FORMAT_VERSION, "codec": IDENTITY.to_dict(), "dtype": dtype.name,
                             "complete": True, "num_shards": 1, "utterances": n, "frames": sum(map(len, codes))})
    return str(directory)


def test_a_resumed_run_measures_its_best_dev_model_on_its_own_dev_set(tmp_path, capsys):
    import json

    from lm.train import TrainConfig, train

    # training and dev A: codes 0..7; dev B: all 64 codes, so its losses stay far above dev A's best
    train_tokens = _tiny_token_store(tmp_path / "train", 0, 8, 24)
    dev_a, dev_b = _tiny_token_store(tmp_path / "dev_a", 1, 8, 6), _tiny_token_store(tmp_path / "dev_b", 2, 64, 6)
    base = dict(tokens=train_tokens, out=str(tmp_path / "run"), preset="debug", batch_tokens=1024, row_length=128,
                lr=1e-2, warmup_steps=1, eval_every=1, save_every=2, text=TextConfig(vocab_size=64))
    best = tmp_path / "run" / "best" / "best.json"
    train(TrainConfig(dev_tokens=dev_a, steps=2, **base))
    on_a = json.loads(best.read_text())
    train(TrainConfig(dev_tokens=dev_b, steps=4, **base), resume=True)
    on_b = json.loads(best.read_text())
    # before: dev B's losses were compared with dev A's best, and best/ kept the step-2 model, never measured on B
    assert on_b["step"] in (3, 4) and on_b["dev/loss"] > on_a["dev/loss"], (on_a, on_b)
    assert "measured on another dev set" in capsys.readouterr().err
    # the same dev set (its fingerprint, wherever its folder is) keeps the checkpoint's bar
    from lm.train import resumed_best_dev

    state = {"best_dev_loss": 1.5, "best_dev_set": "abc", "config": {"dev_tokens": "old/path"}}
    assert resumed_best_dev(state, "abc", "new/path") == (1.5, None)
    assert resumed_best_dev(state, "xyz", "old/path")[0] == float("inf")
    assert resumed_best_dev({"best_dev_loss": None}, "abc", "p") == (float("inf"), None)
    # a checkpoint from before the fingerprint: its dev folder decides
    assert resumed_best_dev({"best_dev_loss": 1.5, "config": {"dev_tokens": "p"}}, "abc", "p") == (1.5, None)


def test_score_compares_lms_of_different_contexts_on_the_utterances_all_of_them_scored(tmp_path, tokenizer, capsys):
    """An utterance too long for one LM's context was left out of that LM's row only, and compare() then refused
    the two LMs as if their tokens came from different manifests."""
    import numpy as np

    from lm import score
    from lm.tokens import TOKENS_FORMAT_VERSION, write_header, write_shard

    store = tmp_path / "tokens"
    store.mkdir()
    codes = [np.arange(10) % 64, np.arange(200) % 64, np.arange(20) % 64]  # the second: over 100 tokens
    write_shard(store, 0, [{"id": f"u{i}", "text": SENTENCES[i], "speaker": "s"} for i in range(3)], codes, [],
                np.dtype(np.int16))
    write_header(store, {"format_version": TOKENS_FORMAT_VERSION, "codec": IDENTITY.to_dict(), "dtype": "int16",
                         "complete": True, "num_shards": 1})
    for name, context in [("short", 100), ("long", 1024)]:
        torch.manual_seed(0)
        SpeechLM.create(LMConfig.preset("debug", max_positions=context), tokenizer, IDENTITY).save_pretrained(
            tmp_path / name)
    out = tmp_path / "scores"
    assert score.main(["--lm", f"short={tmp_path / 'short'}:{store}", "--lm", f"long={tmp_path / 'long'}:{store}",
                       "--reference", "long", "--out", str(out)]) == 0
    scores = json.loads((out / "scores.json").read_text())
    assert [r["id"] for r in scores["short"]] == [r["id"] for r in scores["long"]] == ["u0", "u2"]
    assert "too long for another LM's context" in capsys.readouterr().err


def test_best_model_and_its_best_json_are_replaced_together(tmp_path, tokenizer, monkeypatch):
    """best/ was written (atomically) and best.json after it: a kill between the two left best/ without best.json,
    which the GPU scripts read to know which step the packaged model is."""
    from types import SimpleNamespace

    from lm import train as lm_train

    accelerator = SimpleNamespace(is_main_process=True, unwrap_model=lambda m: m, wait_for_everyone=lambda: None)
    lm = SpeechLM.create(LMConfig.preset("debug"), tokenizer, IDENTITY)
    lm_train._save_best(lm, accelerator, lm.model, tmp_path, 1, {"dev/loss": 2.0})
    before = (tmp_path / "best" / "model.safetensors").read_bytes()

    def killed(path, data):  # the process dies as best.json is written
        raise KeyboardInterrupt

    monkeypatch.setattr(lm_train, "write_json", killed)
    with torch.no_grad():
        lm.model.get_input_embeddings().weight.add_(1.0)
    with pytest.raises(KeyboardInterrupt):
        lm_train._save_best(lm, accelerator, lm.model, tmp_path, 2, {"dev/loss": 1.0})
    assert json.loads((tmp_path / "best" / "best.json").read_text())["step"] == 1
    assert (tmp_path / "best" / "model.safetensors").read_bytes() == before


# -- mutation-testing review (2026-12): the repetition window in the loop, the dev loss per token ------------------

def test_repetition_penalty_looks_at_the_recent_window_only(lm):
    """Greedy decoding with three close codes A > B > C and a penalty of 2 over the last code only: A, B, A, B, ...
    (over the whole history the third pick would be C)."""
    vocab = lm.vocab
    a, b, c = (vocab.speech_offset + k for k in (5, 9, 2))

    def hook(_module, _inputs, output):
        output = torch.full_like(output, -20.0)
        output[..., a], output[..., b], output[..., c] = 5.0, 4.9, 4.8
        return output

    handle = lm.model.lm_head.register_forward_hook(hook)
    try:
        sampling = SamplingConfig(temperature=0, repetition_penalty=2.0, repetition_window=1, max_frames_base=6,
                                  max_frames_per_text_token=0)
        codes = generate_codes(lm.model, vocab, lm.tokenizer, [SENTENCES[0]], sampling)[0]
    finally:
        handle.remove()
    assert (codes + vocab.speech_offset).tolist() == [a, b, a, b, a, b]


def test_dev_loss_is_per_target_token_over_all_rows(tmp_path, lm):
    """lm.train.evaluate: nats summed over every target of every (packed) row, divided by the number of targets,
    and bits per second of the audio: the per-utterance scores of lm.score, pooled."""
    import math
    from types import SimpleNamespace

    from lm.packing import PackedRows
    from lm.score import score_utterances
    from lm.tokens import TokenStore
    from lm.train import evaluate

    store = TokenStore(_tiny_token_store(tmp_path / "dev", 3, 64, 7))  # utterances of 20..59 codes
    rows = PackedRows(store, lm.vocab, lm.tokenizer, 128)
    assert len(rows) < len(store)  # packed: several utterances share rows
    accelerator = SimpleNamespace(unwrap_model=lambda m: m, process_index=0, num_processes=1,
                                  device=torch.device("cpu"), reduce=lambda x, op: x)
    dev = evaluate(lm.model, rows, accelerator, rows_per_batch=2, pad_id=lm.vocab.pad)
    records = score_utterances(lm, store)
    bits, targets = sum(r["bits"] for r in records), sum(r["targets"] for r in records)
    assert dev["dev/loss"] == pytest.approx(bits * math.log(2) / targets, rel=1e-5)
    assert dev["dev/bits_per_second"] == pytest.approx(bits / sum(r["seconds"] for r in records), rel=1e-5)


def test_stored_codes_get_a_dtype_that_holds_every_code_of_the_codebook():
    import numpy as np

    from lm.tokens import code_dtype

    for codebook_size in (2, 64, 16384, 32768, 32769, 65536, 2**20):
        dtype = code_dtype(codebook_size)
        largest = np.array([codebook_size - 1])
        assert int(largest.astype(dtype)[0]) == codebook_size - 1, codebook_size  # no wrap-around
    assert code_dtype(32768) == np.int16 and code_dtype(32769) == np.int32  # int16 while it suffices (half the disk)


def test_codes_are_shared_by_the_same_codec_or_the_same_tokenizer_half_only():
    base = CodecIdentity("aa" * 32, 64, 50.0, 16000, "11" * 32)
    fine_tuned_decoder = CodecIdentity("bb" * 32, 64, 50.0, 16000, "11" * 32)
    other = CodecIdentity("cc" * 32, 64, 50.0, 16000, "22" * 32)
    assert base.same_codes(base) and base.same_codes(fine_tuned_decoder) and fine_tuned_decoder.same_codes(base)
    assert not base.same_codes(other)
    for field, value in (("codebook_size", 128), ("frame_rate", 25.0), ("sample_rate", 24000)):
        # one fingerprint but another codebook, frame rate or sample rate: not the same codes (a damaged record)
        assert not base.same_codes(dataclasses.replace(base, **{field: value})), field
    assert not CodecIdentity("aa" * 32, 64, 50.0, 16000).same_codes(CodecIdentity("bb" * 32, 64, 50.0, 16000))
    with pytest.raises(CodecMismatchError):
        base.require_same(other, "mine", "theirs")


def test_phoneme_tokenizer_phonemizes_with_its_own_voice(monkeypatch):
    import lm.text as text_module

    voices = []

    def fake_many(texts, voice="en-us", workers=8, disk_cache=False):
        voices.append(voice)
        return list(texts)

    def fake_one(text, voice="en-us"):
        voices.append(voice)
        return text

    monkeypatch.setattr(text_module, "phonemize_many", fake_many)
    monkeypatch.setattr(text_module, "phonemize", fake_one)
    tok = TextTokenizer.train(SENTENCES, TextConfig(vocab_size=64, phonemes=True, espeak_voice="en-gb"))
    tok.preprocess("the birch canoe")
    tok.preprocess_many(["the birch canoe", "glue the sheet"])
    tok.encode_many(["the birch canoe", "glue the sheet"], disk_cache=True)
    assert voices and set(voices) == {"en-gb"}


def test_extraction_resumed_with_another_codec_is_refused(tmp_path):
    import numpy as np
    import soundfile as sf

    from codec import Codec, CodecConfig
    from codec.data import Utterance, write_manifest
    from lm.extract import extract
    from lm.tokens import TokenStoreError

    codecs = []
    for seed in (0, 1):  # one architecture, other weights: the same codebook size, other codes
        torch.manual_seed(seed)
        codecs.append(Codec(CodecConfig.preset("debug", codebook_size=64)).eval())
    rate = codecs[0].sample_rate
    rng = np.random.default_rng(0)
    for uid in ("a", "b"):
        sf.write(tmp_path / f"{uid}.wav", (0.1 * rng.standard_normal(rate // 4)).astype(np.float32), rate)
    write_manifest(tmp_path / "m.jsonl", [Utterance(uid, str(tmp_path / f"{uid}.wav"), "a text", "s", 0.25, rate)
                                          for uid in ("a", "b")])
    extract(codecs[0], tmp_path / "m.jsonl", tmp_path / "tok", shard_size=1)
    (tmp_path / "tok" / "shard_00001.json").unlink()  # an interrupted store: its second shard unfinished
    with pytest.raises(TokenStoreError, match="another codec"):
        extract(codecs[1], tmp_path / "m.jsonl", tmp_path / "tok", shard_size=1)
    assert extract(codecs[0], tmp_path / "m.jsonl", tmp_path / "tok", shard_size=1)["utterances"] == 2


# ---- left-padded positions, the length bounds, per-prompt seeding, bits/s ----


def test_a_fractional_length_bound_is_rounded_up():
    assert SamplingConfig(max_frames_base=1, max_frames_per_text_token=1.5).max_frames(3) == 6  # 5.5 frames -> 6
    assert SamplingConfig(max_frames_base=4, max_frames_per_text_token=2.0).max_frames(3) == 10


def test_a_row_that_never_stops_ends_where_the_models_context_does(lm):
    """The text's bound allows 200 codes; a context of prompt + 7 positions allows 7: prompt and codes never run
    past max_position_embeddings."""
    model = copy.deepcopy(lm.model)
    text = "the birch canoe"
    prompt = len(lm.vocab.prompt(lm.tokenizer.encode(text)))
    model.config.max_position_embeddings = prompt + 7
    handle = _force_logits(model, lm.vocab.speech_end, float("-inf"))
    try:
        codes = generate_codes(model, lm.vocab, lm.tokenizer, [text],
                               SamplingConfig(temperature=1.0, max_frames_base=200, max_frames_per_text_token=0))
    finally:
        handle.remove()
    assert len(codes[0]) == 7


def test_each_row_draws_from_a_generator_seeded_by_its_own_prompt(lm):
    """Under one seed, two texts get different draws (not one stream shared by every row), and a text the same draws
    wherever it stands in the batch. A constant model makes the draws alone decide the codes."""
    speech = lm.vocab.is_speech(torch.arange(lm.vocab.size))

    def constant(_module, _inputs, output):
        return torch.where(speech, 0.0, -1e4).expand_as(output).to(output.dtype)

    handle = lm.model.lm_head.register_forward_hook(constant)
    sampling = SamplingConfig(temperature=1.0, min_frames=12, max_frames_base=12, max_frames_per_text_token=0)
    try:
        first = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["the birch canoe", "rice"], sampling, seed=4)
        swapped = generate_codes(lm.model, lm.vocab, lm.tokenizer, ["rice", "the birch canoe"], sampling, seed=4)
    finally:
        handle.remove()
    assert not torch.equal(first[0], first[1])
    assert torch.equal(first[0], swapped[1]) and torch.equal(first[1], swapped[0])


def test_bits_per_second_pools_the_bits_and_the_seconds_of_all_utterances():
    """bits/s is total bits over total seconds (a ratio of sums), not the mean of per-utterance rates, which would
    weigh a short utterance as much as a long one; bits/token likewise."""
    from lm.score import compare

    records = lambda bits: [{"id": "a", "seconds": 1.0, "bits": bits[0], "targets": 51},
                            {"id": "b", "seconds": 9.0, "bits": bits[1], "targets": 451}]
    summary = compare({"x": records([300.0, 900.0]), "y": records([100.0, 900.0])}, reference="y")
    x = summary["lms"]["x"]
    assert summary["seconds"] == 10.0
    assert x["bits_per_second"] == pytest.approx(120.0)  # 1200 bits / 10 s (the mean of the rates would be 200)
    assert x["bits_per_token"] == pytest.approx(1200 / 502)
    assert x["difference"] == pytest.approx(20.0)  # (200 more bits) / 10 s
    assert summary["lms"]["y"]["bits_per_second"] == pytest.approx(100.0)


def test_length_bounds_are_the_documented_formula_and_never_zero():
    """ceil(0 + 1.1 * 50) gave 56 (binary floating point: 55.000000000000007); a bound of 0 frames was accepted and
    still produced one code."""
    from lm.generate import SamplingConfig

    assert SamplingConfig(max_frames_base=0, max_frames_per_text_token=1.1).max_frames(50) == 55
    assert SamplingConfig(max_frames_base=0, max_frames_per_text_token=2.2).max_frames(25) == 55
    assert SamplingConfig(max_frames_base=3, max_frames_per_text_token=0.5).max_frames(3) == 5  # 4.5 rounds up
    with pytest.raises(ValueError, match="the length bound would allow no speech at all"):
        SamplingConfig(max_frames_base=0, max_frames_per_text_token=0.0)


def test_saving_an_lm_or_a_tts_pipeline_over_a_folder_of_other_files_is_refused(tmp_path, lm):
    """save_pretrained replaces its folder whole: a folder holding anything else (notes, data) lost it silently."""
    from codec import Codec, CodecConfig
    from lm.identity import CodecIdentity
    from pipelines.tts import TTSPipeline

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="is not a LM folder"):
        lm.save_pretrained(folder)
    codec = Codec(CodecConfig.preset("debug", codebook_size=64))
    own = SpeechLM(lm.model, lm.config, lm.vocab, lm.tokenizer, CodecIdentity.of(codec))
    with pytest.raises(FileExistsError, match="is not a TTS pipeline folder"):
        TTSPipeline(codec, own).save_pretrained(folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    lm.save_pretrained(tmp_path / "lm")
    lm.save_pretrained(tmp_path / "lm")  # its own kind: replaced
