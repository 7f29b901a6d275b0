"""End of speech with Silero VAD: a neural voice-activity detector, for the Whisper engine.

The model is the one faster-whisper ships (`faster_whisper/assets/silero_vad_v6.onnx`),
run with onnxruntime one 512-sample frame (32 ms at 16 kHz) at a time.  That export takes
`input` [frames, 576] (each frame preceded by the last 64 samples of the one before: the
"context") plus the LSTM state `h`, `c` [1, 1, 128], and returns one speech probability per
frame and the new state.  Streaming keeps the context and the state between calls, so a
frame's probability is the same however the audio was chunked (tested).

`SileroEndpointer` cuts a live stream into utterances with the same listener callbacks as
hear.endpoint.Endpointer (speech_started / speech_continues / speech_ended), so
hear.recognizer.DecodingStream drives either.  Hysteresis: a frame starts counting as speech
at probability `threshold` and, once speaking, keeps counting down to `neg_threshold`.  A
frame must also stand clear of a running energy floor (as in endpoint.py), and of the
*background's steady level* (`Background`: a high percentile of the energies of the last
seconds outside speech), so a TV that talks all the time neither opens an utterance nor
holds one open: Silero rightly calls the TV speech, and the fast floor follows the gaps
between its words, so without the second gate every utterance in a TV room ran to
`max_utterance`.  A person nearer the microphone stands clear of the TV; their quiet word
endings are kept by the hold level (lower than the open level), `tail` and `end_silence`
(a setting: slow or slurred speech needs 1.2-1.5 s).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.hear.audio import RATE, WIDTH, AudioChunk
from voicecoach.hear.endpoint import SpeechListener, Utterance, UtteranceTracker, frame_energy

log = logging.getLogger(__name__)

FRAME_SAMPLES = 512
CONTEXT_SAMPLES = 64
FRAME_SECONDS = FRAME_SAMPLES / RATE  # 0.032
#: Audio kept from before the first frame heard as speech.  Silero is slow to be sure of a
#: shouted, clipped word's first sounds (its declipped onset reads less like speech), and
#: with 0.3 s the utterance Whisper got began inside "i fell" or "stop" (+20 dB: 30 -> 33
#: of 42 with 0.5 s).
PRE_ROLL = 0.5
#: What is left of it in a loud room where the frames before speech are the TV's.
MIN_PRE_ROLL = 0.3


#: How far (dB) a frame must stand above the background's steady level to open an
#: utterance, and to keep one open; chosen with `python -m voicecoach.bench endpoint`
#: (docs/benchmarks.md, "A TV that talks all the time").
FOREGROUND_DB = 4.0
HOLD_DB = 2.0
BACKGROUND_PERCENTILE = 90.0
BACKGROUND_FALL: float | None = 1.5
#: An utterance that opened before the background was known and lasts this long is the room.
UNJUDGED_SECONDS = 3.0


class VadUnavailable(RuntimeError):
    """onnxruntime or the Silero model file is missing."""


def faster_whisper_folder() -> Path | None:
    """faster-whisper's package folder, found without importing it."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def silero_model_path() -> Path:
    """The Silero VAD model that faster-whisper ships."""
    folder = faster_whisper_folder()  # not imported: its __init__ costs ~20 MB
    if folder is None:  # pragma: no cover - depends on the install
        raise VadUnavailable("faster-whisper is not installed")
    path = folder / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise VadUnavailable(f"the Silero VAD model is missing: {path}")
    return path


_SESSIONS: dict[str, Any] = {}


def _session(path: Path) -> Any:
    """One onnxruntime session per model file per process (sessions are stateless: the
    LSTM state is passed in and out, so streams can share one)."""
    key = str(path)
    if key not in _SESSIONS:
        try:
            import onnxruntime
        except ImportError as e:  # pragma: no cover - depends on the install
            raise VadUnavailable(f"onnxruntime is not installed ({e})") from e
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.enable_cpu_mem_arena = False
        opts.log_severity_level = 4
        _SESSIONS[key] = onnxruntime.InferenceSession(
            key, providers=["CPUExecutionProvider"], sess_options=opts
        )
    return _SESSIONS[key]


