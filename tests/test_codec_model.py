"""The codec's contract: shapes and length arithmetic, quantizer round trips, self-guidance, persistence, errors."""
from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from codec import Codec, CodecConfig
from codec.audio import resample
from codec.config import SG_LOSSES, SG_TAPS, ConfigError, fsq_levels_for
from codec.model import CodecLoadError
from codec.objective import (GeneratorForward, cepstral_loss, masked_mse, multiscale_mel_loss, self_guidance_loss,
                             teacher_features)


def make_codec(seed: int = 0, **overrides) -> Codec:
    torch.manual_seed(seed)
    return Codec(CodecConfig.preset("debug", **overrides)).eval()


@pytest.fixture(scope="module")
def codec() -> Codec:
    return make_codec()


def test_frame_arithmetic_for_odd_lengths(codec):
    assert (codec.sample_rate, codec.hop_length, codec.frame_rate, codec.codebook_size) == (16000, 320, 50.0, 256)
    lengths = torch.tensor([320, 321, 959, 961, 1601])
    wav = torch.randn(5, 1601) * 0.1
    codes, frames = codec.encode(wav, lengths)
    assert frames.tolist() == [1, 2, 3, 4, 6]  # ceil(length / hop)
    assert codes.shape == (5, 6) and codes.dtype == torch.long
    assert int(codes.max()) < codec.codebook_size and int(codes.min()) >= 0
    audio = codec.decode(codes, frames)
    assert audio.shape == (5, 6 * 320)
    for row, n in enumerate(frames.tolist()):
        assert torch.all(audio[row, n * 320:] == 0)  # zero past each length
        assert audio[row, : n * 320].abs().sum() > 0


@pytest.mark.parametrize("field, message", [
    ({"decoder_heads": 0}, "decoder_heads 0: must be at least 1"),
    ({"decoder_depth": 0}, "decoder_depth 0: must be at least 1"),
    ({"decoder_dim": 96, "decoder_heads": 32}, "the head size must be even"),
    ({"sg_weight": -5.0}, "sg_weight -5.0: a loss weight must be a finite number >= 0"),
    ({"sg_weight": float("nan")}, "sg_weight nan: a loss weight must be a finite number >= 0"),  # every step skipped
    ({"cepstral_weight": float("nan")}, "cepstral_weight nan: a loss weight must be a finite"),  # the loss silently off
    ({"phase_weight": float("inf")}, "phase_weight inf: a loss weight must be a finite"),
    ({"sample_rate": 0}, "sample_rate 0: must be at least 1"),
    ({"mpd_channels": ()}, "mpd_channels (): must be one or more sizes"),
    ({"strides": (2, 0)}, "strides (2, 0): must be one or more sizes"),
    ({"latent_dim": 4, "codebook_size": 256}, "latent_dim 4 equals the number of FSQ levels"),
    ({"codebook_size": 2 ** 26}, "FSQ codebooks up to 2^24"),
    ({"strides": (2, 2, 4, 4, 5, 1)}, "each stride must be at least 2"),  # a stride-1 block made one frame too many
])
def test_config_values_that_cannot_work_are_refused_naming_the_field(field, message):
    """Each of these once built a codec that failed deep inside torch, or (odd head size, negative SG weight)
    trained silently on wrong maths."""
    with pytest.raises(ConfigError) as err:
        make_codec(**field)
    assert message in str(err.value)


