"""ASR back ends: PocketSphinx on flite speech, TransformersASR on a tiny random CTC checkpoint, load_asr."""
import json
import shutil

import numpy as np
import pytest
import torch

from codec.audio import load_audio
from pipelines.asr import ASR, ASRError, PocketSphinxASR, TransformersASR, load_asr
from pipelines.metrics import wer_report

needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed (apt-get install flite)")


@pytest.fixture(scope="module")
def sphinx():
    return PocketSphinxASR()


@needs_flite
def test_pocketsphinx_transcribes_flite_speech(sphinx, tmp_path):
    from pipelines.corpus import render

    texts = ["The quick brown fox jumps over the lazy dog.", "Please call me tomorrow morning at home."]
    audios = []
    for i, text in enumerate(texts):
        render("slt", text, tmp_path / f"{i}.wav")
        audios.append(load_audio(tmp_path / f"{i}.wav", sphinx.sample_rate))
    hyps = sphinx.transcribe(audios)
    assert len(hyps) == 2 and all(h == h.lower() for h in hyps)
    report = wer_report(texts, hyps)
    assert report["wer"] < 0.3, (hyps, report["wer"])
    # The decoder is reused: a second call gives the same answer.
    assert sphinx.transcribe(audios[:1]) == hyps[:1]


def test_pocketsphinx_edge_inputs(sphinx):
    assert isinstance(sphinx, ASR) and sphinx.sample_rate == 16000
    assert sphinx.transcribe([]) == []
    assert sphinx.transcribe([np.zeros(0, np.float32)]) == [""]
    silence = sphinx.transcribe([np.zeros(16000, np.float32)])
    assert len(silence) == 1 and isinstance(silence[0], str)
    with pytest.raises(ASRError, match="mono"):
        sphinx.transcribe([np.zeros((2, 100), np.float32)])
    with pytest.raises(ASRError, match="wrap it in a list"):
        sphinx.transcribe(np.zeros(100, np.float32))
    with pytest.raises(ASRError, match="NaN or Inf"):
        sphinx.transcribe([np.full(100, np.nan, np.float32)])


def _tiny_ctc(path, masked: bool):
    """A random-weights CTC recogniser: masked, a large-lv60-style model (layer norm, attention mask); not, a
    base-style one (group norm over the input, no attention mask)."""
    from transformers import (Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC,
                              Wav2Vec2Processor)

    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz'")}}
    (path / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(path / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                         do_normalize=True, return_attention_mask=masked)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(path)
    torch.manual_seed(0)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 4),
                            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, pad_token_id=0,
                            feat_extract_norm="layer" if masked else "group", do_stable_layer_norm=masked)
    Wav2Vec2ForCTC(config).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_ctc_dir(tmp_path_factory):
    return _tiny_ctc(tmp_path_factory.mktemp("tiny_ctc"), masked=True)


def test_transformers_ctc_returns_one_string_per_input(tiny_ctc_dir):
    asr = TransformersASR(tiny_ctc_dir, device="cpu", batch_size=2)
    assert isinstance(asr, ASR) and asr.kind == "ctc" and asr.sample_rate == 16000
    rng = np.random.default_rng(0)
    audios = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (8000, 3000, 16000)] + [np.zeros(0, np.float32)]
    texts = asr.transcribe(audios)
    assert len(texts) == 4 and all(isinstance(t, str) for t in texts) and texts[3] == ""
    assert any(texts[:3])  # random weights emit characters, not only blanks
    # Batching and padding do not change an utterance's transcript (padded frames are blanked).
    assert [asr.transcribe([a])[0] for a in audios[:3]] == texts[:3]
    assert load_asr(tiny_ctc_dir, device="cpu").transcribe(audios[:1]) == texts[:1]


def test_a_ctc_model_without_attention_mask_judges_each_utterance_alone(tmp_path):
    """Wav2Vec2-base style: the extractor normalises, and group norm spans, the whole padded batch, so a batched
    utterance was transcribed from other inputs than the same utterance alone."""
    asr = TransformersASR(_tiny_ctc(tmp_path, masked=False), device="cpu", batch_size=4)
    rng = np.random.default_rng(1)
    audios = [rng.standard_normal(n).astype(np.float32) * s for n, s in ((16000, 0.3), (3000, 0.05), (8000, 0.1))]
    texts = asr.transcribe(audios)
    assert any(texts) and texts == [asr.transcribe([a])[0] for a in audios]


