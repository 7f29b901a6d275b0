"""Level: quiet, loud and clipped speech reach the recognizer alike.

Someone who shouts "it hurts" next to the microphone clips it: the tops of the waves are cut
flat, which smears the spectrum the recognizer reads.  This stage, before the recognizer:

1. declips: each run of samples stuck at full scale is redrawn as the hump it cut off, a
   cubic through the clip level at both ends that leaves the last unclipped samples with
   their own slopes (a wave that hit the clip steeply was cut far below its peak), at most
   MAX_HUMP times the clip level;
2. levels: a whole utterance (`recognize`) is scaled so its peak sits at TARGET_DBFS, up
   or down (at most MAX_GAIN_DB up, so silence is not blown up into noise); a live stream
   (`run`) sees only LOOKAHEAD_SECONDS ahead, so its gain (StreamLevel) follows the speech
   peaks it has heard: down in time for loud speech (before a shout's first loud sound),
   up for quiet speech only while someone speaks, never lifting the room's noise floor
   above NOISE_CEILING.

Nothing here reads a clock: the stream's gain moves with the samples it sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voicecoach.hear.audio import AudioChunk
    from voicecoach.hear.recognizer import Recognizer, RecognizerStream, Transcript

FULL_SCALE = 32767.0
#: A sample this close to full scale counts as clipped.
CLIP_LEVEL = 32000.0
#: Where a whole utterance's peak is put.
TARGET_DBFS = -6.0
#: Most a quiet utterance is turned up.
MAX_GAIN_DB = 30.0
#: How fast the stream's held speech peak sinks (per second of speech, in dB).
RELEASE_DB_PER_SECOND = 3.0
#: The stream lifts speech whose peaks stay under this up to it, turns speech whose peaks
#: pass TARGET_DBFS down to it, and leaves what lies between alone.
QUIET_PEAK_DBFS = -20.0
#: The stream never lifts the noise floor (RMS) above this (about -60 dBFS).
NOISE_CEILING = 33.0
#: A frame is taken for speech when its RMS is this many times the floor's, and above
#: MIN_SPEECH_RMS (digital near-silence).
SPEECH_OVER_FLOOR = 4.0
MIN_SPEECH_RMS = 2.0
#: Fastest the stream's gain rises (per second of speech, in dB).
RISE_DB_PER_SECOND = 40.0
#: The stream's gain moves once per frame of this length.
FRAME_SECONDS = 0.01
#: How far ahead the live stage looks before it lets audio through: a shout's loudest
#: vowel comes this soon after its first consonant, and the gain has fallen by then.
LOOKAHEAD_SECONDS = 0.1
#: Tallest hump the declipper draws, in clip levels (a +20 dB shout is cut about tenfold).
MAX_HUMP = 8.0
#: Clipped fraction under which a signal is left alone (a stray full-scale click).
MIN_CLIPPED = 0.0005


def _floats(pcm: bytes):  # -> np.ndarray
    import numpy as np

    return np.frombuffer(pcm, "<i2").astype(np.float64)


def _pcm(x) -> bytes:
    import numpy as np

    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def declip(x):  # (np.ndarray) -> np.ndarray
    """Redraw runs of clipped samples as the humps they cut off."""
    import numpy as np

    clipped = np.abs(x) >= CLIP_LEVEL
    if not len(x) or clipped.mean() < MIN_CLIPPED:
        return x
    edges = np.flatnonzero(np.diff(np.concatenate([[0], clipped.astype(np.int8), [0]])))
    y = x.copy()
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        sign = np.sign(x[start])
        y[start:stop] = sign * _hump(sign * x, int(start), int(stop))
    return y


def _hump(a, start: int, stop: int):  # (x turned so the run is positive, run) -> magnitudes
    """A cubic (Hermite) through the clip level at both ends of the run, leaving the last
    unclipped samples with their own slopes: a wave that entered the clip steeply was cut
    far below its peak, so its hump is drawn taller.  Where a run touches an edge (no slope
    to read), a parabola as tall as the run is long, as before."""
    import numpy as np

    n = stop - start
    u = np.arange(1, n + 1) / (n + 1)
    if start >= 2 and stop + 1 < len(a):
        rise = max(0.0, float(a[start - 1] - a[start - 2]))
        fall = max(0.0, float(a[stop] - a[stop + 1]))
        span = n + 1
        hump = CLIP_LEVEL + span * (rise * (u**3 - 2 * u**2 + u) - fall * (u**3 - u**2))
    else:
        hump = CLIP_LEVEL * (1.0 + 4.0 * u * (1.0 - u) * min(1.0, n / 8.0))
    return np.clip(hump, CLIP_LEVEL, CLIP_LEVEL * MAX_HUMP)


def level_utterance(pcm: bytes) -> bytes:
    """One whole utterance, declipped, its peak put at TARGET_DBFS."""
    import numpy as np

    x = declip(_floats(pcm))
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak <= 0.0:
        return pcm
    gain = min(10 ** (TARGET_DBFS / 20) * FULL_SCALE / peak, 10 ** (MAX_GAIN_DB / 20))
    return _pcm(x * gain)


@dataclass
class StreamLevel:
    """The live version: declip, then a gain that

    - falls in time when the (declipped) peaks pass TARGET_DBFS, so nothing clips again: the
      stage holds its output back by LOOKAHEAD_SECONDS and turns a frame down as far as the
      loudest frame within that distance after it needs, so a shout's consonant and first
      vowel are not passed on at full volume (re-clipped) before the gain has fallen (only
      to turn down: quiet speech is lifted as it comes);
    - rises only on frames that stand well clear of the noise floor (speech), never in a
      pause, so a quiet room's hiss is not pumped up between words, and at most
      RISE_DB_PER_SECOND, so a word's quiet onset is not blown up before its loud middle
      arrives (rising at once cost Whisper words at -20 and -10 dB);
    - aims quiet speech's held peak at QUIET_PEAK_DBFS (at most MAX_GAIN_DB up), and never
      lifts the noise floor above NOISE_CEILING;
    - leaves speech whose peaks already sit between QUIET_PEAK_DBFS and TARGET_DBFS alone.

    The held peak rises at once and sinks at RELEASE_DB_PER_SECOND, so after a person's
    first words the gain stays put within and between their utterances.  The declipper
    sees the held-back audio too, so a clipped run that straddles two chunks is redrawn
    whole, from the slopes on both sides."""

    rate: int = 16000
    lookahead: float = LOOKAHEAD_SECONDS
    gain: float = 1.0
    """The gain wanted after the last frame followed (before the look-ahead)."""
    floor: float | None = None
    held: float = 0.0
    _raw: Any = None
    """Samples in, not yet out (raw: declipped anew with each chunk)."""
    _before: Any = None
    """The last raw samples out, for the declipper's slopes."""
    _wanted: list[float] = field(default_factory=list)
    """The gain wanted after each whole frame of _raw followed so far."""
    _applied: float = 1.0

    @property
    def lag(self) -> float:
        """Seconds of input held back now (the look-ahead, a little more or less)."""
        return 0.0 if self._raw is None else len(self._raw) / self.rate

    def process(self, pcm: bytes) -> bytes:
        """The levelled audio ready so far: it ends `lag` seconds before the input."""
        return self._out(pcm, final=False)

    def flush(self) -> bytes:
        """The held-back rest: everything fed comes out exactly once."""
        return self._out(b"", final=True)

    def _out(self, pcm: bytes, final: bool) -> bytes:
        import numpy as np

        new = _floats(pcm)
        raw = new if self._raw is None else np.concatenate([self._raw, new])
        before = np.empty(0) if self._before is None else self._before
        x = declip(np.concatenate([before, raw]))[len(before) :]
        frame = max(1, int(self.rate * FRAME_SECONDS))
        for i in range(len(self._wanted) * frame, len(raw) - frame + 1, frame):
            self._follow(x[i : i + frame])
            self._wanted.append(self.gain)
        ahead = max(0, int(round(self.lookahead / FRAME_SECONDS)))
        ready = len(raw) if final else self._ready(raw, len(self._wanted) - ahead, frame)
        if final and len(self._wanted) * frame < len(raw):
            self._wanted.append(self._wanted[-1] if self._wanted else self._applied)
        gains = np.empty(ready)
        for j, i in enumerate(range(0, ready, frame)):
            wanted = self._wanted[j]
            coming = min(self._wanted[j : j + ahead + 1])
            if coming < 1.0:  # only loud speech is met early; quiet speech is lifted as before
                wanted = min(wanted, coming)
            part = min(frame, ready - i)
            # A ramp across the frame, so a change of gain is not a click.
            gains[i : i + part] = np.linspace(self._applied, wanted, part, endpoint=True)
            self._applied = wanted
        done = ready // frame if not final else len(self._wanted)
        self._wanted = self._wanted[done:]
        self._raw, self._before = raw[ready:], np.concatenate([before, raw[:ready]])[-2:]
        out = x[:ready]
        if np.all(gains == 1.0) and (not ready or float(np.max(np.abs(out))) < CLIP_LEVEL):
            return _pcm(raw[:ready])  # nothing to do: the same samples, untouched
        return _pcm(out * gains)

    @staticmethod
    def _ready(raw, frames: int, frame: int) -> int:  # (np.ndarray, ...) -> samples
        """Samples whose look-ahead is complete, cut between frames and never inside a
        clipped run (the rest of the run would be redrawn without its first slope)."""
        import numpy as np

        frames = max(0, frames)

        def inside_a_run(n: int) -> bool:
            return bool(np.all(np.abs(raw[n * frame - 1 : n * frame + 1]) >= CLIP_LEVEL))

        while frames > 0 and inside_a_run(frames):
            frames -= 1
        return frames * frame

    def _follow(self, part) -> None:  # (np.ndarray) -> None
        import numpy as np

        rms = float(np.sqrt(np.mean(part**2)))
        peak = float(np.max(np.abs(part)))
        floor = rms if self.floor is None else self.floor
        speech = rms >= max(MIN_SPEECH_RMS, SPEECH_OVER_FLOOR * floor)
        # The floor follows the quietest frames: quickly down, slowly up, and barely while
        # someone speaks (only a noise that never stops becomes the floor).
        up = 0.0005 if speech else 0.02
        self.floor = floor + (0.2 if rms < floor else up) * (rms - floor)
        sink = 10 ** (-RELEASE_DB_PER_SECOND * len(part) / self.rate / 20)
        # Louder is heard at once, wherever it comes; the hold sinks only while speaking.
        self.held = max(peak, self.held * sink) if speech else max(peak, self.held)
        quiet = 10 ** (QUIET_PEAK_DBFS / 20) * FULL_SCALE
        if self.held <= 0.0:
            return
        if self.held < quiet:
            wanted = min(
                quiet / self.held,
                10 ** (MAX_GAIN_DB / 20),
                max(1.0, NOISE_CEILING / max(self.floor, 1e-9)),
            )
        else:
            wanted = min(1.0, 10 ** (TARGET_DBFS / 20) * FULL_SCALE / self.held)
        if wanted < self.gain:
            self.gain = wanted
        elif speech:  # up gently: an onset's first quiet frames are not blown up
            step = 10 ** (RISE_DB_PER_SECOND * len(part) / self.rate / 20)
            self.gain = min(wanted, self.gain * step)


