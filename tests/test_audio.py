import numpy as np
import pytest
import soundfile as sf
import torch

from codec.audio import (AudioError, audio_info, load_audio, log_mel_spectrogram, mel_filterbank, resample, save_wav,
                         to_mono)


def tone(freq: float, rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_load_resamples_and_downmixes(tmp_path, rate, channels):
    x = tone(440, rate)
    # channels x and 0.5 x: their mean, 0.75 x, tells averaging apart from taking either channel
    data = np.stack([x, 0.5 * x], axis=1) if channels > 1 else x
    gain = 0.75 if channels > 1 else 1.0
    path = tmp_path / "t.wav"
    sf.write(path, data, rate)
    y = load_audio(path, 16000)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 8000) <= 1  # 0.5 s at 16 kHz
    # Same tone after resampling: compare with a 16 kHz rendering away from the edges.
    ref = gain * tone(440, 16000)
    n = min(len(y), len(ref))
    assert np.abs(y[200 : n - 200] - ref[200 : n - 200]).max() < 2e-3


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_round_trip_formats(tmp_path, fmt):
    x = tone(300, 16000)
    path = tmp_path / f"t.{fmt.lower()}"
    sf.write(path, x, 16000, format=fmt)
    y = load_audio(path)
    assert len(y) == len(x)
    tolerance = 0.05 if fmt == "OGG" else 1e-3  # vorbis is lossy
    assert np.abs(y - x).max() < tolerance


def test_save_wav_round_trip(tmp_path):
    x = tone(200, 16000)
    save_wav(tmp_path / "sub" / "x.wav", torch.from_numpy(x), 16000)
    y = load_audio(tmp_path / "sub" / "x.wav", 16000)
    assert np.abs(y - x).max() < 1e-4
    assert audio_info(tmp_path / "sub" / "x.wav") == (len(x), 16000)


def test_mp3_round_trip(tmp_path):
    if "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile has no MP3 support")
    x = tone(300, 16000, 1.0)
    sf.write(tmp_path / "t.mp3", x, 16000, format="MP3")
    y = load_audio(tmp_path / "t.mp3", 16000)
    assert abs(len(y) - len(x)) < 2000 and np.abs(y).max() > 0.3


def bad_files(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_bytes(b"this is not audio at all, just some text bytes " * 20)
    good = tmp_path / "good.wav"
    sf.write(good, tone(440, 16000), 16000)
    (tmp_path / "truncated.wav").write_bytes(good.read_bytes()[:30])  # cut inside the header
    # cut in its data (a copy or a disk that filled up): libsndfile reads the 0.1 s left as if it were all
    (tmp_path / "cut.wav").write_bytes(good.read_bytes()[:44 + 3200])
    sf.write(tmp_path / "nosamples.wav", np.zeros(0, np.float32), 16000)
    nan = tone(440, 16000)
    nan[100] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 16000, subtype="FLOAT")
    inf = tone(440, 16000)
    inf[5] = np.inf
    sf.write(tmp_path / "inf.wav", inf, 16000, subtype="FLOAT")
    return {
        "missing.wav": "not found",
        "empty.wav": "empty file",
        "text.wav": "not a readable audio file",
        "truncated.wav": "not a readable audio file",
        "cut.wav": "cut short (3244 bytes; its data ends at byte 16044)",
        "é" * 200 + ".wav": "cannot be read (File name too long)",  # an OSError, not a crash mid-corpus
        "nosamples.wav": "no samples",
        "nan.wav": "NaN or Inf",
        "inf.wav": "NaN or Inf",
    }


def test_bad_inputs_raise_audio_error_naming_file_and_reason(tmp_path):
    for name, reason in bad_files(tmp_path).items():
        with pytest.raises(AudioError) as err:
            load_audio(tmp_path / name, 16000)
        assert name in str(err.value) and reason in str(err.value), str(err.value)


def test_a_wav_is_cut_short_only_where_its_data_chunk_runs_past_the_end(tmp_path):
    """The check compares the data chunk's end with the file, not the RIFF size: a RIFF size overstated (a LIST chunk
    after the samples dropped without updating it) leaves every sample there; an RF64 file cut short is cut short."""
    import struct

    x = tone(440, 16000)
    sf.write(tmp_path / "w.wav", x, 16000, subtype="PCM_16")
    whole = (tmp_path / "w.wav").read_bytes()
    (tmp_path / "riff_overstated.wav").write_bytes(whole[:4] + struct.pack("<I", len(whole) + 100) + whole[8:])
    assert load_audio(tmp_path / "riff_overstated.wav").shape == x.shape
    sf.write(tmp_path / "r.wav", x, 16000, subtype="PCM_16", format="RF64")
    rf64 = (tmp_path / "r.wav").read_bytes()
    assert rf64[:4] == b"RF64" and load_audio(tmp_path / "r.wav").shape == x.shape
    (tmp_path / "rf64_cut.wav").write_bytes(rf64[:1500])
    with pytest.raises(AudioError, match=r"rf64_cut.wav: cut short \(1500 bytes; its data ends at byte \d+\)"):
        load_audio(tmp_path / "rf64_cut.wav")


