"""End of speech: cut a live 16 kHz stream into utterances.

Each 30 ms frame is speech when WebRTC's voice-activity detector (bundled with
PocketSphinx) says so *and* its energy stands clear of a running noise floor, so a
steady fan or TV hiss does not hold an utterance open forever.  An utterance starts after
a few speech frames (with some audio before them kept, so the first consonant is not
clipped) and ends after `end_silence` seconds without speech: slow or slurred speakers
need a longer pause allowed, so it is a setting, not a constant.  Time comes from the
audio's own timestamps.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from voicecoach.hear.audio import RATE, WIDTH, AudioChunk

FRAME_SECONDS = 0.03


@dataclass(frozen=True)
class Utterance:
    """The audio of one utterance and where it sits on the source's timeline."""

    audio: bytes
    start: float
    end: float


class SpeechListener(Protocol):
    """Follows an utterance as it happens, so a recognizer can decode while the person
    speaks instead of after they stop."""

    def speech_started(self, audio: bytes) -> None:
        """Speech began; `audio` holds it from the start, pre-roll included."""
        ...

    def speech_continues(self, frame: bytes) -> None:
        """The next frame of the utterance in progress (trailing silence included, unless
        the tracker holds it back: see UtteranceTracker's `hold_silence`)."""
        ...

    def speech_paused(self, silence: float, voiced: float) -> None:
        """The utterance in progress has been silent for `silence` seconds after `voiced`
        seconds of speech (called on each silent frame until it ends or speech resumes)."""
        ...

    def speech_ended(self, utterance: Utterance | None) -> None:
        """The utterance is over; None when it was too short to count."""
        ...


class UtteranceTracker:
    """The part of end-of-speech detection that does not care how a frame is judged:
    given each frame and whether it is speech, it starts an utterance after a few speech
    frames (with pre-roll), tells the listener as it goes, and ends the utterance after
    `end_silence` seconds without speech or at `max_utterance`.  Both endpointers (energy
    + WebRTC here, Silero in voicecoach.hear.vad) judge frames their own way and share it.
    """

    def __init__(
        self,
        frame_seconds: float,
        end_silence: float,
        *,
        pre_roll: float,
        start_frames: int,
        min_speech: float,
        max_utterance: float,
        tail: float,
        listener: SpeechListener | None,
        hold_silence: bool = False,
        trim_pre_roll: Callable[[int], int] | None = None,
    ):
        """`hold_silence`: silence beyond `tail` after the last speech reaches the listener
        only if speech resumes (a pause inside the utterance), so a decoder is never handed
        what follows the utterance: in a TV room, the end-of-speech silence is the TV.
        `trim_pre_roll(n)`: how many of the n oldest pre-roll frames to leave out when an
        utterance starts."""
        if end_silence <= 0:
            raise ValueError("end_silence must be positive")
        self.frame_seconds = frame_seconds
        self.end_silence = end_silence
        self.start_frames = start_frames
        self.min_speech = min_speech
        self.max_utterance = max_utterance
        self.tail = tail
        self.listener = listener
        self.hold_silence = hold_silence
        self.trim_pre_roll = trim_pre_roll
        self._tail_frames = int(round(tail / frame_seconds))
        self._pre: deque[bytes] = deque(maxlen=max(1, int(round(pre_roll / frame_seconds))))
        self._recent: deque[bool] = deque(maxlen=start_frames + 2)
        self._reset()

    def _reset(self) -> None:
        self.speaking = False
        self._frames: list[bytes] = []
        self.start = 0.0
        self._silent_for = 0.0
        self._voiced = 0.0
        self._last_voiced_len = 0
        self._held: list[bytes] = []  # silence not yet handed to the listener

    def frame(self, frame: bytes, voiced: bool, t: float) -> list[Utterance]:
        """One frame starting at `t` on the timeline, and whether it is speech."""
        step = self.frame_seconds
        self._recent.append(voiced)
        if not self.speaking:
            self._pre.append(frame)
            if sum(self._recent) >= self.start_frames:
                self.speaking = True
                self._frames = list(self._pre)
                if self.trim_pre_roll is not None:
                    self._frames = self._frames[self.trim_pre_roll(len(self._frames)) :]
                self.start = t + step - len(self._frames) * step
                self._voiced = self.start_frames * step
                self._last_voiced_len = len(self._frames)
                self._pre.clear()
                if self.listener is not None:
                    self.listener.speech_started(b"".join(self._frames))
            return []
        self._frames.append(frame)
        self._pass_on(frame, voiced)
        if voiced:
            self._silent_for = 0.0
            self._voiced += step
            self._last_voiced_len = len(self._frames)
        else:
            self._silent_for += step
            if self.listener is not None:
                self.listener.speech_paused(self._silent_for, self._voiced)
        duration = len(self._frames) * step
        if self._silent_for >= self.end_silence - 1e-9 or duration >= self.max_utterance - 1e-9:
            return self.finish()
        return []

    def _pass_on(self, frame: bytes, voiced: bool) -> None:
        """Hand the frame to the listener, or hold it back (silence past the tail)."""
        if self.listener is None:
            return
        if voiced and self._held:
            for held in self._held:  # a pause inside the utterance: it goes in after all
                self.listener.speech_continues(held)
            self._held = []
        past_tail = len(self._frames) - self._last_voiced_len > self._tail_frames
        if self.hold_silence and not voiced and past_tail:
            self._held.append(frame)
        else:
            self.listener.speech_continues(frame)

    def finish(self) -> list[Utterance]:
        """End the utterance in progress (if it had enough speech, it is returned)."""
        # Keep a little silence after the last voiced frame: decoders like a tail.
        kept = self._last_voiced_len + int(round(self.tail / self.frame_seconds))
        frames = self._frames[:kept]
        start, voiced = self.start, self._voiced
        self._reset()
        self._recent.clear()
        utterance = None
        if voiced >= self.min_speech:
            audio = b"".join(frames)
            utterance = Utterance(audio, start, start + len(audio) / (WIDTH * RATE))
        if self.listener is not None:
            self.listener.speech_ended(utterance)
        return [utterance] if utterance is not None else []