@dataclass
class LevelledStream:
    """A recognizer stream with StreamLevel in front of it."""

    inner: RecognizerStream
    stage: StreamLevel
    _last: AudioChunk | None = None

    def feed(self, chunk: AudioChunk) -> list[Transcript]:
        self._last = chunk
        return self.inner.feed(self._ending_at(chunk, self.stage.process(chunk.audio)))

    def flush(self) -> list[Transcript]:
        heard = []
        if self._last is not None:
            heard = self.inner.feed(self._ending_at(self._last, self.stage.flush()))
        return heard + self.inner.flush()

    def _ending_at(self, chunk: AudioChunk, audio: bytes) -> AudioChunk:
        """`audio` placed on `chunk`'s timeline: it ends where the held-back rest begins."""
        end = chunk.end - self.stage.lag
        return replace(chunk, audio=audio, timestamp=end - len(audio) / (2 * chunk.rate))


@dataclass
class Levelled:
    """Any Recognizer, hearing quiet, loud and clipped speech alike."""

    inner: Recognizer
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or str(getattr(self.inner, "name", "?"))

    def transcribe(self, pcm: bytes) -> Transcript:
        return self.inner.transcribe(level_utterance(pcm))

    def stream(
        self, end_silence: float = 0.8, early_silence: float | None = None
    ) -> LevelledStream:
        return LevelledStream(
            self.inner.stream(end_silence=end_silence, early_silence=early_silence),
            StreamLevel(),
        )

    def __getattr__(self, name: str) -> Any:  # close(), probe(), path ...: the engine's own
        return getattr(self.inner, name)
