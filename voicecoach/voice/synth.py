"""Synthetic speech for tests and benchmarks: flite and espeak-ng voices, noise, padding.

Everything comes back as 16 kHz mono int16 PCM (sox does the resampling), so a test can
feed it straight into a recognizer or write it to a WAV in a directory it owns.  Noise is
seeded, so a corpus is the same on every run.  Several voices matter: PocketSphinx hears
flite's voices far better than espeak's robotic ones, and tuning to one voice lies.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

RATE = 16000


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker: which program, which voice, how fast."""

    name: str
    program: str  # "flite" or "espeak-ng"
    voice: str
    slow: bool = False


VOICES: dict[str, Voice] = {
    v.name: v
    for v in (
        Voice("slt", "flite", "slt"),
        Voice("rms", "flite", "rms"),
        Voice("awb", "flite", "awb"),
        Voice("kal16", "flite", "kal16"),
        Voice("slt-slow", "flite", "slt", slow=True),
        Voice("espeak-us", "espeak-ng", "en-us"),
        Voice("espeak-f3", "espeak-ng", "en-us+f3"),
        Voice("espeak-m3", "espeak-ng", "en-us+m3"),
        Voice("espeak-gb-slow", "espeak-ng", "en-gb", slow=True),
    )
}

#: A spread of voices for tests and benchmarks: four flite voices (one of them slowed
#: down by half) and two espeak ones.
DEFAULT_VOICES = ("slt", "rms", "awb", "kal16", "slt-slow", "espeak-us", "espeak-f3")


class SynthUnavailable(RuntimeError):
    """The speech synthesizer or sox is not installed."""


def available_voices() -> list[str]:
    """Names of the voices whose programs (and sox) are installed."""
    if shutil.which("sox") is None:
        return []
    return [n for n, v in VOICES.items() if shutil.which(v.program)]


def _render(text: str, voice: Voice, path: Path) -> None:
    if voice.program == "flite":
        cmd = ["flite", "-voice", voice.voice, "-t", text, "-o", str(path)]
        if voice.slow:
            cmd[1:1] = ["--setf", "duration_stretch=1.5"]
    else:
        cmd = [
            "espeak-ng",
            "-v",
            voice.voice,
            "-s",
            "110" if voice.slow else "155",
            "-w",
            str(path),
            text,
        ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


def to_pcm(wav: Path, raw: Path, *effects: str) -> bytes:
    """A synthesizer's WAV as 16 kHz mono int16 PCM (through `raw`), with sox `effects`."""
    # -R: sox dithers when it resamples to 16 bits, with fresh random noise each run unless
    # told to repeat it; the same text must give the same samples, or a recogniser on the
    # edge of a word hears it differently from one run to the next.
    subprocess.run(
        ["sox", "-R", str(wav), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
         "-t", "raw", str(raw), *effects],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return raw.read_bytes()


def synthesize(
    text: str,
    voice: str = "slt",
    *,
    snr_db: float | None = None,
    pad: float = 0.3,
    lead: float | None = None,
    seed: int = 0,
) -> bytes:
    """Speak `text` as 16 kHz mono int16 PCM, with `pad` seconds of silence each side
    (`lead` seconds before it instead, when given).

    With `snr_db`, seeded pink noise is mixed in over the whole clip (padding included),
    scaled against the speech power so the signal-to-noise ratio is what was asked.
    """
    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}; known: {', '.join(VOICES)}")
    v = VOICES[voice]
    for program in (v.program, "sox"):
        if shutil.which(program) is None:
            raise SynthUnavailable(f"{program} is not installed (apt install {program})")
    with tempfile.TemporaryDirectory(prefix="vc-synth-") as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.raw"
        _render(text, v, raw)
        pcm = to_pcm(raw, out, "pad", str(pad if lead is None else lead), str(pad))
    if snr_db is not None:
        pcm = add_noise(pcm, snr_db, seed=seed)
    return pcm


def pink_noise(n: int, seed: int = 0):  # -> np.ndarray (float64, unit RMS)
    """Seeded pink (1/f) noise, closer to a room or a TV than white noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return noise / (np.sqrt(np.mean(noise**2)) or 1.0)


def add_noise(pcm: bytes, snr_db: float, seed: int = 0) -> bytes:
    """Mix pink noise into `pcm` at `snr_db` dB relative to the power of its loud part."""
    import numpy as np

    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if len(x) == 0:
        return pcm
    # Active speech power: the mean over frames within 30 dB of the loudest (close to
    # ITU-T P.56's active level), so silence padding does not make the noise quieter.
    frame = 320
    frames = x[: len(x) // frame * frame].reshape(-1, frame) if len(x) >= frame else x[None, :]
    energies = np.mean(frames**2, axis=1)
    speech = energies[energies > 0.001 * energies.max()] if energies.max() > 0 else energies
    power = float(np.mean(speech)) if len(speech) else 0.0
    noise_rms = math.sqrt(power / (10 ** (snr_db / 10))) if power > 0 else 100.0
    y = x + pink_noise(len(x), seed) * noise_rms
    return np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes()


def silence(seconds: float, rate: int = RATE) -> bytes:
    """Digital silence as int16 PCM."""
    return b"\x00\x00" * int(round(seconds * rate))


def write_wav(path: str | Path, pcm: bytes, rate: int = RATE) -> Path:
    """Write 16-bit mono PCM to a WAV file."""
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return path


def synthesize_wav(
    directory: str | Path, name: str, text: str, voice: str = "slt", **kwargs
) -> Path:
    """`synthesize` into `directory/name.wav`; returns the path."""
    return write_wav(Path(directory) / f"{name}.wav", synthesize(text, voice, **kwargs))
