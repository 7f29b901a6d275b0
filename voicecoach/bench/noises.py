"""Benchmark noise beyond pink: speech-like babble (a TV, people talking) and a reverberant room.

Babble is made of espeak-ng talkers that are *not* the benchmark's test voices (British,
Scottish, Caribbean, RP, West Midlands, New York accents with male and female variants),
each reading its own stretch of ordinary text at its own rate, mixed four at a time: it
sounds like a room or a TV talk show, and Silero VAD rightly calls it speech.  The track is
made once per corpus (seeded) and each file gets a different stretch of it.  Reverb is
sox's `reverb` (a living room with hard walls), applied to the whole clip.
"""

from __future__ import annotations

import math
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from voicecoach.voice import synth

RATE = 16000

#: espeak-ng voices for the babble (none of them is in voicecoach.voice.synth.DEFAULT_VOICES).
BABBLE_VOICES = (
    "en-gb+m2",
    "en-gb-scotland+f2",
    "en-029+m4",
    "en-gb-x-rp+f4",
    "en-gb-x-gbcwmd+m5",
    "en-us-nyc+f5",
)

#: Ordinary talk for the babble: a weather report, a recipe, a match, a soap.
BABBLE_TEXT = [
    "good evening and here is the weather for the week ahead. rain will spread from the "
    "west overnight, heavy at times over the hills, clearing by the morning to sunny spells",
    "now take two cups of flour and a pinch of salt, rub in the butter until it looks like "
    "breadcrumbs, then add the milk a little at a time and bring it together into a dough",
    "and he's through on goal, just the keeper to beat, oh and it's hit the post. what a "
    "chance that was, the manager will be furious, they have to take those",
    "i told you she was never going to come back, did you really think she would? we have "
    "been waiting in this kitchen for three hours and nobody has even called",
    "the council meeting on tuesday voted to close the library on sundays, a decision that "
    "local residents say will hit families and older people hardest",
    "in the garden this week we are planting out the tomatoes, making sure they get plenty "
    "of water and a sheltered spot against the fence",
]


def _speak(text: str, voice: str, speed: int, path: Path) -> np.ndarray:
    wav, raw = path.with_suffix(".wav"), path.with_suffix(".raw")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    x = np.frombuffer(synth.to_pcm(wav, raw), "<i2").astype(np.float64)
    return x / (np.sqrt(np.mean(x**2)) or 1.0)


def babble_track(seconds: float = 60.0, talkers: int = 4, seed: int = 0) -> np.ndarray:
    """`talkers` voices talking over each other for `seconds`, unit RMS (float64)."""
    rng = random.Random(seed)
    n = int(seconds * RATE)
    mix = np.zeros(n)
    with tempfile.TemporaryDirectory(prefix="vc-babble-") as tmp:
        for k in range(talkers):
            voice = BABBLE_VOICES[k % len(BABBLE_VOICES)]
            parts: list[np.ndarray] = []
            length = 0
            while length < n:
                text = rng.choice(BABBLE_TEXT)
                x = _speak(text, voice, rng.randint(140, 180), Path(tmp) / f"t{k}-{len(parts)}")
                parts.append(x)
                parts.append(np.zeros(int(rng.uniform(0.1, 0.6) * RATE)))  # breaths
                length += len(x) + len(parts[-1])
            talker = np.concatenate(parts)
            shift = rng.randrange(len(talker))
            mix += np.roll(talker, shift)[:n] * rng.uniform(0.6, 1.0)
    return mix / (np.sqrt(np.mean(mix**2)) or 1.0)


def speech_power(x: np.ndarray) -> float:
    """Active speech power (as voice.synth.add_noise: frames within 30 dB of the loudest)."""
    frame = 320
    frames = x[: len(x) // frame * frame].reshape(-1, frame) if len(x) >= frame else x[None, :]
    energies = np.mean(frames**2, axis=1)
    speech = energies[energies > 0.001 * energies.max()] if energies.max() > 0 else energies
    return float(np.mean(speech)) if len(speech) else 0.0


def add_babble(pcm: bytes, snr_db: float, track: np.ndarray, seed: int = 0) -> bytes:
    """Mix a seeded stretch of the babble `track` into `pcm` at `snr_db` (active speech level
    against the babble's average level)."""
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    if len(x) == 0:
        return pcm
    start = random.Random(seed).randrange(max(1, len(track) - len(x)))
    noise = np.resize(track[start:], len(x))
    power = speech_power(x)
    scale = math.sqrt(power / 10 ** (snr_db / 10)) if power > 0 else 100.0
    y = x + noise * scale
    return np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes()


def add_reverb(pcm: bytes, reverberance: int = 60, room_scale: int = 100) -> bytes:
    """A reverberant room (sox `reverb`, wet and dry mixed), same length, peak at -3 dBFS."""
    with tempfile.TemporaryDirectory(prefix="vc-reverb-") as tmp:
        src, out = Path(tmp) / "in.raw", Path(tmp) / "out.raw"
        src.write_bytes(pcm)
        fmt = ["-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw"]
        subprocess.run(
            [
                "sox",
                "-R",  # the same dither every run (see synth.to_pcm)
                *fmt,
                str(src),
                *fmt,
                str(out),
                "reverb",
                str(reverberance),
                "50",
                str(room_scale),
                "gain",
                "-n",
                "-3",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        y = out.read_bytes()
    return y[: len(pcm)] + b"\0" * max(0, len(pcm) - len(y))