def test_integer_pcm_is_scaled_as_soundfile_reads_it_and_a_click_that_resamples_to_nothing_is_refused(tmp_path):
    """to_mono took scipy's int16 samples as floats 32768 times too loud (Codec.encode refuses int16 and points to
    to_mono); a sample or two at 48 kHz resampled to an empty array, which load_audio returned as audio."""
    from codec.audio import to_mono

    sf.write(tmp_path / "pcm.wav", tone(440, 16000), 16000, subtype="PCM_16")
    as_int = sf.read(tmp_path / "pcm.wav", dtype="int16")[0]
    assert np.array_equal(to_mono(as_int, 16000), load_audio(tmp_path / "pcm.wav"))
    assert to_mono(np.array([0, 128, 255], np.uint8), 16000).tolist() == [-1.0, 0.0, 127 / 128]
    for dtype in (np.uint16, np.int64):  # no PCM format: a list of Python ints would be scaled by 2^63
        with pytest.raises(AudioError, match=f"{np.dtype(dtype).name} samples: expected float, or PCM"):
            to_mono(np.zeros(10, dtype), 16000)
    sf.write(tmp_path / "click.wav", np.array([0.5], np.float32), 48000)
    with pytest.raises(AudioError, match="click.wav: 1 sample\\(s\\) at 48000 Hz leave none at 16000 Hz"):
        load_audio(tmp_path / "click.wav", 16000)


def test_directory_is_not_audio(tmp_path):
    with pytest.raises(AudioError, match="directory"):
        load_audio(tmp_path)


def test_save_refuses_non_finite(tmp_path):
    with pytest.raises(AudioError, match="NaN"):
        save_wav(tmp_path / "x.wav", np.array([0.0, np.nan], np.float32), 16000)


def test_channels_first_arrays_and_batches_are_refused_not_scrambled(tmp_path):
    # to_mono read [channels, T] as 2 samples of 16000 channels; save_wav wrote a batch [B, T] as one clip
    stereo = np.random.default_rng(0).standard_normal((2, 16000)).astype(np.float32) * 0.1
    with pytest.raises(AudioError, match=r"more channels than samples: expected \[T, channels\]"):
        to_mono(stereo, 16000)
    assert to_mono(stereo.T, 16000).shape == (16000,)
    with pytest.raises(AudioError, match=r"x.wav: expected mono audio \[T\], got shape \(2, 16000\)"):
        save_wav(tmp_path / "x.wav", torch.from_numpy(stereo), 16000)
    assert not (tmp_path / "x.wav").exists()
    save_wav(tmp_path / "y.wav", stereo[:1], 16000)  # one clip [1, T] is mono
    assert sf.info(str(tmp_path / "y.wav")).frames == 16000


def test_resample_length():
    x = np.random.default_rng(0).standard_normal(44100).astype(np.float32)
    assert abs(len(resample(x, 44100, 16000)) - 16000) <= 1


def test_mel_filterbank_matches_slaney_properties():
    fb = mel_filterbank(1024, 80, 16000)
    assert fb.shape == (80, 513)
    assert (fb >= 0).all()
    assert (fb.sum(dim=1) > 0).all()  # no empty filter at this resolution
    peaks = fb.argmax(dim=1)
    assert (peaks[1:] >= peaks[:-1]).all()  # centres rise with the index


def test_mel_filterbank_of_an_odd_fft_size_weighs_each_bin_at_its_own_frequency():
    """The bins were spaced as if the last sat at Nyquist, which an odd size's does not (bin 200 of 401 is at
    7980 Hz, not 8000): weights up to 44 % off. Bin k of 401 lies where bin 2k of 802 does."""
    odd, even = mel_filterbank(401, 40, 16000), mel_filterbank(802, 40, 16000)
    assert torch.allclose(odd, even[:, ::2][:, : odd.shape[1]], atol=1e-6)


@pytest.mark.parametrize("n_fft,hop,n_mels", [(1024, 256, 80), (32, 8, 5), (2048, 512, 320)])
def test_log_mel_shapes_and_batching(n_fft, hop, n_mels):
    wav = torch.randn(3, 16000)
    mel = log_mel_spectrogram(wav, 16000, n_fft, hop, n_mels)
    assert mel.shape == (3, n_mels, 16000 // hop + 1)
    single = log_mel_spectrogram(wav[1], 16000, n_fft, hop, n_mels)
    assert torch.allclose(mel[1], single, atol=1e-5)


def test_log_mel_peak_at_tone_frequency_and_differentiable():
    wav = torch.from_numpy(tone(1000, 16000, 1.0))[None].requires_grad_()
    mel = log_mel_spectrogram(wav, 16000, 1024, 256, 80)
    fb = mel_filterbank(1024, 80, 16000)
    expected_band = int(fb[:, round(1000 * 1024 / 16000)].argmax())
    assert abs(int(mel[0, :, 10:-10].mean(-1).argmax()) - expected_band) <= 1
    mel.sum().backward()
    assert torch.isfinite(wav.grad).all() and wav.grad.abs().sum() > 0


def test_a_mel_spectrogram_first_taken_in_inference_mode_still_trains():
    """The filterbank is cached: made first under torch.inference_mode (evaluation, synthesis), it was an inference
    tensor, and the next training step in the process failed ("Inference tensors cannot be saved for backward")."""
    from codec.audio import log_mel_spectrogram, mel_filterbank

    mel_filterbank.cache_clear()
    wav = torch.randn(1, 4000)
    with torch.inference_mode():
        log_mel_spectrogram(wav, 16000, n_fft=512, hop_length=128, n_mels=40)
    trained = wav.clone().requires_grad_(True)
    log_mel_spectrogram(trained, 16000, n_fft=512, hop_length=128, n_mels=40).sum().backward()
    assert trained.grad is not None and torch.isfinite(trained.grad).all()


def test_save_wav_writes_full_scale_16_bit_samples(tmp_path):
    # float x -> round(x * 32768), clipped to the int16 range: -1.0 is -32768 and 0.75 is 24576 exactly
    save_wav(tmp_path / "a.wav", np.array([0.5, -0.5, 0.75, -1.0, 1.0, 1.5, -1.5], np.float32), 16000)
    samples, rate = sf.read(tmp_path / "a.wav", dtype="int16")
    assert rate == 16000 and samples.tolist() == [16384, -16384, 24576, -32768, 32767, 32767, -32768]
