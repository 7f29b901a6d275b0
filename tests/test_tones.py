"""Cue tones: one per events.TONES name, short, distinct, gentle, under the voice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from voicecoach.coach.events import TONES
from voicecoach.voice.speech import SPEECH_PEAK_DBFS, EspeakSpeaker
from voicecoach.voice.tones import TONE_PEAK_DBFS, tone


def db(x: float) -> float:
    return float(20 * np.log10(x))


def pitches(samples: np.ndarray, rate: int) -> list[int]:
    """The dominant frequency of each sounding 20 ms frame, rounded to 10 Hz."""
    n = rate // 50
    out = []
    for i in range(0, len(samples) - n, n):
        frame = samples[i : i + n]
        if np.sqrt(np.mean(frame**2)) < 0.01:
            continue
        spectrum = np.abs(np.fft.rfft(frame * np.hanning(n), 8 * n))
        out.append(round(np.argmax(spectrum) * rate / (8 * n), -1))
    return out


@pytest.mark.parametrize("name", TONES)
def test_every_cue_is_short_gentle_and_at_its_level(name: str) -> None:
    clip = tone(name)
    x = clip.samples()
    assert clip.kind == "tone"
    assert 0.05 <= clip.seconds <= 0.4
    assert db(np.max(np.abs(x))) == pytest.approx(TONE_PEAK_DBFS, abs=0.1)
    peak = np.max(np.abs(x))
    # No clicks: it fades in and out (first and last 2 ms quiet) and never jumps more
    # than its own waveform can move (fundamental plus 15 % second harmonic).
    edge = round(0.002 * clip.rate)
    assert np.max(np.abs(x[:edge])) < 0.1 * peak
    assert np.max(np.abs(x[-edge:])) < 0.1 * peak
    assert np.max(np.abs(np.diff(x))) < 2 * np.pi * 1320 * 1.3 / clip.rate * peak
    assert all(600 <= p <= 1400 for p in pitches(x, clip.rate))


def test_cues_are_distinct() -> None:
    shapes = {name: tuple(pitches(tone(name).samples(), 22050)) for name in TONES}
    for a, b in itertools.combinations(TONES, 2):
        assert shapes[a] != shapes[b], f"{a} and {b} sound alike"
    # Start of a hold rises, release falls: the direction carries the meaning.
    assert shapes["hold_start"][0] < shapes["hold_start"][-1]
    assert shapes["release"][0] > shapes["release"][-1]


def test_cues_follow_the_volume_and_other_rates() -> None:
    quiet = tone("rep", volume=0.5).samples()
    assert db(np.max(np.abs(quiet))) == pytest.approx(TONE_PEAK_DBFS + db(0.5), abs=0.1)
    assert tone("countdown", rate=48000).seconds == pytest.approx(
        tone("countdown").seconds, abs=1e-4
    )
    with pytest.raises(ValueError, match="unknown tone"):
        tone("fanfare")


@pytest.mark.slow
def test_a_cue_stands_out_over_speech_without_drowning_it() -> None:
    speaker = EspeakSpeaker(volume=1.0)
    speech = speaker.render("Breathe in, and slowly bring your right knee towards your chest.")
    s = speech.samples()
    assert db(np.max(np.abs(s))) == pytest.approx(SPEECH_PEAK_DBFS, abs=0.1)
    frames = s[: len(s) // 441 * 441].reshape(-1, 441)  # 20 ms
    rms = np.sqrt(np.mean(frames**2, axis=1))
    voiced = rms[rms > 0.01]
    band = np.fft.rfftfreq(len(s), 1 / speech.rate)
    power = np.abs(np.fft.rfft(s)) ** 2
    in_band = power[(band >= 600) & (band <= 1400)].sum() / power.sum()
    for name in TONES:
        t = tone(name).samples()
        level = np.sqrt(np.mean(t[np.abs(t) > 1e-3] ** 2))
        # Never drowns the voice: no louder than the loud syllables.
        assert db(level) < db(np.percentile(voiced, 90))
        # Audible over it: well above the voice's own energy in the cue's band.
        assert db(level) > db(np.median(voiced) * np.sqrt(in_band)) + 6