#: Faint noise added to what the VAD hears (not to what is recognized): after seconds of
#: digital silence (a file, a microphone with a noise gate) Silero's LSTM state goes numb:
#: "it hurts" after 20 s of zeros peaked at 0.6 instead of 0.95, after 200 s at 0.5, and a
#: lone "pause" was missed.  Three steps of 16-bit noise restore it.
DITHER = 3.0 / 32768
_DITHER_FRAMES = 64


class SileroVad:
    """Speech probability of consecutive 512-sample frames, state carried between calls."""

    def __init__(self, path: Path | None = None, dither: float = DITHER):
        self._session = _session(path or silero_model_path())
        # A fixed table cycled by frame number: the same frames get the same dither however
        # the audio is chunked.
        self._dither = (
            np.random.default_rng(0).standard_normal((_DITHER_FRAMES, FRAME_SAMPLES)) * dither
        ).astype(np.float32)
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, np.float32)
        self._frame = 0

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Float samples (-1..1), a whole number of frames -> one probability per frame."""
        if len(samples) % FRAME_SAMPLES:
            raise ValueError(f"need a multiple of {FRAME_SAMPLES} samples, got {len(samples)}")
        n = len(samples) // FRAME_SAMPLES
        if n == 0:
            return np.zeros(0, np.float32)
        index = (self._frame + np.arange(n)) % _DITHER_FRAMES
        frames = samples.astype(np.float32).reshape(n, FRAME_SAMPLES) + self._dither[index]
        self._frame += n
        context = np.empty((n, CONTEXT_SAMPLES), np.float32)
        context[0] = self._context
        context[1:] = frames[:-1, -CONTEXT_SAMPLES:]
        batch = np.concatenate([context, frames], axis=1)
        out, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = frames[-1, -CONTEXT_SAMPLES:].copy()
        return np.asarray(out, np.float32).reshape(-1)[:n]

    def probability(self, frame: bytes) -> float:
        """One int16 frame of 512 samples -> its speech probability."""
        x = np.frombuffer(frame, "<i2").astype(np.float32) / 32768.0
        return float(self.probabilities(x)[0])


def energy_db(energy: float) -> float:
    """A frame's RMS in dB (re one 16-bit step; digital silence is 0 dB)."""
    return 20.0 * math.log10(max(energy, 1.0))


class Background:
    """The steady level of what the microphone hears besides the person: a high percentile
    (90th) of the energies (dB) of the last `seconds` of frames it was given, or of the last
    `fall` seconds when that is lower.

    Not a minimum: babble dips between words, and a floor that follows the dips lets the
    TV's every word through.  A high percentile is the level of the TV's own words, which
    the person nearer the microphone stands clear of; a command of a second or two does not
    move it (frames standing clear of it are not given to it).  The short window lets it
    fall within about a second when the room goes quiet (the TV switched off, the end of a
    long stretch of the coach's own voice), so an answer is not judged against a TV that
    has stopped.  None until `warmup` seconds have been seen."""

    def __init__(
        self,
        seconds: float = 5.0,
        warmup: float = 1.0,
        percentile: float = 90.0,
        fall: float | None = None,
    ):
        self._frames: deque[float] = deque(maxlen=max(1, int(round(seconds / FRAME_SECONDS))))
        self._warmup = max(1, int(round(warmup / FRAME_SECONDS)))
        self._recent = max(1, int(round(fall / FRAME_SECONDS))) if fall else 0
        self.percentile = percentile
        self._level: float | None = None
        self._stale = 0

    def add(self, db: float) -> None:
        self._frames.append(db)
        self._stale += 1

    @property
    def level(self) -> float | None:
        if len(self._frames) < self._warmup:
            return None
        # A percentile of ~160 values each frame is cheap, but every 4th frame is enough.
        if self._level is None or self._stale >= 4:
            frames = np.fromiter(self._frames, float)
            self._level = float(np.percentile(frames, self.percentile))
            if self._recent:
                recent = float(np.percentile(frames[-self._recent :], self.percentile))
                self._level = min(self._level, recent)
            self._stale = 0
        return self._level


