"""Cue tones, generated in code: short, distinct, gentle.

Each cue is a few sine notes between 660 and 1320 Hz (E5..E6), where a small speaker is
loud and the ear is sensitive, yet above the bulk of a voice's energy (fundamental and
first formant, below ~700 Hz), so a cue stands out over speech without being loud.
Peaks sit at TONE_PEAK_DBFS, 15 dB under the speech peak (speech.SPEECH_PEAK_DBFS): a
sine's peak is only 3-4 dB above its RMS, speech's is 20 dB above, so the cue is about as
loud as an average syllable and 5 dB under the loud ones, yet 10 dB over the voice's own
energy in the cue's band.  Cues scale with the same volume, so this holds at any volume.
Every note has a raised-cosine attack and release: no clicks.
See docs/audio-output.md for the measurements behind the levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicecoach.coach.events import TONES
from voicecoach.voice.speech import Clip

TONE_PEAK_DBFS = -18.0
"""Peak level of a cue at volume 1.0."""
RAMP_SECONDS = 0.012
"""Attack and release of every note (raised cosine); long enough to avoid clicks."""


@dataclass(frozen=True)
class Note:
    """One note of a cue: a pitch for a while, then (maybe) a pause."""

    hz: float
    seconds: float
    gap: float = 0.0
    """Silence after the note."""


#: The cues: rising for "begin", falling for "let go", a short tick for counting.
CUES: dict[str, tuple[Note, ...]] = {
    "hold_start": (Note(660, 0.12, 0.03), Note(990, 0.2)),
    "countdown": (Note(880, 0.09),),
    "release": (Note(990, 0.12, 0.03), Note(660, 0.2)),
    "rep": (Note(1320, 0.06),),
    "rest_over": (Note(660, 0.09, 0.02), Note(880, 0.09, 0.02), Note(1320, 0.15)),
}
assert set(CUES) == set(TONES), "every events.TONES name needs a cue"


def note(hz: float, seconds: float, rate: int) -> np.ndarray:
    """A sine at full scale with a raised-cosine attack and release."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    # A touch of the second harmonic makes it rounder on a small speaker than a bare sine.
    wave = np.sin(2 * np.pi * hz * t) + 0.15 * np.sin(4 * np.pi * hz * t)
    ramp = min(round(RAMP_SECONDS * rate), n // 2)
    envelope = np.ones(n)
    if ramp:
        rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        envelope[:ramp] = rise
        envelope[n - ramp :] = rise[::-1]
    return wave * envelope


def tone(name: str, rate: int = 22050, volume: float = 1.0) -> Clip:
    """The cue `name` (one of events.TONES) as a Clip of kind "tone".

    `volume` is the speaking volume (0..1): cues follow it so they stay under the voice.
    """
    if name not in CUES:
        raise ValueError(f"unknown tone {name!r}; known: {', '.join(TONES)}")
    parts: list[np.ndarray] = []
    for n in CUES[name]:
        parts.append(note(n.hz, n.seconds, rate))
        parts.append(np.zeros(round(n.gap * rate)))
    samples = np.concatenate(parts)
    peak = float(np.max(np.abs(samples)))
    samples *= 10 ** (TONE_PEAK_DBFS / 20) * max(0.0, min(volume, 1.0)) / peak
    return Clip.from_samples(samples, rate, kind="tone")