def test_fsq_levels_and_codes_round_trip(codec):
    assert fsq_levels_for(65536) == (4,) * 8 and fsq_levels_for(4096) == (4,) * 6
    assert np.prod(fsq_levels_for(8192)) == 8192 and np.prod(fsq_levels_for(16384)) == 16384
    with pytest.raises(ConfigError):
        fsq_levels_for(1000)
    q = codec.quantizer
    codes = torch.arange(codec.codebook_size)[None]  # every code once
    vectors = q.lookup(codes)
    z_q, again, _ = q.round(vectors)
    assert torch.equal(again, codes) and torch.equal(z_q, vectors)
    # z_e off the grid rounds to its nearest grid point, which maps to a valid code
    z_e = q.project(torch.randn(2, 7, codec.config.latent_dim))
    z_q, codes, _ = q.round(z_e)
    assert torch.equal(q.lookup(codes), z_q)
    assert float(((z_e - z_q).detach() ** 2).max()) <= float((0.5 / (torch.tensor(codec.config.levels) // 2).float().min()) ** 2) + 1e-6


@pytest.mark.parametrize("levels", [(4,) * 8, (8, 4, 4, 4, 4, 4, 4), (8, 5, 5, 5), (3, 7)])
def test_our_fsq_grid_numbers_codes_as_vector_quantize_pytorch_does(levels):
    """FSQGrid replaced the package's FSQ (whose import costs ~1.7 s): the same code for each grid point, the same
    grid point for each code, the same projections drawn from the same seed (so a seeded run starts alike)."""
    from vector_quantize_pytorch import FSQ

    from codec.quantizer import FSQGrid

    torch.manual_seed(0)
    ours, after_ours = FSQGrid(levels, 16), torch.get_rng_state()
    torch.manual_seed(0)
    theirs, after_theirs = FSQ(levels=list(levels), dim=16), torch.get_rng_state()
    assert torch.equal(after_ours, after_theirs)  # what the model draws next is drawn alike too
    assert ours.state_dict().keys() == theirs.state_dict().keys() and ours.codebook_size == theirs.codebook_size
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    every_code = torch.arange(ours.codebook_size).reshape(1, -1)
    grid = theirs._indices_to_codes(every_code)
    assert torch.equal(ours.indices_to_codes(every_code), grid)
    numbered = ours.codes_to_indices(grid)
    assert numbered.dtype == theirs.codes_to_indices(grid).dtype and torch.equal(numbered, every_code.int())
    noisy = grid + (torch.rand(grid.shape) - 0.5) * 0.99 / (torch.tensor(levels) // 2)  # rounds back to each point
    assert torch.equal(ours.codes_to_indices(noisy), theirs.codes_to_indices(noisy))


def test_vq_codes_round_trip():
    codec = make_codec(quantizer="vq", codebook_size=32)
    wav = torch.randn(1, 3200) * 0.1
    codes, frames = codec.encode(wav)
    assert codes.shape == (1, 10) and int(codes.max()) < 32
    vectors = codec.quantizer.lookup(codes)
    assert torch.equal(codec.quantizer.round(vectors)[1], codes)
    assert codec.decode(codes).shape == (1, 3200)


def test_vq_passes_gradients_straight_through():
    # dL/dz_e == dL/dz_q, as with FSQ: not vector-quantize-pytorch's default rotation trick
    quantizer = make_codec(quantizer="vq", codebook_size=32).quantizer.train()
    z_e = torch.randn(1, 4, quantizer.code_dim, requires_grad=True)
    z_q = quantizer.round(z_e)[0]
    upstream = torch.randn_like(z_q)
    (grad,) = torch.autograd.grad((z_q * upstream).sum(), z_e)
    assert torch.equal(grad, upstream)


def test_vq_codebook_is_not_updated_from_a_non_finite_latent():
    """The EMA codebook updates inside the forward, before the training loop's guard skips a non-finite step: a NaN
    latent left NaN codewords (and a later checkpoint holding them) behind the skipped step."""
    quantizer = make_codec(quantizer="vq", codebook_size=32).quantizer.train()
    z_e, mask = torch.randn(2, 6, quantizer.code_dim), torch.ones(2, 6, dtype=torch.bool)
    quantizer.round(z_e, mask)  # a finite step updates the EMA statistics
    state = {k: v.clone() for k, v in quantizer.vq.state_dict().items()}
    z_e[1, 2, 0] = float("nan")
    quantizer.round(z_e, mask)
    assert all(torch.equal(state[k], v) for k, v in quantizer.vq.state_dict().items())
    mask[1, 2] = False  # past a length too: the library's mask multiplies a NaN by 0, which keeps it NaN
    quantizer.round(z_e, mask)
    assert all(torch.equal(state[k], v) for k, v in quantizer.vq.state_dict().items())
    z_e[1, 2, 0] = 0.0
    quantizer.round(z_e, mask)  # finite again: updated
    assert not torch.equal(state["_codebook.embed_avg"], quantizer.vq.state_dict()["_codebook.embed_avg"])
    assert torch.isfinite(quantizer.vq.codebook).all()


@pytest.mark.parametrize("tap,count", [("last_block", 1), ("all_blocks", 2), ("backbone", 1)])
def test_self_guidance_teacher_gets_no_gradient(tap, count):
    codec = make_codec(sg_tap=tap, decoder_depth=2).train()
    wav, lengths = torch.randn(2, 1600) * 0.1, torch.tensor([1600, 960])
    lat = codec.encode_latents(wav, lengths)
    assert lat.z_e.requires_grad
    targets = teacher_features(codec, lat.z_e, lat.mask, tap)
    assert len(targets) == count and not any(t.requires_grad for t in targets)
    out = GeneratorForward(codec)(wav, lengths)
    assert out.losses["sg"] > 0
    out.losses["sg"].backward()
    assert codec.encoder.input.parametrizations.weight.original1.grad.abs().sum() > 0  # the student path trains


def test_sg_loss_and_tap_of_the_config_reach_the_training_loss():
    """GeneratorForward's "sg" loss is self_guidance_loss of config.sg_loss on the taps named by config.sg_tap,
    averaged over the taps (two transformer blocks: "all_blocks" has two), and each choice changes its value."""
    wav, lengths = torch.randn(2, 1600) * 0.1, torch.tensor([1600, 960])

    def sg_of(codec):
        with torch.no_grad():
            return GeneratorForward(codec)(wav, lengths).losses["sg"]

    default = sg_of(make_codec(decoder_depth=2))  # same seed: the same weights for every kind and tap
    for kind in SG_LOSSES:
        for tap in SG_TAPS:
            codec = make_codec(decoder_depth=2, sg_loss=kind, sg_tap=tap)
            with torch.no_grad():
                lat = codec.encode_latents(wav, lengths)
                frame_mask = lat.mask[:, 0]
                taps_q = codec.backbone(codec.decoder_input(lat.z_q), lat.mask, tap)[1]
                taps_e = teacher_features(codec, lat.z_e, lat.mask, tap)
                assert len(taps_q) == len(taps_e) == (2 if tap == "all_blocks" else 1)
                expected = torch.stack([self_guidance_loss(q, e, frame_mask, kind)
                                        for q, e in zip(taps_q, taps_e)]).mean()
            actual = sg_of(codec)
            torch.testing.assert_close(actual, expected, rtol=1e-5, atol=0, msg=f"{kind}/{tap}")
            if (kind, tap) != ("mse", "last_block"):
                assert not torch.isclose(actual, default, rtol=1e-3, atol=0), f"{kind}/{tap} gives the default's loss"


def test_a_batch_of_clips_all_shorter_than_their_crop_trains():
    """CropDataset zero-pads a clip shorter than the crop: when no clip of the batch fills it, the decoder makes
    fewer frames than the crop holds, and the output is padded to it (this raised a size mismatch in the mel loss)."""
    codec = make_codec(phase_weight=1.0, cepstral_weight=1.0).train()
    wav = torch.zeros(2, 1600)
    wav[0, :960], wav[1, :640] = torch.randn(960) * 0.1, torch.randn(640) * 0.1
    out = GeneratorForward(codec)(wav, torch.tensor([960, 640]))
    assert out.fake.shape == wav.shape and not out.fake[:, 960:].any()
    assert all(torch.isfinite(v) for v in out.losses.values())


@pytest.mark.parametrize("encoder_grad", [True, False])
def test_self_guidance_gradient_to_encoder_is_switchable(encoder_grad):
    codec = make_codec(decoder_depth=2, sg_encoder_grad=encoder_grad).train()
    out = GeneratorForward(codec)(torch.randn(2, 1600) * 0.1, torch.tensor([1600, 960]))
    out.losses["sg"].backward()
    encoder_grad_norm = sum(float(p.grad.abs().sum()) for p in codec.encoder.parameters() if p.grad is not None)
    backbone_grad_norm = sum(float(p.grad.abs().sum()) for p in codec.backbone.parameters() if p.grad is not None)
    assert backbone_grad_norm > 0  # the decoder learns from SG either way
    assert (encoder_grad_norm > 0) == encoder_grad  # the ablation stops SG's gradient at z_q
    codec.zero_grad()
    out = GeneratorForward(codec)(torch.randn(2, 1600) * 0.1, torch.tensor([1600, 960]))
    out.losses["mel"].backward()  # reconstruction still trains the encoder in both settings
    assert sum(float(p.grad.abs().sum()) for p in codec.encoder.parameters() if p.grad is not None) > 0


def test_phase_loss_compares_phase_derivatives_and_is_off_by_default():
    from codec.objective import loss_weights, phase_loss

    t = torch.arange(16000) / 16000
    f0 = 120 + 30 * torch.sin(2 * torch.pi * 2 * t)  # a gliding pitch, like a voiced phrase
    real = sum(torch.sin(2 * torch.pi * k * torch.cumsum(f0, 0) / 16000) / k for k in range(1, 20))[None] * 0.1
    assert float(phase_loss(real, real)) < 1e-3
    assert float(phase_loss(2.0 * real, real)) < 1e-3  # a gain is no phase error
    assert float(phase_loss(torch.roll(real, 1, -1), real)) < 0.01  # nor is a one-sample delay, nearly
    # the artefact this loss targets: the same spectral envelope on a frame-periodic (50 Hz) carrier
    comb = sum(torch.sin(2 * torch.pi * 50 * k * t) for k in range(1, 60))[None] * 0.01
    assert float(phase_loss(comb, real)) > 0.3
    silent = torch.zeros_like(real, requires_grad=True)
    loss = phase_loss(silent, real)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(1.0) and bool(torch.isfinite(silent.grad).all())
    assert "phase" not in loss_weights(CodecConfig.preset("debug"))
    codec = make_codec(decoder_depth=2, phase_weight=0.5).train()
    assert loss_weights(codec.config)["phase"] == 0.5
    out = GeneratorForward(codec)(torch.randn(2, 1600) * 0.1, torch.tensor([1600, 960]))
    out.losses["phase"].backward()
    assert float(out.losses["phase"].detach()) > 0 and codec.head.out.weight.grad.abs().sum() > 0


def test_cepstral_loss_sees_the_words_not_pitch_or_gain_and_is_off_by_default():
    from codec.audio import dct_matrix
    from codec.objective import cepstral_loss, loss_weights, multiscale_mel_loss

    basis = dct_matrix(40, 40)
    assert torch.allclose(basis @ basis.T, torch.eye(40), atol=1e-5)  # orthonormal: cepstra keep the mel distances
    t = torch.arange(16000) / 16000

    def vowel(f0, formants):  # harmonics of f0 under resonances at the formant frequencies
        phase = 2 * torch.pi * f0 * t
        gain = lambda f: sum(1 / (1 + ((f - fc) / 80) ** 2) for fc in formants)  # noqa: E731
        return sum(gain(k * f0) * torch.sin(k * phase) for k in range(1, int(7000 // f0)))[None] * 0.05

    def two_vowels(first, second):
        return torch.cat([first[:, :8000], second[:, 8000:]], -1)

    real = two_vowels(vowel(120, (700, 1200)), vowel(120, (300, 2300)))
    other_word = two_vowels(vowel(120, (700, 1200)), vowel(120, (400, 1900)))  # the second vowel changed
    other_pitch = two_vowels(vowel(150, (700, 1200)), vowel(150, (300, 2300)))  # the same vowels, higher
    assert float(cepstral_loss(real, real, 16000)) == 0
    assert float(cepstral_loss(2 * real, real, 16000)) < 0.01  # mean normalisation: a gain costs nothing
    # the recogniser's ranking, which the mel loss inverts: a changed vowel far above a changed pitch
    assert float(cepstral_loss(other_word, real, 16000)) > 5 * float(cepstral_loss(other_pitch, real, 16000))
    assert float(multiscale_mel_loss(other_word, real, 16000)) < float(multiscale_mel_loss(other_pitch, real, 16000))
    assert "cepstral" not in loss_weights(CodecConfig.preset("debug"))
    with pytest.raises(ConfigError, match="cepstral_weight -1"):
        CodecConfig.preset("debug", cepstral_weight=-1.0)
    codec = make_codec(decoder_depth=2, cepstral_weight=20.0).train()
    assert loss_weights(codec.config)["cepstral"] == 20.0
    out = GeneratorForward(codec)(torch.randn(2, 1600) * 0.1, torch.tensor([1600, 960]))
    out.losses["cepstral"].backward()
    assert float(out.losses["cepstral"].detach()) > 0 and codec.head.out.weight.grad.abs().sum() > 0


def test_reconstruction_losses_are_float32_under_bf16_autocast():
    # in bf16 the log-mels' rounding is as large as the differences trained on near convergence
    codec = make_codec(cepstral_weight=1.0)
    wav = torch.randn(2, 3200) * 0.1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = GeneratorForward(codec)(wav, torch.tensor([3200, 3200]))
    fake = out.fake.detach().float()
    for name, loss in (("mel", multiscale_mel_loss), ("cepstral", cepstral_loss)):
        assert out.losses[name].dtype == torch.float32, name
        torch.testing.assert_close(out.losses[name].detach(), loss(fake, wav, 16000), rtol=1e-6, atol=0, msg=name)


def test_self_guidance_loss_is_zero_without_rounding(monkeypatch):
    codec = make_codec().train()
    monkeypatch.setattr(codec.quantizer, "round", lambda z_e, mask=None: (z_e, torch.zeros(z_e.shape[:2], dtype=torch.long), {}))
    out = GeneratorForward(codec)(torch.randn(2, 1600) * 0.1, torch.tensor([1600, 1280]))
    assert float(out.losses["sg"].detach()) == 0.0 and float(out.quantization_error) == 0.0
    diag = codec.diagnose(torch.randn(1, 1600) * 0.1)
    assert float(diag["hidden_mse"].abs().max()) == 0.0 and float(diag["quantization_error"].abs().max()) == 0.0


def test_diagnose_shapes_and_padding(codec):
    wav, lengths = torch.randn(2, 3000) * 0.1, torch.tensor([3000, 1000])
    diag = codec.diagnose(wav, lengths)
    assert diag["frame_lengths"].tolist() == [10, 4]
    assert diag["quantization_error"].shape == diag["hidden_mse"].shape == diag["hidden_energy"].shape == (2, 10)
    assert torch.all(diag["quantization_error"][1, 4:] == 0) and torch.all(diag["hidden_mse"][0] > 0)
    assert torch.all(diag["hidden_energy"][1, 4:] == 0) and torch.all(diag["hidden_energy"][1, :4] > 0)
    # hidden_energy is ||h_e||^2 at the SG tap, the scale hidden_mse is measured in
    with torch.inference_mode():
        lat = codec.encode_latents(wav[:1], lengths[:1])
        _, h_e = codec.backbone(codec.decoder_input(lat.z_e), lat.mask, codec.config.sg_tap)
    torch.testing.assert_close(diag["hidden_energy"][0], (h_e[0][0] ** 2).sum(-1), rtol=1e-5, atol=1e-5)


def test_diagnose_measures_at_the_last_block_whatever_tap_trained():
    """The hidden MSE followed config.sg_tap, a training setting: the same weights scored 40 / 170 / 12 under the
    three taps, and a report compared such codecs with last-block ones as the paper's ||h_e - h_q||^2."""
    wav = torch.randn(1, 3200) * 0.1
    diags = {tap: make_codec(decoder_depth=2, sg_tap=tap).diagnose(wav) for tap in SG_TAPS}  # same seed, same weights
    for tap, diag in diags.items():
        for key in ("hidden_mse", "hidden_energy", "quantization_error"):
            torch.testing.assert_close(diag[key], diags["last_block"][key], msg=f"{tap} {key}")
    codec = make_codec(decoder_depth=2)
    assert not torch.allclose(codec.diagnose(wav, tap="all_blocks")["hidden_mse"], diags["last_block"]["hidden_mse"])
    with pytest.raises(ValueError, match="tap 'middle'"):
        codec.diagnose(wav, tap="middle")


def test_batched_equals_one_by_one(codec):
    torch.manual_seed(1)
    lengths = [4000, 2345, 700]
    items = [torch.randn(n) * 0.2 for n in lengths]
    batch = torch.zeros(3, max(lengths))
    for i, x in enumerate(items):
        batch[i, : len(x)] = x
    codes, frames = codec.encode(batch, torch.tensor(lengths))
    audio = codec.decode(codes, frames)
    for i, x in enumerate(items):
        single_codes, single_frames = codec.encode(x[None])
        n = int(single_frames)
        assert frames[i] == n and torch.equal(codes[i, :n], single_codes[0])
        single_audio = codec.decode(single_codes)
        torch.testing.assert_close(audio[i, : n * 320], single_audio[0], atol=1e-4, rtol=1e-4)


def test_encoder_runs_channels_last_on_cpu_without_autograd_with_the_same_features(codec, monkeypatch):
    """Encoding on a CPU without autograd, every convolution after the input one sees a channels-last input (the
    layout survives SnakeBeta, masks and residual sums; not at a single frame in a batch of 1, where a [1, C, 1]
    tensor is both layouts) and the features of a padded batch equal those of the [B, C, T] layout to float
    rounding; with autograd (training, where it gained nothing) the layout stays [B, C, T]. The output is
    contiguous [B, D, F] either way."""
    from codec import encoder as enc

    model = codec.encoder
    torch.manual_seed(3)
    wav, lengths = torch.randn(2, 3200) * 0.2, torch.tensor([3200, 1920])
    wav[1, 1920:] = 0
    seen = []
    hooks = [m.register_forward_pre_hook(lambda m, args: seen.append(enc.is_channels_last(args[0])))
             for m in model.modules() if isinstance(m, torch.nn.Conv1d) and m is not model.input]
    try:
        with torch.no_grad():
            out = model(wav, lengths)
        assert len(seen) == 3 * 5 * 2 + 5 + 1 and all(seen)  # 3 units x 2 convs, a down conv per block, the output
        assert out.is_contiguous() and out.shape == (2, model.output.out_channels, 10)
        seen.clear()
        trained = model(wav, lengths)
        assert len(seen) == 36 and not any(seen) and trained.requires_grad
        monkeypatch.setattr(enc, "channels_last", lambda x: x)  # the [B, C, T] layout throughout
        seen.clear()
        with torch.no_grad():
            ref = model(wav, lengths)
        assert not any(seen)
    finally:
        for h in hooks:
            h.remove()
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trained.detach(), ref, atol=1e-5, rtol=1e-5)


def test_reconstruct_quantized_is_decode_of_encode_and_unquantized_skips_rounding(codec, monkeypatch):
    wav, lengths = torch.randn(2, 3000) * 0.1, torch.tensor([3000, 1000])
    codes, frames = codec.encode(wav, lengths)
    quantized, rec_frames = codec.reconstruct(wav, lengths)
    assert torch.equal(rec_frames, frames)
    torch.testing.assert_close(quantized, codec.decode(codes, frames), atol=1e-5, rtol=1e-5)
    continuous, _ = codec.reconstruct(wav, lengths, quantize=False)
    assert continuous.shape == quantized.shape and torch.all(continuous[1, 4 * 320:] == 0)
    assert float((continuous - quantized).abs().max()) > 1e-4  # rounding changes what the decoder hears
    # with rounding bypassed, the two paths are the same computation
    rounding = codec.quantizer.round
    monkeypatch.setattr(codec.quantizer, "round", lambda z_e, mask=None: (z_e, rounding(z_e, mask)[1], {}))
    torch.testing.assert_close(codec.reconstruct(wav, lengths)[0], continuous, atol=1e-6, rtol=1e-6)


def test_encode_resamples_other_rates(codec):
    # one second at 8 kHz, seeded and loud: the fresh debug codec puts quiet noise (x 0.1, drawn from whatever the
    # global RNG held) on silence's codes in every frame for ~1 draw in 5, and the last check then failed
    wav = torch.randn(1, 8000, generator=torch.Generator().manual_seed(0)) * 0.9
    codes, frames = codec.encode(wav, sample_rate=8000)
    assert frames.tolist() == [50]
    # the audio itself is resampled (with the project's resampler), not just its length
    at_16k = torch.from_numpy(resample(wav[0].numpy(), 8000, 16000))[None]
    expected, expected_frames = codec.encode(at_16k)
    assert torch.equal(frames, expected_frames) and torch.equal(codes, expected)
    assert not torch.equal(codes, codec.encode(torch.zeros_like(at_16k))[0])  # silence codes differently


def test_save_load_identical(codec, tmp_path):
    codec.save_pretrained(tmp_path / "c")
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["config.json", "model.safetensors"]
    assert json.loads((tmp_path / "c" / "config.json").read_text())["format_version"] == 1
    loaded = Codec.from_pretrained(tmp_path / "c")
    assert loaded.config == codec.config and loaded.fingerprint() == codec.fingerprint()
    wav = torch.randn(2, 2000) * 0.1
    codes, frames = codec.encode(wav)
    assert torch.equal(loaded.encode(wav)[0], codes)
    assert torch.equal(loaded.decode(codes, frames), codec.decode(codes, frames))
    assert make_codec(seed=1).fingerprint() != codec.fingerprint()


def test_grown_decoder_starts_as_the_source_codec_and_then_trains_its_new_blocks():
    source = make_codec(decoder_depth=1)
    for p in source.parameters():  # a source whose decoder is not at its initialisation
        p.data.add_(0.01 * torch.randn_like(p))
    grown = Codec(dataclasses.replace(source.config, decoder_depth=3)).load_grown(source).eval()
    wav = torch.randn(2, 4800) * 0.1
    codes, frames = source.encode(wav)
    assert torch.equal(grown.encode(wav)[0], codes)
    assert torch.allclose(grown.decode(codes, frames), source.decode(codes, frames), atol=1e-6)
    # the new blocks are identities, not dead: the mel loss reaches them through their output projections
    features, _ = grown.backbone(torch.randn(1, grown.config.decoder_dim, 20), torch.ones(1, 1, 20))
    features.pow(2).mean().backward()
    block = grown.backbone.blocks[2]
    assert block.proj.weight.grad.abs().sum() > 0 and block.mlp[-1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="with 3 decoder blocks into one with 1"):
        Codec(source.config).load_grown(grown)
    with pytest.raises(ValueError, match="do not fit"):
        Codec(dataclasses.replace(source.config, latent_dim=32, decoder_depth=3)).load_grown(source)


def test_wider_decoder_starts_as_the_source_codec_and_its_copies_then_part():
    source = make_codec(decoder_depth=2)  # 64 wide, 2 heads of 32
    for p in source.parameters():
        p.data.add_(0.01 * torch.randn_like(p))
    wide = Codec(dataclasses.replace(source.config, decoder_dim=128, decoder_heads=4, decoder_depth=3))
    wide.load_grown(source).eval()  # twice as wide and one block deeper at once
    wav = torch.randn(2, 4800) * 0.1
    codes, frames = source.encode(wav)
    assert torch.equal(wide.encode(wav)[0], codes)
    assert torch.allclose(wide.decode(codes, frames), source.decode(codes, frames), atol=1e-5)
    # inside, the residual stream is the source's with each channel twice
    x, mask = torch.randn(1, 64, 20), torch.ones(1, 1, 20)
    _, (h_source,) = source.backbone(x, mask, tap="last_block")
    features, (h_wide,) = wide.backbone(x.repeat_interleave(2, dim=1), mask, tap="last_block")
    assert torch.allclose(h_wide, h_source.repeat_interleave(2, dim=-1), atol=1e-5)
    # the copies get different gradients, so training parts them: the extra width is not dead
    features.pow(2).mean().backward()
    head_rows = wide.backbone.blocks[0].qkv.weight.grad[:64]  # the first two query heads: copies of source head 0
    assert not torch.allclose(head_rows[:32], head_rows[32:], rtol=1e-3)
    unit_rows = wide.backbone.blocks[0].mlp[0].weight.grad
    assert not torch.allclose(unit_rows[0::2], unit_rows[1::2], rtol=1e-3)
    with pytest.raises(ValueError, match="grown to a multiple of its width, not to 96"):
        Codec(dataclasses.replace(source.config, decoder_dim=96, decoder_heads=3)).load_grown(source)
    with pytest.raises(ValueError, match="grows to 128 wide with 4 heads"):
        Codec(dataclasses.replace(source.config, decoder_dim=128, decoder_heads=2)).load_grown(source)
    with pytest.raises(ValueError, match="not to 64"):  # narrowed: no
        Codec(dataclasses.replace(source.config, decoder_depth=3)).load_grown(wide)


def test_fresh_quantizer_takes_every_other_weight_from_the_source_at_any_codebook_size():
    source = make_codec()  # 256 codes: FSQ (4, 4, 4, 4)
    for p in source.parameters():
        p.data.add_(0.01 * torch.randn_like(p))
    wav = torch.randn(1, 4800) * 0.1
    for size in (64, 256):
        fresh = Codec(dataclasses.replace(source.config, codebook_size=size, fsq_levels=None))
        init = {k: w.clone() for k, w in fresh.state_dict().items()}
        fresh.load_grown(source, fresh_quantizer=True)
        for name, weight in fresh.state_dict().items():
            # the quantizer keeps its initialisation, even at the source's own size; all else is the source's
            expected = init[name] if name.startswith("quantizer.") else source.state_dict()[name]
            assert torch.equal(weight, expected), name
        assert fresh.eval().encode(wav)[0].max() < size
    with pytest.raises(ValueError, match="do not fit.*quantizer.fsq.project_in"):
        Codec(dataclasses.replace(source.config, codebook_size=64, fsq_levels=None)).load_grown(source)


def test_config_is_frozen_and_replaceable():
    config = CodecConfig.preset("debug")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.codebook_size = 4
    bigger = dataclasses.replace(config, codebook_size=4096, fsq_levels=None)
    assert bigger.levels == (4,) * 6 and bigger.sg_lambda == 10.0
    assert CodecConfig.preset("xcodec2").sg_lambda == 5.0 and CodecConfig.preset("xcodec2").levels == (4,) * 8
    with pytest.raises(ConfigError, match="unknown preset"):
        CodecConfig.preset("huge")


def test_relative_self_guidance_loss_is_scale_free_and_blind_to_a_constant_offset():
    torch.manual_seed(0)
    teacher = torch.randn(2, 12, 8)
    student = teacher + 0.1 * torch.randn(2, 12, 8)
    mask = torch.ones(2, 12)
    mask[1, 9:] = 0  # a padded item: its tail must not count
    relative = self_guidance_loss(student, teacher, mask, "relative")
    offset = 50 * torch.randn(1, 1, 8)  # the same vector in every frame: what the SG runaway grows
    assert torch.allclose(self_guidance_loss(student + offset, teacher + offset, mask, "relative"), relative, rtol=1e-4)
    assert torch.allclose(self_guidance_loss(10 * student, 10 * teacher, mask, "relative"), relative, rtol=1e-4)
    assert torch.allclose(self_guidance_loss(10 * student, 10 * teacher, mask, "mse"),
                          100 * self_guidance_loss(student, teacher, mask, "mse"), rtol=1e-4)  # the paper's is not
    padded = student.clone()
    padded[1, 9:] += 100
    assert torch.allclose(self_guidance_loss(padded, teacher, mask, "relative"), relative)
    varying = teacher - torch.stack([teacher[0].mean(0), teacher[1, :9].mean(0)])[:, None]  # per-item time means
    expected = masked_mse(student, teacher, mask) / masked_mse(varying, torch.zeros_like(varying), mask)
    assert torch.allclose(relative, expected, rtol=1e-5)
    student.requires_grad_(True)
    self_guidance_loss(student, teacher, mask, "relative").backward()
    assert student.grad.abs().sum() > 0


def test_centered_self_guidance_loss_gives_a_common_bias_no_gradient():
    """The SG runaway's mechanism: a weight that shifts student and teacher alike (here a bias added to both) gets
    the gradient 2 * mean(h_q - h_e) from the paper's loss at every step, although moving it cannot close the gap
    (the stop-gradient teacher moves with it); the centered loss gives it none, and still pulls h_q onto h_e."""
    torch.manual_seed(0)
    base_e = torch.randn(2, 12, 8)
    base_q = base_e + 0.3 + 0.1 * torch.randn(2, 12, 8)  # a systematic mean difference, as rounding leaves
    mask = torch.ones(2, 12)
    mask[1, 9:] = 0
    grads = {}
    for kind in ("mse", "centered", "relative"):
        bias = torch.zeros(1, 1, 8, requires_grad=True)
        self_guidance_loss(base_q + bias, base_e + bias, mask, kind).backward()
        grads[kind] = bias.grad.abs().max().item()
    assert grads["mse"] > 0.05 and grads["relative"] > 0.05 and grads["centered"] < 1e-6  # 2 * 0.3 / 8 channels
    student = base_q.clone().requires_grad_(True)
    centered = self_guidance_loss(student, base_e, mask, "centered")
    means = lambda x: torch.stack([x[0].mean(0), x[1, :9].mean(0)])[:, None]
    assert torch.allclose(centered, masked_mse(base_q - means(base_q), base_e - means(base_e), mask), rtol=1e-5)
    centered.backward()
    assert student.grad.abs().sum() > 0 and student.grad[1, 9:].abs().sum() == 0  # padding takes no gradient


def test_sg_loss_is_saved_only_when_chosen():
    """sg_loss came after codecs were first saved: at its default it stays out of config.json, so the fingerprints
    that token stores and LMs carry do not change."""
    config = CodecConfig.preset("debug")
    assert "sg_loss" not in config.to_dict() and config.sg_loss == "mse"
    relative = dataclasses.replace(config, sg_loss="relative")
    assert relative.to_dict()["sg_loss"] == "relative"
    assert CodecConfig.from_dict(json.loads(relative.to_json())) == relative
    assert CodecConfig.from_dict(json.loads(config.to_json())) == config
    with pytest.raises(ConfigError, match="sg_loss 'huber'"):
        dataclasses.replace(config, sg_loss="huber")


def test_bad_inputs_raise_clear_errors(codec):
    with pytest.raises(ValueError, match="shorter than one codec frame"):
        codec.encode(torch.randn(1, 100))
    with pytest.raises(ValueError, match="shorter than one codec frame"):
        codec.encode(torch.randn(2, 1000), torch.tensor([1000, 319]))
    with pytest.raises(ValueError, match=r"codes outside \[0, 256\)"):
        codec.decode(torch.tensor([[1, 2, 256]]))
    with pytest.raises(ValueError, match="codes outside"):
        codec.decode(torch.tensor([[-1, 2]]))
    codec.decode(torch.tensor([[1, 2, 999]]), torch.tensor([2]))  # codes past the length are ignored


def test_broken_model_dirs_raise_clear_errors(codec, tmp_path):
    with pytest.raises(CodecLoadError, match="not found"):
        Codec.from_pretrained(tmp_path / "nothing")
    good = codec.save_pretrained(tmp_path / "good")
    for name, damage in [("no_config", lambda d: (d / "config.json").unlink()),
                         ("no_weights", lambda d: (d / "model.safetensors").unlink()),
                         ("version", lambda d: (d / "config.json").write_text(
                             json.dumps({**json.loads((d / "config.json").read_text()), "format_version": 99}))),
                         ("mismatch", lambda d: (d / "config.json").write_text(
                             json.dumps({**json.loads((d / "config.json").read_text()), "decoder_dim": 32}))),
                         ("truncated", lambda d: (d / "model.safetensors").write_bytes(b"\x00" * 10))]:
        broken = tmp_path / name
        codec.save_pretrained(broken)
        damage(broken)
        with pytest.raises(CodecLoadError) as err:
            Codec.from_pretrained(broken)
        assert str(broken) in str(err.value), name
    assert Codec.from_pretrained(good).fingerprint() == codec.fingerprint()


def test_semantic_branch_with_tiny_ssl_model(tmp_path):
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    ssl_config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                conv_dim=(16, 16, 16, 16, 16, 16, 16), num_conv_pos_embeddings=16,
                                num_conv_pos_embedding_groups=2)
    Wav2Vec2Model(ssl_config).save_pretrained(tmp_path / "ssl")
    Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(tmp_path / "ssl")
    codec = make_codec(semantic_model=str(tmp_path / "ssl"), semantic_layer=1, semantic_dim=32).train()
    out = GeneratorForward(codec)(torch.randn(2, 3200) * 0.1, torch.tensor([3200, 2240]))
    assert set(out.losses) == {"mel", "sg", "semantic"} and float(out.losses["semantic"].detach()) > 0
    out.losses["semantic"].backward()
    assert codec.semantic_adapter.input.weight.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in codec.ssl.model.parameters())
    assert not any(k.startswith("ssl") for k in codec.state_dict())  # the frozen SSL model is not saved
    codec.save_pretrained(tmp_path / "codec")
    loaded = Codec.from_pretrained(tmp_path / "codec")
    wav = torch.randn(1, 3200) * 0.1
    assert torch.equal(loaded.encode(wav)[0], codec.encode(wav)[0])
    # an item's codes do not depend on its batch-mates: the padded batch gives each item its codes alone
    codec.eval()
    items = [torch.randn(3200) * 0.1, torch.randn(1600) * 0.1]
    batch = torch.stack([items[0], torch.nn.functional.pad(items[1], (0, 1600))])
    codes, frames = codec.encode(batch, torch.tensor([3200, 1600]))
    for i, x in enumerate(items):
        assert torch.equal(codes[i, : int(frames[i])], codec.encode(x[None])[0][0]), i
    # nor do the latents the codes are rounded from (the adapter's residual convs once read the padded frames)
    z_batch = codec.encode_latents(batch, torch.tensor([3200, 1600])).z_e
    for i, x in enumerate(items):
        z_alone = codec.encode_latents(x[None], torch.tensor([len(x)])).z_e
        torch.testing.assert_close(z_batch[i, : int(frames[i])], z_alone[0], rtol=1e-5, atol=1e-6)  # [B, F, C]
    # one codec frame (320 samples) is less than Wav2Vec2's receptive field (400): padded to it, not a crash
    assert codec.encode(torch.randn(2, 320) * 0.1)[0].shape == (2, 1)
    codec.freeze_tokenizer()  # the SSL model is a plain object, frozen and in eval mode already
    assert codec.tokenizer_frozen and not codec.semantic_adapter.training
    with pytest.raises(ValueError, match="hidden size 32"):
        make_codec(semantic_model=str(tmp_path / "ssl"), semantic_dim=64)


def test_fsq_quantization_error_is_measured_on_the_integer_grid():
    # The paper's QE (0.86 for 8 FSQ dimensions) is rounding error on FSQ's integer grid: <= 0.25 per dimension,
    # ~1/12 on average for spread-out inputs. Measured in FSQ's normalised [-1, 1] space it would be 4x smaller.
    from codec.quantizer import FSQQuantizer

    torch.manual_seed(0)
    q = FSQQuantizer(dim=16, levels=(4,) * 7)
    with torch.no_grad():
        z_e = q.project(torch.randn(4, 2000, 16))
        z_q, _, _ = q.round(z_e)
        per_dim = q.quantization_error(z_e, z_q) / 7
    assert per_dim.shape == (4, 2000)
    assert float(per_dim.max()) <= 0.25 + 1e-5
    assert 0.05 < float(per_dim.mean()) < 0.12


@pytest.mark.parametrize("preset", ["debug", "tiny"])
def test_fresh_fsq_codec_spreads_speech_over_codes(preset):
    # Regression: without the norm before FSQ's projection, a fresh codec rounded every frame to the centre code
    # (QE ~0.03, 1 code) and training at lr 1e-3 never left it.
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset(preset)).eval()
    t = torch.arange(16000) / 16000
    gen = torch.Generator().manual_seed(0)
    # gliding tones + noise at three levels: frames differ. (Three tones at one level gave the fresh debug codec 5
    # codes at seed 0, exactly the bound, and 1-3 at init seeds 1 and 3 with the norm in place; these 18 give 8-26
    # codes over init seeds 0-9, and 1 code without the norm.)
    wav = torch.stack([a * torch.sin(2 * torch.pi * f * t * (1 + t)) + 0.05 * torch.randn(16000, generator=gen)
                       for f in (120.0, 220.0, 400.0, 900.0, 2000.0, 4000.0) for a in (0.05, 0.3, 0.9)])
    with torch.no_grad():
        lat = codec.encode_latents(wav, torch.full((len(wav),), 16000))
    uniform = len(codec.config.levels) / 12  # mean ||z_e - z_q||^2 on the grid if rounding error were uniform
    assert float(codec.quantizer.quantization_error(lat.z_e, lat.z_q).mean()) > 0.3 * uniform
    assert lat.codes.unique().numel() >= 5


# -- persistence review (2026-12): float16 decoder storage, folder labels -----------------------------------------

def test_float16_decoder_storage_keeps_the_codes_and_the_tokenizer_fingerprint(tmp_path):
    """decoder_dtype=float16: the tokenizer's weights come back bitwise, the decoder's as their float16 rounding in
    float32 parameters; the codes and tokenizer_fingerprint() stay, the full fingerprint does not."""
    source = make_codec()
    for p in source.parameters():
        p.data.add_(0.01 * torch.randn_like(p))
    source.save_pretrained(tmp_path / "c", decoder_dtype=torch.float16)
    loaded = Codec.from_pretrained(tmp_path / "c")
    for name, weight in loaded.state_dict().items():
        kept = source.state_dict()[name]
        expected = kept if source.is_tokenizer_weight(name) or not kept.is_floating_point() else kept.half().float()
        assert weight.dtype == kept.dtype and torch.equal(weight, expected), name
    wav = torch.randn(2, 4800) * 0.1
    codes, frames = source.encode(wav)
    assert torch.equal(loaded.encode(wav)[0], codes)
    assert torch.allclose(loaded.decode(codes, frames), source.decode(codes, frames), atol=1e-3)
    assert loaded.tokenizer_fingerprint() == source.tokenizer_fingerprint()
    assert loaded.fingerprint() != source.fingerprint()


def test_folder_label_of_dot_and_dotdot_is_the_folder_they_name(tmp_path, monkeypatch):
    """`--codec .` was labelled "" and `--codec ..` "..": pipelines.evaluate joins the label to its output folder,
    so their results landed in codec/ itself or in the output folder's root."""
    from codec.export import folder_label

    final = tmp_path / "exp" / "codec-16384-sg" / "final"
    final.mkdir(parents=True)
    assert folder_label(final) == folder_label(f"{final}/") == "codec-16384-sg"
    assert folder_label(tmp_path / "exp" / "other") == "other"
    monkeypatch.chdir(final)
    assert folder_label(".") == folder_label("./") == folder_label("../final") == "codec-16384-sg"
    assert folder_label("..") == "codec-16384-sg"
    monkeypatch.chdir(tmp_path / "exp")
    assert folder_label(".") == "exp"


# -- VQ / semantic-branch review (2026-12): float32 VQ search under CPU autocast, SSL frame alignment --------------

def _tiny_wav2vec2(path, local: bool = False, sampling_rate: int = 16000) -> str:
    """A random 32-wide Wav2Vec2 saved to `path` (no download). local=True: per-frame conv norm and no waveform
    normalisation, so hidden_states[0] of a stretch of audio does not depend on audio far from it."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                            conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                            feat_extract_norm="layer" if local else "group", conv_bias=local)
    Wav2Vec2Model(config).save_pretrained(path)
    Wav2Vec2FeatureExtractor(sampling_rate=sampling_rate, do_normalize=not local).save_pretrained(path)
    return str(path)


def _tiny_w2v_bert(path) -> str:
    """A random 32-wide w2v-BERT (XCodec2's SSL family: fbank input, two 10 ms frames stacked per 20 ms frame)."""
    from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertConfig, Wav2Vec2BertModel

    torch.manual_seed(0)
    config = Wav2Vec2BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                output_hidden_size=32, conv_depthwise_kernel_size=3)
    Wav2Vec2BertModel(config).save_pretrained(path)
    SeamlessM4TFeatureExtractor().save_pretrained(path)
    return str(path)


def test_vq_codes_are_the_nearest_codewords_under_cpu_bf16_autocast():
    # vector-quantize-pytorch disables autocast around its distances on CUDA only: under CPU bf16 autocast
    # (--mixed-precision bf16) 2-5 % of frames got a code that is not their nearest, and z_q a bf16-rounded codeword
    quantizer = make_codec(quantizer="vq", codebook_size=256).quantizer.train()
    quantizer.vq._codebook.cluster_size.fill_(100.0)  # no dead-code replacement: the search alone
    codebook = quantizer.vq.codebook.clone()
    z_e = (torch.randn(8, 50, quantizer.code_dim) * 0.3).requires_grad_()
    nearest = torch.cdist(z_e.detach().double(), codebook.double()).argmin(-1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        z_q, codes, aux = quantizer.round(z_e, torch.ones(8, 50, dtype=torch.bool))
    assert torch.equal(codes, nearest)
    torch.testing.assert_close(z_q, codebook[nearest], rtol=0, atol=1e-6)
    assert aux["vq_commit"].dtype == torch.float32


@pytest.mark.parametrize("family", ["wav2vec2", "w2v-bert"])
def test_semantic_targets_are_aligned_to_codec_frames_not_stretched(tmp_path, family):
    # Both SSL families step 320 samples (50 Hz) but read a longer window, so unpadded they make one frame fewer than
    # the codec; stretching S -> S + 1 frames shifted frame j's target by ~j/S of a frame (codec frame 40 of 1 s
    # drew 0.81 of SSL frame 39). Aligned, the target of frame j does not depend on how much audio follows it.
    import functools

    from codec.semantic import SSLFeatures

    if family == "wav2vec2":
        ssl = SSLFeatures(_tiny_wav2vec2(tmp_path / "ssl", local=True), layer=0, expected_dim=32)
    else:  # its extractor normalises each mel bin over the utterance unless told not to
        ssl = SSLFeatures(_tiny_w2v_bert(tmp_path / "ssl"), layer=0, expected_dim=32)
        ssl.extractor = functools.partial(ssl.extractor, do_normalize_per_mel_bins=False)
    gen = torch.Generator().manual_seed(1)
    wav = torch.randn(1, 32000, generator=gen) * 0.1
    one_second = ssl(wav[:, :16000], torch.tensor([16000]), 50)[0]
    in_two_seconds = ssl(wav, torch.tensor([32000]), 100)[0, :, :50]
    # layer 0 sees +-8 frames (positional conv): compare the frames whose context the 1 s clip holds whole
    torch.testing.assert_close(one_second[:, :40], in_two_seconds[:, :40], rtol=1e-4, atol=1e-4)
    # the SSL makes exactly the codec's frame count, odd lengths included: nothing is interpolated
    for n in (320, 399, 3201, 16000):
        frames = -(-n // 320)
        padded = torch.nn.functional.pad(wav[:, :n], (0, frames * 320 - n))
        hidden = ssl._hidden_states(padded[0, :n], frames * 320, 320)
        assert hidden.shape == (1, 32, frames), (n, hidden.shape)


def test_semantic_branch_with_w2v_bert_takes_one_frame_items(tmp_path):
    # 320..399 samples (one codec frame, the shortest encode accepts) are less than one 25 ms fbank window: w2v-BERT
    # got zero frames and crashed in its attention
    from codec.objective import GeneratorForward

    codec = make_codec(semantic_model=_tiny_w2v_bert(tmp_path / "ssl"), semantic_layer=1, semantic_dim=32)
    for n in (320, 399):
        assert codec.encode(torch.randn(1, n) * 0.1)[0].shape == (1, -(-n // 320))
    out = GeneratorForward(codec.train())(torch.randn(2, 3200) * 0.1, torch.tensor([3200, 350]))
    assert float(out.losses["semantic"].detach()) > 0


def test_semantic_model_expecting_another_sample_rate_is_refused(tmp_path):
    from codec.semantic import SemanticError

    with pytest.raises(SemanticError, match="expects 24000 Hz"):
        make_codec(semantic_model=_tiny_wav2vec2(tmp_path / "ssl", sampling_rate=24000), semantic_layer=1,
                   semantic_dim=32)


# ---- public API input checking (review of encode/decode/from_pretrained arguments) -------------------------------
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32])
def test_decode_accepts_in_range_codes_of_narrow_integer_dtypes(codec, dtype):
    # codebook_size compared in the codes' own dtype wrapped (256 -> 0 in uint8) and refused valid codes
    codes = torch.tensor([[0, 1, 2, 100]])
    assert torch.equal(codec.decode(codes.to(dtype)), codec.decode(codes))
    wide = make_codec(codebook_size=65536)
    assert torch.equal(wide.decode(torch.tensor([[0, 1, 30000]], dtype=torch.int16)),
                       wide.decode(torch.tensor([[0, 1, 30000]])))


def test_empty_batches_and_bool_codes_raise_clear_errors(codec):
    with pytest.raises(ValueError, match="wav is an empty batch"):
        codec.encode(torch.zeros(0, 1000))
    with pytest.raises(ValueError, match="wav is an empty batch"):
        codec.reconstruct(torch.zeros(0, 1000))
    with pytest.raises(ValueError, match="codes is an empty batch"):
        codec.decode(torch.zeros(0, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="integer codes"):
        codec.decode(torch.ones(1, 5, dtype=torch.bool))


def test_a_single_clip_takes_an_int_length(codec):
    wav = torch.randn(1000)
    assert torch.equal(codec.encode(wav, 700)[0], codec.encode(wav[None], torch.tensor([700]))[0])
    codes, _ = codec.encode(wav)
    assert torch.equal(codec.decode(codes[0], 2), codec.decode(codes, torch.tensor([2])))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_from_pretrained_onto_missing_cuda_names_map_location_not_the_file(codec, tmp_path):
    codec.save_pretrained(tmp_path / "c")
    with pytest.raises(ValueError, match="map_location 'cuda'.*not available"):
        Codec.from_pretrained(tmp_path / "c", map_location="cuda")


def test_non_finite_audio_is_refused_and_whatever_lies_past_a_length_is_ignored(codec):
    # NaN or Inf within a length once came back as codes of -2^31, as if valid; NaN past a length (NaN * 0 = NaN)
    # reached the item's valid frames through the convolutions
    wav = torch.randn(2, 1600) * 0.1
    for bad in (float("nan"), float("inf")):
        broken = wav.clone()
        broken[1, 700] = bad
        for call in (codec.encode, codec.reconstruct, codec.diagnose):
            with pytest.raises(ValueError, match=r"NaN or Inf samples \(items \[1\]\)"):
                call(broken)
    padded = torch.full((2, 3200), float("nan"))
    padded[0], padded[1, :1600] = torch.randn(3200) * 0.1, wav[0]
    codes, frames = codec.encode(padded, torch.tensor([3200, 1600]))
    assert torch.equal(codes[1, :5], codec.encode(wav[0])[0][0])
    assert torch.isfinite(codec.reconstruct(padded, torch.tensor([3200, 1600]))[0]).all()


def test_samples_first_stereo_gets_a_short_error_that_names_the_layout(codec):
    # soundfile's [T, channels] read as T clips of 2 samples: the error listed all T lengths (48 kB for 1 s)
    with pytest.raises(ValueError, match=r"shorter than one codec frame.*\[T, channels\] audio must be made mono") as err:
        codec.encode(np.random.default_rng(0).standard_normal((16000, 2)).astype(np.float32))
    assert len(str(err.value)) < 400


def test_a_config_json_that_is_not_an_object_is_a_load_error_naming_the_file(codec, tmp_path):
    for text in ("[]", "null", '"debug"'):
        folder = codec.save_pretrained(tmp_path / "c")
        (folder / "config.json").write_text(text)
        with pytest.raises(CodecLoadError, match=r"config.json: a codec config is a JSON object"):
            Codec.from_pretrained(folder)


def test_config_values_of_the_wrong_kind_are_a_load_error_naming_the_field(codec, tmp_path):
    """A config.json rewritten by a tool that stores numbers as floats (64.0) or strings failed deep inside torch
    (TypeError from torch.empty), or loaded and failed later (a float sample rate in save_wav)."""
    cases = [("encoder_dim", 64.0, "encoder_dim 64.0: expected int, not float"),
             ("sample_rate", "16000", "sample_rate '16000': expected int, not str"),
             ("sg", 1, "sg 1: expected bool, not int"),
             ("strides", [2, 4.0], "strides (2, 4.0): expected tuple[int, ...], not tuple"),
             ("sg_weight", "5", "sg_weight '5': expected float | None, not str")]
    for field, value, message in cases:
        folder = codec.save_pretrained(tmp_path / "c")
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**config, field: value}))
        with pytest.raises(CodecLoadError) as err:
            Codec.from_pretrained(folder)
        assert str(err.value) == f"{folder / 'config.json'}: {message}"
    assert make_codec(sg_weight=5).config.sg_weight == 5  # an int where a float is asked: the same value
    # NumPy's scalars and arrays are numbers of those kinds (accepted before the check), kept as Python's own
    config = make_codec(codebook_size=np.int64(256), sg_weight=np.float32(5.0), strides=np.array([2, 4, 5, 8])).config
    assert type(config.codebook_size) is int and config.strides == (2, 4, 5, 8) and json.loads(config.to_json())


def test_a_sample_rate_or_lengths_that_are_not_whole_numbers_are_refused(codec):
    """soxr resampled from 22050.5 Hz as given, and float lengths were cut to whole samples without a word."""
    wav = torch.zeros(1, 3200)
    with pytest.raises(ValueError, match="sample_rate 22050.5: must be a whole number of Hz"):
        codec.encode(wav, sample_rate=22050.5)
    with pytest.raises(ValueError, match="sample_rate 0: must be at least 1 Hz"):
        codec.encode(wav, sample_rate=0)
    with pytest.raises(ValueError, match=r"lengths of torch.float32: must be whole sample counts"):
        codec.encode(wav, [1599.7])
    assert codec.encode(wav, sample_rate=np.int64(16000))[0].shape == (1, 10)


def test_export_of_a_checkpoint_that_does_not_fit_its_config_says_so(tmp_path):
    from safetensors.torch import save_model

    from codec.export import codec_from_checkpoint
    source = make_codec()
    save_model(GeneratorForward(source), str(tmp_path / "generator.safetensors"))
    state = {"format_version": 1, "step": 5, "codec_config": source.config.to_dict()}
    (tmp_path / "trainer_state.json").write_text(json.dumps(state))
    codec, step = codec_from_checkpoint(tmp_path)
    assert step == 5 and codec.fingerprint() == source.fingerprint()
    # a wrong shape was reported as "not a readable safetensors file"
    narrower = make_codec(decoder_dim=32).config.to_dict()
    (tmp_path / "trainer_state.json").write_text(json.dumps({**state, "codec_config": narrower}))
    with pytest.raises(CodecLoadError, match=r"generator.safetensors: weights do not match the config.*wrong shape"):
        codec_from_checkpoint(tmp_path)
    (tmp_path / "trainer_state.json").write_text(json.dumps({**state, "codec_config": [1]}))
    with pytest.raises(CodecLoadError, match="trainer_state.json: no readable codec config"):
        codec_from_checkpoint(tmp_path)  # was an AttributeError


def test_decoder_storage_in_an_integer_dtype_is_refused(codec, tmp_path):
    # torch.int8 once truncated the decoder's weights to (mostly) zeros, saved and loaded without a word
    for dtype in (torch.int8, "float16"):
        with pytest.raises(ValueError, match="decoder_dtype .*: expected a floating-point torch dtype"):
            codec.save_pretrained(tmp_path / "c", decoder_dtype=dtype)
    assert not (tmp_path / "c").exists()
    codec.save_pretrained(tmp_path / "c", decoder_dtype=torch.bfloat16)
    codes, frames = codec.encode(torch.randn(1, 1600) * 0.1)
    torch.testing.assert_close(Codec.from_pretrained(tmp_path / "c").decode(codes), codec.decode(codes), atol=2e-3, rtol=0)


# -- mutation-testing review (2026-12): the SG tap, the GAN losses, the training mel loss, codes past a length -----

def test_each_sg_tap_takes_the_features_it_names():
    """"last_block" is the last transformer block's output (not the first's), "all_blocks" every block's in order,
    "backbone" the final normalised output."""
    codec = make_codec(decoder_depth=3)
    outputs = []
    for block in codec.backbone.blocks:
        block.register_forward_hook(lambda module, args, out: outputs.append(out))
    x, mask = torch.randn(2, codec.config.decoder_dim, 6), torch.ones(2, 1, 6)
    with torch.no_grad():
        for tap in ("last_block", "all_blocks", "backbone"):
            outputs.clear()
            out, taps = codec.backbone(x, mask, tap)
            expected = {"last_block": outputs[-1:], "all_blocks": outputs, "backbone": [out]}[tap]
            assert len(outputs) == 3 and len(taps) == len(expected), tap
            assert all(torch.equal(a, b) for a, b in zip(taps, expected)), tap


def test_gan_losses_are_lsgan_and_feature_matching_weighs_every_feature_map_alike():
    from codec.objective import discriminator_loss, feature_matching_loss, generator_adv_loss

    ones, zeros = [torch.ones(3), torch.ones(2, 4)], [torch.zeros(3), torch.zeros(2, 4)]
    # the discriminators: real -> 1, fake -> 0; the generator: fake -> 1; summed over sub-discriminators
    assert float(discriminator_loss(ones, zeros)) == 0.0
    assert float(discriminator_loss(zeros, ones)) == 4.0
    assert float(discriminator_loss([torch.full((3,), 0.5)], [torch.full((3,), 0.5)])) == 0.5
    assert float(generator_adv_loss(ones)) == 0.0 and float(generator_adv_loss(zeros)) == 2.0
    # feature matching: L1 per feature map, the maps' mean times the number of discriminators, whatever their
    # layer counts (here 3 maps and 1 map); the real features are targets and get no gradient
    real = [[torch.zeros(2, 3), torch.zeros(5), torch.zeros(1, 4)], [torch.zeros(7)]]
    fake = [[torch.full((2, 3), 1.0, requires_grad=True), torch.full((5,), 3.0), torch.full((1, 4), 2.0)],
            [torch.full((7,), 2.0)]]
    assert float(feature_matching_loss(real, fake).detach()) == pytest.approx((1 + 3 + 2 + 2) / 4 * 2)
    real[0][0].requires_grad_(True)
    feature_matching_loss(real, fake).backward()
    assert real[0][0].grad is None and fake[0][0].grad is not None


def test_training_mel_loss_is_xcodec2s_seven_scale_loss_the_evaluation_measures():
    """multiscale_mel_loss sums the 7 scales' L1 of natural-log mels (hop = window / 4); pipelines.metrics'
    mel_distance (checked against XCodec2's own loss in tests/test_metrics.py) averages the same terms."""
    from codec.objective import MEL_SCALES
    from pipelines.metrics import MEL_BINS, MEL_WINDOWS, mel_distance

    assert MEL_SCALES == tuple(zip(MEL_WINDOWS, MEL_BINS))
    torch.manual_seed(0)
    real = torch.randn(1, 8000) * 0.1
    fake = real + torch.randn(1, 8000) * 0.03
    expected = len(MEL_SCALES) * mel_distance(real[0].numpy(), fake[0].numpy(), 16000)
    assert float(multiscale_mel_loss(fake, real, 16000)) == pytest.approx(expected, rel=1e-4)


def test_codes_past_each_length_are_zero(codec):
    torch.manual_seed(2)
    wav = torch.randn(2, 3200) * 0.3
    codes, frames = codec.encode(wav, torch.tensor([3200, 960]))
    assert frames.tolist() == [10, 3] and torch.all(codes[1, 3:] == 0)
    padded = codec.encode(torch.cat([wav[1:, :960], torch.zeros(1, 2240)], -1))[0]  # the same, as valid audio
    assert bool((padded[0, 3:] != 0).any())  # a code of 0 there is not what the encoder makes of the padding


def test_gan_losses_of_the_training_step_judge_the_generated_half():
    """The discriminators see real and generated audio in one batch [real; fake]: the generator's adversarial loss
    scores the second half, feature matching compares the halves, and the discriminators' loss gives the
    generator no gradient."""
    from codec.objective import discriminator_objective, generator_gan_losses

    class Stub(torch.nn.Module):  # one sub-discriminator: logits = the audio, one feature map = twice the audio
        def forward(self, x):
            return [x], [[2 * x]]

    real, fake = torch.ones(2, 8), torch.zeros(2, 8, requires_grad=True)
    losses = generator_gan_losses(Stub(), real, fake)
    assert float(losses["adv"].detach()) == 1.0 and float(losses["fm"].detach()) == 2.0
    disc = discriminator_objective(Stub(), real, fake)
    assert float(disc) == 0.0 and not disc.requires_grad


def test_training_quantization_error_is_the_mean_over_valid_frames():
    codec = make_codec().train()
    wav, lengths = torch.randn(2, 3200) * 0.1, torch.tensor([3200, 960])
    with torch.no_grad():
        out = GeneratorForward(codec)(wav, lengths)
        lat = codec.encode_latents(wav, lengths)
    per_frame = codec.quantizer.quantization_error(lat.z_e, lat.z_q)
    expected = torch.cat([per_frame[0], per_frame[1, :3]]).mean()
    assert float(per_frame[1, 3:].sum()) > 0  # the padded frames would count
    torch.testing.assert_close(out.quantization_error, expected, rtol=1e-5, atol=0)


# ---- where the SSL frames sit, a partial last frame, the semantic weight ----


def test_ssl_input_is_padded_to_centre_each_ssl_frame_on_its_codec_frame(tmp_path):
    """Wav2Vec2 reads 400 samples per 320-sample step: the utterance, zero-padded to whole codec frames, gets half the
    80-sample excess on each side, so SSL frame j covers codec frame j's 320 samples plus 40 either side (padding
    all of it after the audio would put every target 40 samples, an eighth of a frame, late)."""
    from codec.semantic import SSLFeatures

    ssl = SSLFeatures(_tiny_wav2vec2(tmp_path / "ssl", local=True), layer=0, expected_dim=32)
    assert (ssl.window, ssl.step) == (400, 320)
    seen, extractor = [], ssl.extractor
    ssl.extractor = lambda audio, **kwargs: (seen.append(audio[0].copy()), extractor(audio, **kwargs))[1]
    samples = torch.randn(3201, generator=torch.Generator().manual_seed(0)) * 0.1 + 0.5  # no zero among them
    hidden = ssl._hidden_states(samples, 11 * 320, 320)
    assert hidden.shape == (1, 32, 11)
    (fed,) = seen
    assert len(fed) == 40 + 11 * 320 + 40
    assert not fed[:40].any() and not fed[40 + 3201:].any()
    np.testing.assert_array_equal(fed[40:40 + 3201], samples.numpy())


def test_a_partial_last_codec_frame_gets_its_own_semantic_target(tmp_path):
    """3201 samples make 11 codec frames (the last holds one sample): the SSL features cover all 11, zero only past
    them, not 10 (a floor would leave the encoder's last frame without a target)."""
    from codec.semantic import SSLFeatures

    ssl = SSLFeatures(_tiny_wav2vec2(tmp_path / "ssl", local=True), layer=0, expected_dim=32)
    wav = torch.randn(2, 12 * 320, generator=torch.Generator().manual_seed(0)) * 0.1
    features = ssl(wav, torch.tensor([3201, 12 * 320]), 12)
    assert features.shape == (2, 32, 12)
    assert features[0, :, 10].abs().sum() > 0 and not features[0, :, 11].any()
    assert features[1, :, 11].abs().sum() > 0


def test_the_semantic_loss_has_xcodec2s_weight_beside_mel_15():
    """docs/XCODEC2.md: mel 15, adversarial 1, feature matching 1, semantic reconstruction 5 (when the branch is on)."""
    from codec.objective import loss_weights

    plain = CodecConfig.preset("debug")
    assert "semantic" not in loss_weights(plain)
    weights = loss_weights(CodecConfig.preset("debug", semantic_model="some/ssl"))
    assert {k: weights[k] for k in ("mel", "adv", "fm", "semantic")} == {"mel": 15.0, "adv": 1.0, "fm": 1.0, "semantic": 5.0}


def test_the_inference_api_refuses_what_it_would_get_wrong_and_leaves_the_training_mode_alone(tmp_path):
    """A review's findings, each of which went through without a word: a save into a folder of other files deleted
    them; float64 audio beyond float32 and finite audio far beyond [-1, 1] gave codes of -2^31; float frame lengths
    were cut (2.9 -> 2); an int8 weight loaded as zeros; a config.json that is not UTF-8 raised UnicodeDecodeError;
    encode left a training codec in eval mode (a VQ codebook's EMA stopped)."""
    codec = make_codec()
    (tmp_path / "mywork").mkdir()
    (tmp_path / "mywork" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="is not a codec folder"):
        codec.save_pretrained(tmp_path / "mywork")
    assert [p.name for p in (tmp_path / "mywork").iterdir()] == ["notes.txt"]
    wav = torch.randn(1, 3200) * 0.1
    with pytest.raises(ValueError, match="NaN or Inf samples"):
        codec.encode(torch.cat([wav.double(), torch.full((1, 1), 1e39, dtype=torch.float64)], 1))
    with pytest.raises(ValueError, match=r"items \[0\] overflows the encoder \(peak amplitude"):
        codec.encode(wav * 1e25)
    codes, lengths = codec.encode(wav)
    for bad in (torch.tensor([2.9]), torch.tensor([True])):
        with pytest.raises(ValueError, match="must be whole frame counts"):
            codec.decode(codes, bad)
    with pytest.raises(ValueError, match="shorter than one codec frame .*lengths \\[0\\] at items \\[0\\]$"):
        codec.encode(torch.zeros(0))  # an empty clip, not "[T, channels] audio must be made mono first"

    folder = codec.save_pretrained(tmp_path / "codec")
    weights = load_file(folder / "model.safetensors")
    name = next(k for k, v in weights.items() if v.is_floating_point())
    save_file({**weights, name: weights[name].to(torch.int8)}, str(folder / "model.safetensors"))
    with pytest.raises(CodecLoadError, match=f"weights of the wrong kind .*{re.escape(name)} torch.int8"):
        Codec.from_pretrained(folder)
    (folder / "config.json").write_bytes(b'{"sample_rate": 16000, "caf\xe9": 1}')
    with pytest.raises(CodecLoadError, match="config.json: not UTF-8 text"):
        Codec.from_pretrained(folder)

    training = make_codec().train()
    modes = {name: m.training for name, m in training.named_modules()}
    training.encode(wav), training.decode(codes), training.reconstruct(wav), training.diagnose(wav)
    assert {name: m.training for name, m in training.named_modules()} == modes and training.training