def test_transformers_asr_errors_name_the_problem(tmp_path, tiny_ctc_dir):
    with pytest.raises(ASRError, match="not found"):
        TransformersASR(tmp_path / "nope")
    with pytest.raises(ASRError, match="no config.json"):
        TransformersASR(tmp_path)
    # A Wav2Vec2 encoder without a CTC head is not a recogniser.
    from transformers import Wav2Vec2Config

    headless = tmp_path / "headless"
    headless.mkdir()
    cfg = Wav2Vec2Config.from_pretrained(tiny_ctc_dir)
    cfg.architectures = ["Wav2Vec2Model"]
    cfg.save_pretrained(headless)
    with pytest.raises(ASRError, match="not a speech recogniser"):
        TransformersASR(headless)
    # A CTC config whose folder lacks the processor files.
    no_proc = tmp_path / "no_processor"
    no_proc.mkdir()
    shutil.copy(tiny_ctc_dir / "config.json", no_proc / "config.json")
    with pytest.raises(ASRError, match="processor"):
        TransformersASR(no_proc)


def test_load_asr_dispatch(tmp_path):
    assert isinstance(load_asr("pocketsphinx"), PocketSphinxASR)
    with pytest.raises(ASRError, match="neither 'pocketsphinx' nor"):
        load_asr(tmp_path / "missing-model")


@pytest.fixture(scope="module")
def tiny_whisper_dir(tmp_path_factory):
    """A randomly initialised 1-layer Whisper with a byte-level tokenizer (no merges) built offline."""
    from transformers import (GenerationConfig, WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration,
                              WhisperProcessor, WhisperTokenizer)
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    path = tmp_path_factory.mktemp("tiny_whisper")
    (path / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(bytes_to_unicode().values())}))
    (path / "merges.txt").write_text("#version: 0.2\n")
    specials = ["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|translate|>", "<|notimestamps|>"]
    tokenizer = WhisperTokenizer(str(path / "vocab.json"), str(path / "merges.txt"), additional_special_tokens=specials)
    eot, sot = tokenizer.convert_tokens_to_ids("<|endoftext|>"), tokenizer.convert_tokens_to_ids(specials[0])
    WhisperProcessor(WhisperFeatureExtractor(feature_size=80), tokenizer).save_pretrained(path)
    torch.manual_seed(0)
    config = WhisperConfig(vocab_size=len(tokenizer), num_mel_bins=80, d_model=32, encoder_layers=1, decoder_layers=1,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                           max_target_positions=32, pad_token_id=eot, bos_token_id=eot, eos_token_id=eot,
                           decoder_start_token_id=sot, suppress_tokens=None, begin_suppress_tokens=None)
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(decoder_start_token_id=sot, eos_token_id=eot, pad_token_id=eot,
                                               max_length=12, no_timestamps_token_id=tokenizer.convert_tokens_to_ids(
                                                   "<|notimestamps|>"))
    model.save_pretrained(path)
    return path


def test_transformers_whisper_seq2seq_path(tiny_whisper_dir):
    asr = load_asr(tiny_whisper_dir, device="cpu")
    assert isinstance(asr, TransformersASR) and asr.kind == "seq2seq" and asr.sample_rate == 16000
    rng = np.random.default_rng(0)
    texts = asr.transcribe([rng.standard_normal(16000).astype(np.float32) * 0.1, np.zeros(0, np.float32)])
    assert len(texts) == 2 and isinstance(texts[0], str) and texts[1] == ""
    with pytest.raises(ASRError, match="longer than the model's 30 s window"):
        asr.transcribe([np.zeros(31 * 16000, np.float32)])


def test_another_model_saved_in_the_same_folder_is_another_judge(tmp_path):
    """The name (what cached results record as their judge) was the folder's path alone: a model replaced in place
    kept its name, and results judged by the old one were reused as if judged by it."""
    from transformers import Wav2Vec2ForCTC

    folder = _tiny_ctc(tmp_path, masked=True)
    before = TransformersASR(folder, device="cpu").name
    assert TransformersASR(folder, device="cpu").name == before  # the same model: the same judge
    model = Wav2Vec2ForCTC.from_pretrained(folder)
    with torch.no_grad():
        model.lm_head.bias.add_(1.0)
    model.save_pretrained(folder)
    assert TransformersASR(folder, device="cpu").name != before
    assert TransformersASR(folder, device="cpu", language="en").name != TransformersASR(folder, device="cpu").name
    import shutil

    moved = shutil.copytree(folder, tmp_path / "elsewhere" / folder.name)  # the same model elsewhere: the same judge
    assert TransformersASR(moved, device="cpu").name == TransformersASR(folder, device="cpu").name
    assert str(tmp_path) not in TransformersASR(moved, device="cpu").name  # results name no machine's paths