class SileroEndpointer:
    """Feed AudioChunks, get finished Utterances; tells an optional SpeechListener as it goes.

    Drop-in for voicecoach.hear.endpoint.Endpointer (same feed / feed_all / flush / in_speech).
    """

    def __init__(
        self,
        end_silence: float = 0.8,
        *,
        pre_roll: float = PRE_ROLL,
        start_frames: int = 3,
        min_speech: float = 0.15,
        max_utterance: float = 12.0,
        threshold: float = 0.5,
        neg_threshold: float | None = None,
        floor_ratio: float = 1.5,
        min_energy: float = 30.0,
        foreground_db: float | None = FOREGROUND_DB,
        hold_db: float = HOLD_DB,
        background_seconds: float = 5.0,
        background_percentile: float = BACKGROUND_PERCENTILE,
        background_fall: float | None = BACKGROUND_FALL,
        tail: float = 0.25,
        hold_silence: bool = True,
        listener: SpeechListener | None = None,
        model: Path | None = None,
    ):
        self._tracker = UtteranceTracker(
            FRAME_SECONDS, end_silence, pre_roll=pre_roll, start_frames=start_frames,
            min_speech=min_speech, max_utterance=max_utterance, tail=tail, listener=listener,
            hold_silence=hold_silence, trim_pre_roll=self._trim_pre_roll,
        )  # fmt: skip
        self.end_silence = end_silence
        self.threshold = threshold
        self.neg_threshold = max(threshold - 0.15, 0.01) if neg_threshold is None else neg_threshold
        self.floor_ratio = floor_ratio
        self.min_energy = min_energy
        self.foreground_db = foreground_db  # None: no background gate (as before issue 10)
        self.hold_db = min(hold_db, foreground_db) if foreground_db is not None else hold_db
        self.background = Background(
            background_seconds, percentile=background_percentile, fall=background_fall
        )
        self._unjudged: list[float] | None = None  # an utterance opened before it was known
        # The last frames before an utterance opens are its onset, not the room: they reach
        # the background only once it is clear no utterance began with them.
        self._onset: deque[float] = deque(maxlen=max(1, int(round(pre_roll / FRAME_SECONDS))))
        self.listener = listener
        self._vad = SileroVad(model)
        self._frame_bytes = FRAME_SAMPLES * WIDTH
        self._pending = b""
        self._clock: float | None = None  # timeline position of the next pending byte
        self._floor: float | None = None
        self.last_probability = 0.0

    def is_speech(self, frame: bytes, probability: float) -> bool:
        """Silero hears speech (with hysteresis), the frame is louder than the floor, and
        it stands clear of the background's steady level (with hysteresis too)."""
        energy = frame_energy(frame)
        floor = self._floor if self._floor is not None else energy
        speaking = self._tracker.speaking
        cut = self.neg_threshold if speaking else self.threshold
        voiced = probability >= cut and energy >= max(self.min_energy, floor * self.floor_ratio)
        # As in endpoint.py: the floor follows quiet frames quickly and loud ones slowly.
        rate = 0.1 if energy < floor else (0.002 if voiced else 0.02)
        self._floor = floor + rate * (energy - floor)
        return self._foreground(energy_db(energy), speaking) and voiced

    def _foreground(self, db: float, speaking: bool) -> bool:
        """The frame stands clear of the background: `foreground_db` above it to open an
        utterance, `hold_db` to keep one going."""
        if self.foreground_db is None:
            return True
        if not speaking:
            self._unjudged = None
            self._onset.append(db)
            if len(self._onset) == self._onset.maxlen:
                # Outside an utterance every frame is background (a TV switched on is learnt
                # in seconds), once it is clear it was not the onset of one.
                self.background.add(self._onset.popleft())
        elif self._onset:
            self._onset.clear()  # they were the beginning of this utterance, not the room
        background = self.background.level
        if speaking and (self._unjudged is not None or background is None):
            if not self._unjudged_went_on(db):
                return True
            background = self.background.level
        if background is None:
            return True
        # Inside an utterance, what would not open one (the person's pauses, the TV under
        # them) is background too, so a command does not raise the level it is judged
        # against; not only what falls below the hold level, or the estimate sinks to the
        # TV's gaps while the TV holds an utterance open.
        if speaking and db < background + self.foreground_db:
            self.background.add(db)
        return db >= background + (self.hold_db if speaking else self.foreground_db)

    def _trim_pre_roll(self, frames: int) -> int:
        """How many of the oldest pre-roll frames to leave out: in a loud room the pre-roll
        is the TV, and 0.5 s of it in front of a command cost Whisper commands; a shout's
        onset stands clear of the background and is kept whole.  Never below MIN_PRE_ROLL."""
        background = self.background.level
        if self.foreground_db is None or background is None:
            return 0
        levels = list(self._onset)[-frames:]  # this frame's and those before it, oldest first
        levels = [-math.inf] * (frames - len(levels)) + levels
        clear = next((i for i, db in enumerate(levels) if db >= background + self.hold_db), frames)
        return max(0, min(clear, frames - int(round(MIN_PRE_ROLL / FRAME_SECONDS))))

    def _unjudged_went_on(self, db: float) -> bool:
        """An utterance that opened before the background was known (the first second of a
        stream) is not judged by it: it may be a person who spoke at once.  Its frames are
        kept aside; if it goes on for UNJUDGED_SECONDS it is the room (a TV on from the
        start), they become the background and it is judged from then on."""
        if self._unjudged is None:
            self._unjudged = []
        self._unjudged.append(db)
        if len(self._unjudged) * FRAME_SECONDS < UNJUDGED_SECONDS - 1e-9:
            return False
        for kept in self._unjudged:
            self.background.add(kept)
        self._unjudged = None
        return self.background.level is not None

    def feed(self, chunk: AudioChunk) -> list[Utterance]:
        if chunk.rate != RATE:
            raise ValueError(f"the VAD wants {RATE} Hz audio, got {chunk.rate}")
        if self._clock is None or not self._pending:
            self._clock = chunk.timestamp - len(self._pending) / (WIDTH * RATE)
        self._pending += chunk.audio
        n = len(self._pending) // self._frame_bytes
        if n == 0:
            return []
        block, self._pending = (
            self._pending[: n * self._frame_bytes],
            self._pending[n * self._frame_bytes :],
        )
        probs = self._vad.probabilities(np.frombuffer(block, "<i2").astype(np.float32) / 32768)
        out: list[Utterance] = []
        for i, p in enumerate(probs):
            frame = block[i * self._frame_bytes : (i + 1) * self._frame_bytes]
            out.extend(self._frame(frame, float(p), self._clock))
            self._clock += FRAME_SECONDS
        return out

    def feed_all(self, chunks: Iterable[AudioChunk]) -> list[Utterance]:
        out = [u for c in chunks for u in self.feed(c)]
        return out + self.flush()

    def _frame(self, frame: bytes, probability: float, t: float) -> list[Utterance]:
        self.last_probability = probability
        return self._tracker.frame(frame, self.is_speech(frame, probability), t)

    def flush(self) -> list[Utterance]:
        """End of input: finish the utterance in progress, if any."""
        if self._pending and self._clock is not None:
            frame = self._pending + b"\x00" * (self._frame_bytes - len(self._pending))
            self._pending = b""
            x = np.frombuffer(frame, "<i2").astype(np.float32) / 32768
            out = self._frame(frame, float(self._vad.probabilities(x)[0]), self._clock)
            if out:
                return out
        return self._tracker.finish() if self._tracker.speaking else []

    @property
    def in_speech(self) -> bool:
        return self._tracker.speaking

    @property
    def utterance_start(self) -> float:
        """Where the utterance in progress began on the audio's timeline."""
        return self._tracker.start
