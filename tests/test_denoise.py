"""The streaming denoiser: exact reconstruction, noise removed, streaming = one-shot."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.hear.denoise import DELAY_SAMPLES, Denoiser, DenoiseSettings, denoise

RATE = 16000


def pcm(x: np.ndarray) -> bytes:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").tobytes()


def samples(b: bytes) -> np.ndarray:
    return np.frombuffer(b, "<i2").astype(np.float64) / 32768.0


def snr_db(ref: np.ndarray, est: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(ref**2) / np.sum((est - ref) ** 2)))


@pytest.fixture
def tones_in_noise() -> tuple[np.ndarray, np.ndarray]:
    """2 s of noise alone, then 2 s of on/off tones (speech-like bursts) in the same noise."""
    rng = np.random.default_rng(1)
    t = np.arange(4 * RATE) / RATE
    bursts = (np.sin(2 * np.pi * 3 * t) > 0) & (t > 2.0)
    clean = 0.2 * (np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 1250 * t)) * bursts
    return clean, clean + 0.05 * rng.standard_normal(len(t))


def test_output_is_the_input_when_no_gain_is_applied():
    x = samples(pcm(np.random.default_rng(0).standard_normal(RATE) * 0.1))
    d = Denoiser(DenoiseSettings(floor=1.0, comfort=0.0))  # analysis + synthesis only
    first = samples(d.process(pcm(x)))
    assert len(first) == len(x) - DELAY_SAMPLES
    out = np.concatenate([first, samples(d.flush())])
    assert np.array_equal(out, x)


def test_steady_noise_is_reduced(tones_in_noise):
    clean, noisy = tones_in_noise
    out = samples(denoise(pcm(noisy)))
    speech = slice(2 * RATE, None)  # after the estimator has heard 2 s of room noise
    assert snr_db(clean[speech], out[speech]) > snr_db(clean[speech], noisy[speech]) + 6
    quiet = slice(int(1.0 * RATE), 2 * RATE)
    assert np.std(out[quiet]) < 0.7 * np.std(noisy[quiet])  # the defaults are mild
    strong = samples(denoise(pcm(noisy), DenoiseSettings(oversubtract=1.0, floor=0.1)))
    assert np.std(strong[quiet]) < min(0.45 * np.std(noisy[quiet]), np.std(out[quiet]))


def test_clean_signal_passes_nearly_unchanged(tones_in_noise):
    clean, _ = tones_in_noise
    tiny = clean + 1e-4 * np.random.default_rng(2).standard_normal(len(clean))
    out = samples(denoise(pcm(tiny)))
    speech = slice(2 * RATE, None)
    assert snr_db(clean[speech], out[speech]) > 25


def test_digital_silence_stays_silent_without_comfort_noise():
    assert denoise(bytes(2 * RATE), DenoiseSettings(comfort=0.0)) == bytes(2 * RATE)


def test_comfort_noise_gives_silence_a_floor():
    out = samples(denoise(bytes(2 * RATE), DenoiseSettings(comfort=30.0)))
    assert abs(np.std(out) * 32768 - 30.0) < 3.0
    assert denoise(bytes(2 * RATE), DenoiseSettings(comfort=30.0)) == pcm(out)  # seeded


def test_odd_chunk_sizes_give_the_one_shot_output(tones_in_noise):
    _, noisy = tones_in_noise
    data = pcm(noisy)
    whole = Denoiser()
    expected = whole.process(data) + whole.flush()
    d = Denoiser()
    rng = np.random.default_rng(3)
    got, pos = b"", 0
    while pos < len(data):
        n = int(rng.integers(1, 5000))  # odd byte counts split samples too
        got += d.process(data[pos : pos + n])
        pos += n
    got += d.flush()
    assert got == expected
    assert len(got) == len(data)


def test_output_lags_by_a_fixed_delay_whatever_the_chunk_sizes():
    d = Denoiser()
    assert d.delay == DELAY_SAMPLES / RATE <= 0.032
    fed = out = 0
    for n in (100, 700, 3200, 1, 511, 4096, 300):
        out += len(d.process(bytes(2 * n))) // 2
        fed += n
        assert fed - out == min(fed, DELAY_SAMPLES)
    assert len(d.flush()) // 2 == fed - out


def test_reset_forgets_the_noise():
    rng = np.random.default_rng(4)
    d = Denoiser()
    d.process(pcm(0.1 * rng.standard_normal(RATE)))
    assert d.noise.max() > 0
    d.reset()
    assert d.noise.max() == 0
    assert d.process(b"") == b""
    assert d.flush() == b""


def test_noise_estimate_follows_a_louder_fan_within_the_window():
    rng = np.random.default_rng(5)
    d = Denoiser(DenoiseSettings(window=1.0))
    d.process(pcm(0.01 * rng.standard_normal(RATE)))
    quiet = d.noise.mean()
    d.process(pcm(0.1 * rng.standard_normal(2 * RATE)))
    assert d.noise.mean() > 30 * quiet


def test_comfort_noise_is_white_with_unit_rms():
    from voicecoach.hear.denoise import COMFORT_TABLE

    t = COMFORT_TABLE()
    assert np.sqrt(np.mean(t**2)) == pytest.approx(1.0, abs=0.01)
    assert abs(np.corrcoef(t[:-1], t[1:])[0, 1]) < 0.02  # no ramp, no hum
    spectrum = np.abs(np.fft.rfft(t[:4096]))
    assert spectrum[: len(spectrum) // 2].mean() == pytest.approx(
        spectrum[len(spectrum) // 2 :].mean(), rel=0.1
    )  # as much treble as bass


def test_a_file_with_little_lead_in_is_quietened_and_keeps_the_voice():
    # What `recognize` hands the denoiser: one utterance with half a second of room before it.
    from voicecoach.voice.synth import add_noise

    t = np.arange(RATE) / RATE
    burst = np.concatenate([np.zeros(8000), 0.3 * np.sin(2 * np.pi * 500 * t), np.zeros(8000)])
    clean = pcm(burst)
    noisy = add_noise(clean, 10.0, seed=3)
    cleaned = denoise(noisy)
    assert len(cleaned) == len(noisy)  # time-aligned: transcripts keep the file's times
    gap = slice(0, 7000)  # the silent lead-in: noise only
    assert np.std(samples(cleaned)[gap]) < 0.85 * np.std(samples(noisy)[gap])
    voice = slice(RATE, 2 * RATE)
    assert np.std(samples(cleaned)[voice]) > 0.9 * np.std(samples(clean)[voice])
