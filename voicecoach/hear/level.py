"""Level: quiet, loud and clipped speech reach the recognizer alike.

Someone who shouts "it hurts" next to the microphone clips it: the tops of the waves are cut
flat, which smears the spectrum the recognizer reads.  This stage, before the recognizer:

1. declips: each run of samples stuck at full scale is redrawn as the hump it cut off
   (a parabola rising above the clip level, taller for longer runs), so the wave has its
   shape back, if not its exact height;
2. levels: a whole utterance (`recognize`) is scaled so its peak sits at TARGET_DBFS, up
   or down (at most MAX_GAIN_DB up, so silence is not blown up into noise); a live stream
   (`run`) is only ever turned down, by a gain that falls at once when the declipped peaks
   need room and comes back slowly.

Nothing here reads a clock: the stream's gain moves with the samples it sees.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
#: How fast the stream's gain comes back up after a loud moment (per second, in dB).
RELEASE_DB_PER_SECOND = 3.0
#: Clipped fraction under which a signal is left alone (a stray full-scale click).
MIN_CLIPPED = 0.0005


def _floats(pcm: bytes):  # -> np.ndarray
    import numpy as np

    return np.frombuffer(pcm, "<i2").astype(np.float64)


def _pcm(x) -> bytes:
    import numpy as np

    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def declip(x):  # (np.ndarray) -> np.ndarray
    """Redraw runs of clipped samples as humps above the clip level."""
    import numpy as np

    clipped = np.abs(x) >= CLIP_LEVEL
    if not len(x) or clipped.mean() < MIN_CLIPPED:
        return x
    edges = np.flatnonzero(np.diff(np.concatenate([[0], clipped.astype(np.int8), [0]])))
    y = x.copy()
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        n = stop - start
        t = (np.arange(n) + 0.5) / n
        # A longer flat top hid a taller peak; cap the guess at twice the clip level.
        height = min(1.0, n / 8.0)
        y[start:stop] = np.sign(x[start]) * CLIP_LEVEL * (1.0 + 4.0 * t * (1.0 - t) * height)
    return y


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
    """The live version: declip each chunk, and turn down (never up) when the declipped
    peaks need room: at once, then back up at RELEASE_DB_PER_SECOND.  Turning quiet speech
    up on the fly was measured worse (docs/reliability.md): without looking ahead, the gain
    jumps inside an utterance, which costs more words than it wins."""

    rate: int = 16000
    gain: float = 1.0

    def process(self, pcm: bytes) -> bytes:
        import numpy as np

        x = declip(_floats(pcm))
        if not len(x):
            return pcm
        peak = float(np.max(np.abs(x)))
        wanted = min(1.0, FULL_SCALE / peak) if peak > FULL_SCALE else 1.0
        if wanted < self.gain:
            self.gain = wanted
        else:
            up = 10 ** (RELEASE_DB_PER_SECOND * len(x) / self.rate / 20)
            self.gain = min(wanted, self.gain * up)
        if self.gain == 1.0 and peak < CLIP_LEVEL:
            return pcm  # nothing to do: the same bytes, untouched
        return _pcm(x * self.gain)


@dataclass
class LevelledStream:
    """A recognizer stream with StreamLevel in front of it."""

    inner: RecognizerStream
    stage: StreamLevel

    def feed(self, chunk: AudioChunk) -> list[Transcript]:
        return self.inner.feed(replace(chunk, audio=self.stage.process(chunk.audio)))

    def flush(self) -> list[Transcript]:
        return self.inner.flush()


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