def frame_energy(frame: bytes) -> float:
    """Root-mean-square amplitude of an int16 frame."""
    n = len(frame) // WIDTH
    if n == 0:
        return 0.0
    import numpy as np

    x = np.frombuffer(frame[: n * WIDTH], "<i2").astype(np.float64)
    return math.sqrt(float(np.mean(x * x)))


class Endpointer:
    """Feed AudioChunks, get finished Utterances."""

    def __init__(
        self,
        end_silence: float = 0.8,
        *,
        pre_roll: float = 0.3,
        start_frames: int = 3,
        min_speech: float = 0.15,
        max_utterance: float = 12.0,
        vad_mode: int = 1,
        floor_ratio: float = 2.0,
        min_energy: float = 60.0,
        listener: SpeechListener | None = None,
    ):
        from pocketsphinx import Vad

        self._tracker = UtteranceTracker(
            FRAME_SECONDS, end_silence, pre_roll=pre_roll, start_frames=start_frames,
            min_speech=min_speech, max_utterance=max_utterance, tail=0.25, listener=listener,
        )  # fmt: skip
        self.end_silence = end_silence
        self.floor_ratio = floor_ratio
        self.min_energy = min_energy
        self.listener = listener
        self._vad = Vad(vad_mode, RATE, FRAME_SECONDS)
        self._frame_bytes = int(RATE * FRAME_SECONDS) * WIDTH
        self._pending = b""
        self._clock: float | None = None  # timeline position of the next pending byte
        self._floor: float | None = None

    def is_speech(self, frame: bytes) -> bool:
        """The frame carries speech: the VAD hears voice and it is louder than the floor."""
        energy = frame_energy(frame)
        floor = self._floor if self._floor is not None else energy
        voiced = self._vad.is_speech(frame) and energy >= max(
            self.min_energy, floor * self.floor_ratio
        )
        # The floor follows quiet frames quickly and loud ones slowly, so speech does not
        # drag it up but a TV switched on does, within a few seconds.
        rate = 0.1 if energy < floor else (0.002 if voiced else 0.02)
        self._floor = floor + rate * (energy - floor)
        return voiced

    def feed(self, chunk: AudioChunk) -> list[Utterance]:
        if chunk.rate != RATE:
            raise ValueError(f"endpointer wants {RATE} Hz audio, got {chunk.rate}")
        if self._clock is None or not self._pending:
            self._clock = chunk.timestamp - len(self._pending) / (WIDTH * RATE)
        self._pending += chunk.audio
        out: list[Utterance] = []
        while len(self._pending) >= self._frame_bytes:
            frame, self._pending = (
                self._pending[: self._frame_bytes],
                self._pending[self._frame_bytes :],
            )
            out.extend(self._frame(frame, self._clock))
            self._clock += FRAME_SECONDS
        return out

    def feed_all(self, chunks: Iterable[AudioChunk]) -> list[Utterance]:
        out = [u for c in chunks for u in self.feed(c)]
        return out + self.flush()

    def _frame(self, frame: bytes, t: float) -> list[Utterance]:
        return self._tracker.frame(frame, self.is_speech(frame), t)

    def flush(self) -> list[Utterance]:
        """End of input: finish the utterance in progress, if any."""
        if self._pending and self._clock is not None:
            frame = self._pending + b"\x00" * (self._frame_bytes - len(self._pending))
            self._pending = b""
            out = self._frame(frame, self._clock)
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
