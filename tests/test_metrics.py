"""Metrics: WER (normalized, corpus vs per-utterance), bootstrap CIs, PESQ/STOI/mel and cepstral distance, codebook usage."""
import math
import warnings

import numpy as np
import pytest

from lm.normalize import normalize_text
from pipelines.metrics import (bootstrap_ci, cepstral_distance, codebook_stats, f0_track, mel_distance, pitch_scores, pesq_scores, stoi_score, summarize,
                               wer_report)

SR = 16000


def speechlike(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """A harmonic 'voice' (f0 ~120 Hz, 29 harmonics) in 3 Hz syllable bursts: enough for PESQ's voice detector."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * np.cumsum(120 + 20 * np.sin(2 * np.pi * 0.7 * t)) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 30))
    x = x * np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) ** 0.5 + 0.01 * rng.standard_normal(t.size)
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def with_noise(x: np.ndarray, snr_db: float, seed: int = 1) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(x.size)
    return (x + noise * np.sqrt((x ** 2).mean() / 10 ** (snr_db / 10))).astype(np.float32)


# ----------------------------------------------------------------------------------------------------------- WER


def test_wer_normalizes_case_and_punctuation():
    report = wer_report(["Hello, World!"], ["hello world"])
    assert report["wer"] == 0.0 and report["mean_utterance_wer"] == 0.0
    assert report["per_utterance"][0]["reference"] == normalize_text("Hello, World!") == "hello world"


def test_wer_spells_numbers_through_the_normalizer():
    assert wer_report(["I have 2 cats."], ["i have two cats"])["wer"] == 0.0


@pytest.mark.parametrize("text, spoken", [
    ("1,234,567 people", "one million two hundred thirty four thousand five hundred sixty seven people"),
    ("1,2,3", "one two three"),  # commas out of the thousands places separate numbers
    ("-5 degrees", "minus five degrees"),
    ("pages 1-2", "pages one two"),
    ("$3.50 or $3.999", "three dollars fifty cents or three point nine nine nine dollars"),
    ("1/2 cup, ½ cup, 3/4 and 2/3", "one half cup one half cup three quarters and two thirds"),
    ("24/7 on 12/25/2020", "twenty four seven on twelve twenty five twenty twenty"),
    # a lone whole number between 1000 and 3000 is read as a year (flite, which speaks our corpora, does too)
    ("In 1990, 1905, 1900, 2005, 2010 and 1066", "in nineteen ninety nineteen oh five nineteen hundred two thousand "
                                                 "five twenty ten and ten sixty six"),
    ("1,500 or 1500 or 1990.5 or 12345", "one thousand five hundred or fifteen hundred or one thousand nine hundred "
                                         "ninety point five or twelve thousand three hundred forty five"),
    ("the 1990s, the 1800s, the '60s and the 2000s", "the nineteen nineties the eighteen hundreds the sixties and "
                                                     "the two thousands"),
    ("agent 007", "agent zero zero seven"),
    # times of day (the digits alone read "twelve zero five"); a ratio and h:mm:ss are left to the plain numbers
    ("at 12:05, 7:45 or 10:00; 10:00 pm", "at twelve oh five seven forty five or ten o'clock ten pm"),
    ("a 2:1 ratio at 12:05:30", "a two one ratio at twelve zero five thirty"),
    ("don\u02bct", "don't"),  # U+02BC, the modifier-letter apostrophe, was dropped: "don t"
])
def test_normalizer_reads_numbers_as_people_say_them(text, spoken):
    assert normalize_text(text) == spoken


@pytest.mark.parametrize("text", ["$" + "9" * 5000, "9" * 5000 + "th", "9" * 5000 + ".5", "9" * 5000])
def test_normalizer_reads_very_long_numbers_digit_by_digit(text):
    """Python refuses int() of over 4300 digits: such input must still be read, not raise deep inside."""
    words = normalize_text(text).split()
    assert len(words) >= 5000 and set(words) <= {"nine", "dollars", "th", "point", "five"}


def test_wer_one_substitution_in_four_words():
    report = wer_report(["the cat sat down"], ["the dog sat down"])
    assert report["wer"] == pytest.approx(0.25)
    assert (report["substitutions"], report["deletions"], report["insertions"]) == (1, 0, 0)
    assert report["n_reference_words"] == 4


def test_corpus_wer_and_mean_utterance_wer_differ_as_expected():
    # A 1-word utterance fully wrong (WER 1) and a 9-word utterance perfect (WER 0):
    # corpus = 1 error / 10 words = 0.1; per-utterance mean = (1 + 0) / 2 = 0.5.
    refs = ["yes", "one two three four five six seven eight nine"]
    hyps = ["no", "one two three four five six seven eight nine"]
    report = wer_report(refs, hyps)
    assert report["wer"] == pytest.approx(0.1)
    assert report["mean_utterance_wer"] == pytest.approx(0.5)
    assert [u["wer"] for u in report["per_utterance"]] == [1.0, 0.0]
    assert report["n_utterances"] == 2


def test_wer_insertions_and_deletions_counted():
    report = wer_report(["a b c d"], ["a b c d e f"])
    assert report["insertions"] == 2 and report["wer"] == pytest.approx(0.5)
    report = wer_report(["a b c d"], [""])
    assert report["deletions"] == 4 and report["wer"] == 1.0


def test_wer_empty_reference_counts_insertions_but_skips_utterance_mean():
    report = wer_report(["...", "the cat"], ["uh huh", "the cat"])
    assert report["n_empty_references"] == 1
    assert report["per_utterance"][0]["wer"] is None
    assert report["wer"] == pytest.approx(2 / 2)  # 2 insertions over 2 reference words
    assert report["mean_utterance_wer"] == 0.0  # only the non-empty reference counts
    with pytest.raises(ValueError, match="all 1 references are empty"):
        wer_report(["!!!"], ["hello"])


def test_wer_rejects_mismatched_lengths_and_single_strings():
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        wer_report(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="not a single string"):
        wer_report("a b", "a b")


def test_wer_rows_carry_their_utterance_ids():
    report = wer_report(["one two", "one two"], ["one two", "one"], ids=["slt-1", "rms-1"])
    assert [(r["id"], r["errors"]) for r in report["per_utterance"]] == [("slt-1", 0), ("rms-1", 1)]
    assert "id" not in wer_report(["one two"], ["one"])["per_utterance"][0]
    with pytest.raises(ValueError, match="1 ids for 2 references"):
        wer_report(["a", "b"], ["a", "b"], ids=["x"])


def test_wer_of_some_utterances_is_the_report_of_those_alone():
    from pipelines.metrics import wer_of_utterances

    refs, hyps, ids = ["one two", "three four five", "six"], ["one", "three four five", "seven eight"], ["a", "b", "c"]
    whole = wer_report(refs, hyps, ids=ids)
    assert wer_of_utterances(whole, ["a", "c"]) == wer_report([refs[0], refs[2]], [hyps[0], hyps[2]], ids=["a", "c"])
    with pytest.raises(ValueError, match="1 of the 2 ids are not in the report \\(e.g. 'z'\\)"):
        wer_of_utterances(whole, ["a", "z"])
    with pytest.raises(ValueError, match="carry no ids"):
        wer_of_utterances(wer_report(refs, hyps), ["a"])


def test_wer_ci_contains_estimate_and_is_seeded():
    rng = np.random.default_rng(0)
    words = "alpha beta gamma delta epsilon zeta eta theta".split()
    refs, hyps = [], []
    for _ in range(40):
        ref = list(rng.choice(words, size=8))
        hyp = [w if rng.random() > 0.2 else "wrong" for w in ref]
        refs.append(" ".join(ref))
        hyps.append(" ".join(hyp))
    a, b = wer_report(refs, hyps, seed=3), wer_report(refs, hyps, seed=3)
    assert a["wer_ci"] == b["wer_ci"]
    assert a["wer_ci"][0] < a["wer"] < a["wer_ci"][1]
    assert a["mean_utterance_wer_ci"][0] < a["mean_utterance_wer"] < a["mean_utterance_wer_ci"][1]
    assert 0.1 < a["wer"] < 0.3


# ----------------------------------------------------------------------------------------------- bootstrap, summary


def test_bootstrap_ci_contains_mean_and_narrows_with_more_data():
    rng = np.random.default_rng(0)
    small, large = rng.normal(5, 1, 20), rng.normal(5, 1, 2000)
    lo_s, hi_s = bootstrap_ci(small)
    lo_l, hi_l = bootstrap_ci(large)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    assert (hi_l - lo_l) < (hi_s - lo_s) / 5  # ~sqrt(100) = 10x narrower in theory


def test_bootstrap_ci_custom_statistic_without_axis_and_edge_cases():
    values = np.arange(1.0, 101.0)
    lo, hi = bootstrap_ci(values, statistic=lambda v: float(np.median(v)), n=200)
    assert lo < 50.5 < hi
    assert bootstrap_ci([3.0]) == (3.0, 3.0)
    with pytest.raises(ValueError, match="no values"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="1 of 3 values are NaN"):
        bootstrap_ci([1.0, float("nan"), 2.0])


def test_summarize():
    s = summarize(np.arange(101.0))
    assert s["mean"] == 50.0 and s["median"] == 50.0 and s["n"] == 101
    assert s["p90"] == pytest.approx(90.0) and s["p99"] == pytest.approx(99.0)
    assert s["std"] == pytest.approx(np.arange(101.0).std())


# -------------------------------------------------------------------------------------------------- signal metrics


def test_pesq_stoi_mel_at_maxima_for_identical_signals():
    x = speechlike()
    scores = pesq_scores(x, x, SR)
    assert scores["pesq_wb"] == pytest.approx(4.644, abs=0.01)
    assert scores["pesq_nb"] == pytest.approx(4.549, abs=0.01)
    assert stoi_score(x, x, SR) == pytest.approx(1.0, abs=1e-6)
    assert mel_distance(x, x, SR) == pytest.approx(0.0, abs=1e-6)
    assert cepstral_distance(x, x, SR) == pytest.approx(0.0, abs=1e-6)
    assert cepstral_distance(x, 0.5 * x, SR) < 0.01  # a gain is no envelope change
    # nor with digital silence between the sounds: a fixed log floor made a gain of 0.5 cost 0.16 there
    paused = np.concatenate([x, np.zeros(SR // 5, np.float32), x])
    assert cepstral_distance(paused, 0.5 * paused, SR) < 1e-4 and cepstral_distance(paused, 0.25 * paused, SR) < 1e-4


def test_signal_metrics_fall_monotonically_with_noise():
    x = speechlike()
    degraded = [with_noise(x, snr) for snr in (30, 15, 0)]
    pesq_wb = [pesq_scores(x, y, SR)["pesq_wb"] for y in degraded]
    stoi = [stoi_score(x, y, SR) for y in degraded]
    mel = [mel_distance(x, y, SR) for y in degraded]
    cepstral = [cepstral_distance(x, y, SR) for y in degraded]
    assert pesq_wb[0] > pesq_wb[1] > pesq_wb[2] and pesq_wb[0] < 4.0
    assert 1.0 > stoi[0] > stoi[1] > stoi[2]
    assert 0.0 < mel[0] < mel[1] < mel[2]
    assert 0.0 < cepstral[0] < cepstral[1] < cepstral[2]


def test_metrics_trim_to_shorter_and_resample():
    x = speechlike()
    assert stoi_score(x, np.concatenate([x, np.ones(4000, np.float32)]), SR) == pytest.approx(1.0, abs=1e-6)
    assert mel_distance(x[:-100], x, SR) == pytest.approx(0.0, abs=1e-6)
    from codec.audio import resample
    x24 = resample(x, SR, 24000)
    assert pesq_scores(x24, x24, 24000)["pesq_wb"] == pytest.approx(4.644, abs=0.01)


def test_pesq_silent_reference_returns_nan_with_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = pesq_scores(np.zeros(2 * SR, np.float32), speechlike(2.0), SR)
    assert math.isnan(scores["pesq_wb"]) and math.isnan(scores["pesq_nb"])
    assert any("found no speech" in str(w.message) for w in caught)


def test_pesq_silent_degraded_signal_returns_nan_with_warning_not_a_crash():
    """A decoder that outputs digital silence: PESQ's level alignment divides by the degraded power and the pesq
    library died with a bare "cannot convert float NaN to integer", stopping the whole evaluation."""
    x = speechlike(2.0)
    for silent in (np.zeros_like(x), np.full_like(x, 1e-40)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scores = pesq_scores(x, silent, SR)
        assert math.isnan(scores["pesq_wb"]) and math.isnan(scores["pesq_nb"])
        assert sum("degraded signal without measurable power" in str(w.message) for w in caught) == 2
    assert pesq_scores(x, 1e-3 * with_noise(np.zeros_like(x) + 1e-3, 0), SR)["pesq_wb"] < 1.5  # faint: scored


def test_mel_distance_converts_to_xcodec2_mel_loss():
    """XCodec2's criterions/mel_loss.py: torchaudio MelSpectrogram(power=1.0, Slaney) at the 7 scales, clamp 1e-5,
    .pow(1.0).log10(), L1 mean per scale, summed over scales; reimplemented here on torch.stft."""
    import torch

    from codec.audio import mel_filterbank
    from pipelines.metrics import MEL_BINS, MEL_WINDOWS, XCODEC2_MEL_LOSS_FACTOR

    def mel_magnitude(x, window, n_mels):
        spec = torch.stft(torch.from_numpy(x)[None], window, window // 4, window, torch.hann_window(window),
                          center=True, pad_mode="reflect", return_complex=True).abs()
        return (mel_filterbank(window, n_mels, SR) @ spec)[0].clamp(1e-5).log10()

    x = speechlike()
    for snr in (30, 5):
        y = with_noise(x, snr)
        xcodec2 = sum(float((mel_magnitude(x, w, m) - mel_magnitude(y, w, m)).abs().mean())
                      for w, m in zip(MEL_WINDOWS, MEL_BINS))
        assert mel_distance(x, y, SR) * XCODEC2_MEL_LOSS_FACTOR == pytest.approx(xcodec2, rel=1e-4)
    assert XCODEC2_MEL_LOSS_FACTOR == pytest.approx(3.04, abs=0.005)


def test_signal_metrics_reject_bad_input():
    x = speechlike(1.0)
    with pytest.raises(ValueError, match="mono"):
        stoi_score(np.stack([x, x]), x, SR)
    with pytest.raises(ValueError, match="NaN or Inf"):
        mel_distance(x, np.full_like(x, np.nan), SR)


@pytest.mark.parametrize("seconds", [0.2, 0.3])
def test_clips_too_short_to_score_give_nan_not_a_score_or_an_error(seconds):
    """PESQ refuses under 0.25 s and pystoi answers 1e-5 under ~0.4 s of speech: neither may stop an evaluation
    or enter an average as a score."""
    x = speechlike(seconds)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stoi = stoi_score(x, x, SR)
        pesq = pesq_scores(x, x, SR)
    assert math.isnan(stoi)
    assert any("under 30 speech frames" in str(w.message) for w in caught)
    if seconds < 0.25:
        assert math.isnan(pesq["pesq_wb"]) and math.isnan(pesq["pesq_nb"])
        assert any("needs at least 0.25 s" in str(w.message) for w in caught)


# ------------------------------------------------------------------------------------------------------- codebooks


def _voiced(f0: np.ndarray, sr: int = 16000) -> np.ndarray:
    """A harmonic tone whose F0 follows `f0` (one value per sample), three harmonics, with a silent second."""
    phase = 2 * np.pi * np.cumsum(f0) / sr
    tone = sum(np.sin(k * phase) / k for k in (1, 2, 3))
    return np.concatenate([0.3 * tone, np.zeros(sr)]).astype(np.float32)


def test_f0_track_follows_a_gliding_tone_and_marks_silence_unvoiced():
    sr = 16000
    f0 = np.linspace(110, 220, 2 * sr)  # a two-second glide, then one second of silence
    track = f0_track(_voiced(f0), sr)
    centres = np.arange(len(track)) * 320 + 512  # frame centres in samples (20 ms hop, 64 ms window)
    inside = centres < 2 * sr - 512
    assert np.isfinite(track[inside]).mean() > 0.95
    expected = f0[np.minimum(centres[inside], 2 * sr - 1)]
    assert np.nanmedian(np.abs(track[inside] / expected - 1)) < 0.02
    assert np.isnan(track[centres > 2 * sr + 512]).all()
    noise = np.random.default_rng(0).standard_normal(sr).astype(np.float32)
    assert np.isfinite(f0_track(noise, sr)).mean() < 0.1


def test_pitch_scores_separate_kept_shifted_and_lost_pitch():
    sr = 16000
    f0 = 140 + 30 * np.sin(2 * np.pi * 1.5 * np.arange(2 * sr) / sr)  # intonation: 110-170 Hz
    ref = _voiced(f0)
    same = pitch_scores(ref, ref, sr)
    assert same == {"f0_corr": pytest.approx(1.0), "gross_pitch_error": 0.0, "voicing_error": 0.0}
    shifted = pitch_scores(ref, _voiced(f0 * 1.35), sr)  # the contour kept, 35 % too high
    assert shifted["f0_corr"] > 0.9 and shifted["gross_pitch_error"] > 0.9
    flat = pitch_scores(ref, _voiced(np.full_like(f0, 140.0)), sr)  # monotone at the mean pitch
    assert np.isnan(flat["f0_corr"]) or flat["f0_corr"] < 0.3
    whisper = pitch_scores(ref, np.random.default_rng(0).standard_normal(len(ref)).astype(np.float32) * 0.1, sr)
    assert whisper["voicing_error"] > 0.5 and np.isnan(whisper["gross_pitch_error"])
    with pytest.raises(ValueError, match="pitch_scores: deg contains NaN"):
        pitch_scores(ref, np.full_like(ref, np.nan), sr)


def test_codebook_stats_uniform_vs_single_code():
    uniform = codebook_stats(np.tile(np.arange(256), 4), 256)
    assert uniform["usage"] == 1.0 and uniform["n_used"] == 256
    assert uniform["entropy_bits"] == pytest.approx(8.0)
    assert uniform["perplexity"] == pytest.approx(256.0)
    single = codebook_stats([7] * 100, 256)
    assert single["usage"] == pytest.approx(1 / 256) and single["perplexity"] == pytest.approx(1.0)
    assert single["entropy_bits"] == 0.0
    half = codebook_stats(np.arange(128).reshape(8, 16), 256)  # any shape, flattened
    assert half["usage"] == 0.5 and half["perplexity"] == pytest.approx(128.0)


def test_codebook_stats_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"outside \[0, 4\)"):
        codebook_stats([0, 1, 4], 4)
    with pytest.raises(ValueError, match="no codes"):
        codebook_stats([], 4)


def test_autocorrelation_at_one_hop_flags_a_frame_rate_comb():
    from pipelines.metrics import autocorrelation_at

    t = np.arange(32000) / 16000
    comb = sum(np.sin(2 * np.pi * 50 * k * t + k) for k in range(1, 40))  # repeats every 320 samples
    voice = np.sin(2 * np.pi * np.cumsum(170 + 20 * np.sin(2 * np.pi * 3 * t)) / 16000)  # a gliding 170 Hz voice
    noise = np.random.default_rng(0).normal(size=t.size)
    assert autocorrelation_at(comb, 320) > 0.98  # (T - lag) / T of it: the overlap shrinks
    assert abs(autocorrelation_at(noise, 320)) < 0.05 and abs(autocorrelation_at(voice, 320)) < 0.5
    with pytest.raises(ValueError, match="lag 320"):
        autocorrelation_at(noise[:100], 320)


def test_common_finite_means_average_every_condition_over_the_same_utterances():
    from pipelines.metrics import common_finite_means

    means, n = common_finite_means({"a": [1.0, 2.0, float("nan"), 4.0], "b": [3.0, float("nan"), 5.0, 8.0]})
    assert n == 2 and means == {"a": 2.5, "b": 5.5}  # utterances 0 and 3 only, for both
    means, n = common_finite_means({"a": [float("nan")], "b": [1.0]})
    assert n == 0 and np.isnan(means["a"]) and np.isnan(means["b"])


@pytest.mark.parametrize("text, spoken", [
    (".5 percent", "zero point five percent"),  # was "five percent": the point dropped as punctuation
    ("$.99", "zero dollars ninety nine cents"),  # was "ninety nine"
    ("-.5", "minus zero point five"),  # was "five"
    ("v1.2.3 and end.5", "v one point two three and end five"),  # a point after a word or number: unchanged
])
def test_normalizer_reads_a_number_that_starts_at_its_decimal_point(text, spoken):
    from lm.normalize import normalize_text

    assert normalize_text(text) == spoken


# -- mutation-testing review (2026-12): ratio CIs resample pairs, PESQ-NB at 8 kHz --------------------------------

def test_ratio_cis_resample_numerator_and_denominator_together():
    """Corpus WER and the grouped frame mean are ratios of sums: a resample draws utterances, each with its errors
    and its words (frames), together. Where every utterance has the same ratio, every resample has it too."""
    from pipelines.metrics import grouped_mean_ci

    refs = [" ".join(["word"] * n) for n in (4, 8, 12, 16, 20, 24)]
    hyps = [" ".join(["word"] * (n - n // 4)) for n in (4, 8, 12, 16, 20, 24)]  # a quarter deleted
    report = wer_report(refs, hyps, n_bootstrap=200)
    assert report["wer"] == 0.25 and report["wer_ci"] == pytest.approx((0.25, 0.25))
    sizes = np.array([3, 40, 7, 90, 12, 1])
    assert grouped_mean_ci(np.full(sizes.sum(), 2.5), sizes, n=200) == pytest.approx((2.5, 2.5))


def test_pesq_nb_is_narrow_band_pesq_at_8_khz():
    from pesq import pesq

    from codec.audio import resample

    x = speechlike()
    y = with_noise(x, 10)
    at_8k = [resample(s, SR, 8000).astype(np.float64) for s in (x, y)]
    assert pesq_scores(x, y, SR)["pesq_nb"] == pytest.approx(pesq(8000, *at_8k, "nb"), abs=1e-4)
    assert pesq_scores(x, y, SR)["pesq_wb"] == pytest.approx(pesq(SR, x.astype(np.float64), y.astype(np.float64), "wb"),
                                                             abs=1e-4)


def test_bootstrap_ci_covers_its_confidence():
    """A 95 % CI holds 95 % of the resampled statistics (here 1000 resamples: 25 fall below, 25 above); a
    90 % CI is narrower."""
    rng = np.random.default_rng(3)
    values = rng.normal(0, 1, 200)
    low, high = bootstrap_ci(values, n=1000, seed=0)
    stats = values[np.random.default_rng(0).integers(0, 200, size=(1000, 200))].mean(1)
    assert ((stats >= low) & (stats <= high)).mean() == pytest.approx(0.95, abs=0.003)
    low90, high90 = bootstrap_ci(values, n=1000, seed=0, confidence=0.9)
    assert low < low90 < high90 < high


@pytest.mark.parametrize("text,spoken", [
    ("$1.01, $3.5, $1 and $2.05", "one dollar one cent three dollars fifty cents one dollar and two dollars five cents"),
    ("£1.01 and €1.10", "one pound one penny and one euro ten cents"),
    ("the 20th, 30th and 90th", "the twentieth thirtieth and ninetieth"),
])
def test_normalizer_reads_cents_singulars_and_tens_ordinals(text, spoken):
    assert normalize_text(text) == spoken


@pytest.mark.parametrize("text,spoken", [
    # a comma after an amount read its thousands digit by digit ("five zero zero zero dollars")
    ("It cost $5,000, and more", "it cost five thousand dollars and more"),
    ("£2,500, or so", "two thousand five hundred pounds or so"),
    # a scale word after the amount ("five dollars million", "two dollars fifty cents billion")
    ("$5 million and $2.5 billion", "five million dollars and two point five billion dollars"),
    ("$1.5m, €2bn and $5k", "one point five million dollars two billion euros and five thousand dollars"),
    ("$-5, 5€ and 100 £", "minus five dollars five euros and one hundred pounds"),
    ("let $x=5$ hold", "let x equals five hold"),  # the dollar after a number closes TeX math: no currency
    # mixed fractions and superscripts: NFKC made 1½ "11⁄2" and 10² "102"
    ("Bake for 1½ hours, 2¾ cups", "bake for one and one half hours two and three quarters cups"),
    ("10² m, 5 km², 2¹⁰, 10⁻³ and (a+b)²", "ten squared m five km squared two to the power of ten ten to the power "
                                          "of minus three and a plus b squared"),
    ("³⁄₄ cup, ¹/₂ and Smith¹", "three quarters cup one half and smith one"),  # fractions and footnotes: as before
    ("1.5 m²/s, E = mv²/2, m s⁻² and 1¹/₂ cups", "one point five m squared s e equals mv squared two m s to the power "
                                              "of minus two and one and one half cups"),  # an exponent before a slash
    # letters without a decomposition were dropped, splitting the word
    ("Straße, Łódź, æther, Øre", "strasse lodz aether ore"),
    ("don´t, don`t, don′t", "don't don't don't"),
    ("1000s of people, 100s of them, wait 10s", "thousands of people hundreds of them wait ten s"),
    ("5 ms. and 10ms, Ms. Smith", "five milliseconds and ten milliseconds miss smith"),
    ("Mr Smith, Mrs Jones, Dr Who on Baker Dr", "mister smith missus jones doctor who on baker dr"),
])
def test_normalizer_reads_amounts_fractions_powers_and_letters_as_spoken(text, spoken):
    """Found by a randomized round against a hand-written speller (2026-12-07); each read wrongly before."""
    assert normalize_text(text) == spoken


def test_voicing_error_counts_frames_voiced_in_either_signal_alone():
    """Voiced in the degraded signal where the reference is silent counts as much as the reverse."""
    from pipelines.metrics import pitch_scores

    sr, n = 16000, 16000
    t = np.arange(n) / sr
    tone = 0.3 * np.sin(2 * np.pi * 150 * t)
    half = np.where(t < 0.5, 0.0, tone)  # silent, then voiced
    forward = pitch_scores(half, tone, sr)["voicing_error"]  # deg voiced where ref is not
    backward = pitch_scores(tone, half, sr)["voicing_error"]  # ref voiced where deg is not
    assert 0.35 < forward < 0.6 and forward == pytest.approx(backward)
    assert pitch_scores(tone, tone, sr)["voicing_error"] == 0.0


def test_f0_of_harmonic_rich_voices_is_their_pitch_not_a_sub_harmonic():
    """At whole-sample lags the high harmonics of a period that is not a whole number of samples stop lining up:
    94 of 321 steady pulse trains of 80-400 Hz read at half or a third of their pitch (135 Hz as 67.5), and a codec
    that kept the pitch but cut the top band was charged a gross pitch error of 1.0."""
    from pipelines.metrics import f0_track, pitch_scores

    sr, t = 16000, np.arange(16000) / 16000

    def pulse_train(f0: float, top: float = 8000.0) -> np.ndarray:
        x = sum(np.cos(2 * np.pi * k * f0 * t) for k in range(1, int((min(top, sr / 2) - 1) // f0) + 1))
        return (0.5 * x / np.abs(x).max()).astype(np.float32)

    for f0 in (83, 101, 135, 177, 233, 300, 347, 395):
        assert np.nanmedian(f0_track(pulse_train(f0), sr)) == pytest.approx(f0, rel=0.03), f0
    scores = pitch_scores(pulse_train(300), pulse_train(300, top=4000), sr)  # the same pitch, the top band gone
    assert scores["gross_pitch_error"] == 0.0 and scores["voicing_error"] == 0.0
