"""Audio out: every sound the coach makes goes through one mixer onto one timeline.

Theory of operation: callers `play(clip, at)` onto a timeline in seconds.  The `Mixer`
keeps the clips that are still to be heard and renders any block of samples on demand;
a sink pulls blocks from it:
- `SoundDeviceOut`: a sounddevice RawOutputStream whose callback renders the next block;
  timeline = seconds since open (monotonic clock).  A clip is pinned to device samples
  ("anchored") in the first block that reaches its start time, so late callers start at
  the next block instead of losing the head of their clip.
- `WavTimelineOut`: virtual time (whatever `at` says); rendered into one WAV as the caller
  says the time before some point is settled (`forget_before`), the rest on close, so
  a long session does not keep every line it said.  For `--audio-out` and tests.

`at=None` means "when possible": a speech clip starts when the speech already queued ends
(lines are never spoken over each other), a tone starts now (over speech, by design).
`stop_speech` cuts every speech clip, playing or queued, with a 5 ms fade (no click);
tones finish.  Overlaps are summed and a soft limiter keeps the sum under full scale.
"""

from __future__ import annotations

import logging
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voicecoach.hear.resample import resample
from voicecoach.voice.speech import Clip

log = logging.getLogger(__name__)

FADE_SECONDS = 0.005
"""Fade-out applied where speech is cut, so a barge-in does not click."""
RESYNC_SECONDS = 0.04
"""How far the device's sample clock may drift from the monotonic clock before resyncing."""
LIMIT_KNEE = 0.9
"""Above this level (of full scale) the limiter bends sums smoothly under 1.0."""


class NoOutputDevice(RuntimeError):
    """No speaker to play on."""


# --- the mixer (pure, no I/O) -------------------------------------------------------------


def soft_limit(x: np.ndarray) -> np.ndarray:
    """Identity below LIMIT_KNEE; above it a tanh knee that never reaches full scale."""
    a = np.abs(x)
    over = a > LIMIT_KNEE
    if not over.any():
        return x
    y = x.copy()
    room = 1.0 - LIMIT_KNEE
    y[over] = np.sign(x[over]) * (LIMIT_KNEE + room * np.tanh((a[over] - LIMIT_KNEE) / room))
    return y


def to_pcm(x: np.ndarray) -> bytes:
    return np.round(soft_limit(x) * 32767.0).astype("<i2").tobytes()


@dataclass
class _Voice:
    """A clip on the timeline, resampled to the mixer's rate."""

    data: np.ndarray
    speech: bool
    start: float
    """Timeline seconds; moved to its block when it came late."""
    anchor: int | None = None
    """Sample index of data[0], set by the first block that reaches `start`."""
    cut: float | None = None
    """Timeline seconds at which a barge-in cut this (speech) clip."""


class Mixer:
    """Clips on a timeline, rendered block by block.  Not thread-safe: sinks lock."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._voices: list[_Voice] = []
        self.last_speech_sample = -1
        """Index of the last sample rendered that carried speech (for measurements)."""

    def prepare(self, clip: Clip) -> np.ndarray:
        """The clip's samples at the mixer's rate (slow part of `add`, needs no lock)."""
        return resample(clip.samples(), clip.rate, self.rate).astype(np.float32)

    def add(self, clip: Clip, start: float, data: np.ndarray | None = None) -> float:
        """Put `clip` on the timeline at `start` seconds; returns its end time."""
        data = self.prepare(clip) if data is None else data
        self._voices.append(_Voice(data, clip.kind != "tone", start))
        return start + len(data) / self.rate

    def _end(self, v: _Voice) -> float:
        end = v.start + len(v.data) / self.rate
        if v.cut is not None:  # cut but not rendered yet
            end = min(end, max(v.cut, v.start) + FADE_SECONDS)
        return end

    def speech_until(self) -> float:
        return max((self._end(v) for v in self._voices if v.speech), default=0.0)

    def busy_until(self) -> float:
        return max((self._end(v) for v in self._voices), default=0.0)

    def cut_speech(self, at: float) -> None:
        """Cut every speech clip present now at timeline time `at` (applied when rendered)."""
        keep: list[_Voice] = []
        for v in self._voices:
            if v.speech:
                if v.anchor is None and v.start >= at:
                    continue  # queued, never to be heard
                v.cut = at if v.cut is None else min(v.cut, at)
            keep.append(v)
        self._voices = keep

    def render(self, pos: int, n: int, block_time: float) -> np.ndarray:
        """Samples pos..pos+n; `block_time` is the timeline time of sample `pos`."""
        out = np.zeros(n, dtype=np.float32)
        block_end = block_time + n / self.rate
        keep: list[_Voice] = []
        for v in self._voices:
            if v.anchor is None:
                if v.start >= block_end:
                    keep.append(v)  # not yet
                    continue
                offset = max(0, round((v.start - block_time) * self.rate))
                v.anchor = pos + offset
                if v.start < block_time:  # late: it starts with this block, ends later
                    v.start = block_time
                # (On time, `start` stays as asked: the end times callers were told, and
                # compare timers with, do not move by a fraction of a sample.)
            if v.cut is not None:
                self._apply_cut(v, v.anchor, v.cut, pos, block_time)
            lo, hi = max(v.anchor, pos), min(v.anchor + len(v.data), pos + n)
            if hi > lo:
                out[lo - pos : hi - pos] += v.data[lo - v.anchor : hi - v.anchor]
                if v.speech and np.any(v.data[lo - v.anchor : hi - v.anchor]):
                    self.last_speech_sample = max(self.last_speech_sample, hi - 1)
            if v.anchor + len(v.data) > pos + n:
                keep.append(v)
        self._voices = keep
        return out

    def _apply_cut(self, v: _Voice, anchor: int, cut: float, pos: int, block_time: float) -> None:
        """Shorten an anchored clip to end at its cut (never before this block), faded."""
        cut_sample = pos + max(0, round((cut - block_time) * self.rate))
        keep = max(0, cut_sample - anchor)
        if keep == 0:
            v.data = v.data[:0]  # cut before it was heard: nothing to fade
        elif keep < len(v.data):
            fade = min(round(FADE_SECONDS * self.rate), len(v.data) - keep)
            data = v.data[: keep + fade].copy()
            data[keep:] *= np.linspace(1.0, 0.0, fade, endpoint=False, dtype=np.float32)
            v.data = data
        v.cut = None


# --- sinks --------------------------------------------------------------------------------


class AudioOut(Protocol):
    """Where the coach's sounds go.  Times are timeline seconds."""

    rate: int
    lost: str | None
    """What went wrong when the output stopped on its own (a speaker unplugged), else None."""

    def now(self) -> float:
        """The timeline time of a sound played right now."""
        ...

    def play(self, clip: Clip, at: float | None = None) -> float:
        """Mix `clip` in from `at` (None: when possible); returns when it will end."""
        ...

    def stop_speech(self, at: float | None = None) -> None:
        """Cut speech (playing and queued) at `at` (None: now); tones may finish."""
        ...

    def busy_until(self) -> float:
        """When the sound queued so far ends."""
        ...

    def reopen(self) -> None:
        """After `lost`: open the output again (NoOutputDevice while it is still gone)."""
        ...

    def forget_before(self, t: float) -> None:
        """Nothing will be played or cut before `t` any more (a file read faster than real
        time says so as it goes): what comes before may be let go."""
        ...

    def close(self) -> None: ...


class WavTimelineOut(AudioOut):
    """Everything on one timeline in a WAV file; time is virtual (whatever `at` says).

    `now()` is the latest time the caller has mentioned (through `at`, `stop_speech` or
    `advance`), so a runtime reading audio from a file moves time along as it reads.
    """

    BLOCK_SECONDS = 1.0
    """Rendered a second at a time: memory stays small however long the session."""

    def __init__(self, path: str | Path, rate: int = 22050) -> None:
        self.path = Path(path)
        self.rate = rate
        self._mixer = Mixer(rate)
        self._now = 0.0
        self._closed = False
        self._wav: wave.Wave_write | None = None
        self._written = 0
        """Samples written to the file so far."""
        self.lost: str | None = None
        """A file is never unplugged."""

    def now(self) -> float:
        return self._now

    def advance(self, t: float) -> None:
        """Time has moved on to `t` (never backwards)."""
        self._now = max(self._now, t)

    def play(self, clip: Clip, at: float | None = None) -> float:
        if at is None:
            at = max(self._now, self._mixer.speech_until()) if clip.kind != "tone" else self._now
        else:
            self.advance(at)
        return self._mixer.add(clip, at)

    def stop_speech(self, at: float | None = None) -> None:
        at = self._now if at is None else at
        self.advance(at)
        self._mixer.cut_speech(at)

    def busy_until(self) -> float:
        return self._mixer.busy_until()

    def reopen(self) -> None:
        """Nothing to do: a file is never lost."""

    def forget_before(self, t: float) -> None:
        """Write the timeline before `t` to the file (whole blocks, never past the last
        sound) and let go of the clips that have ended: a six-minute session otherwise
        held ~18 MB of its own voice until the end."""
        if not self._closed:
            self._write(round(t * self.rate), whole_blocks=True)

    def close(self) -> None:
        """Render the rest of the timeline into the WAV file."""
        if self._closed:
            return
        self._closed = True
        self._write(None, whole_blocks=False)
        self._file().close()

    def _file(self) -> wave.Wave_write:
        if self._wav is None:
            self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - open across calls, closed by close()
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(self.rate)
        return self._wav

    def _write(self, until: int | None, whole_blocks: bool) -> None:
        """Render samples up to `until` (None: the end), never past the last sound."""
        block = round(self.BLOCK_SECONDS * self.rate)
        w = self._file()
        while True:
            # Only what has been played so far: the end is known after the cuts applied.
            end = round(self._mixer.busy_until() * self.rate)
            if until is not None:
                end = min(end, until)
            n = min(block, end - self._written)
            if n <= 0 or (whole_blocks and n < block):
                break
            pos = self._written
            w.writeframes(to_pcm(self._mixer.render(pos, n, pos / self.rate)))
            self._written += n


class SoundDeviceOut(AudioOut):
    """The real speaker: a sounddevice RawOutputStream mixing in its callback.

    Raises NoOutputDevice when there is no speaker.  `lost` holds what went wrong when the
    stream stopped on its own (device unplugged); `reopen()` tries again.
    """

    def __init__(
        self,
        device: int | str | None = None,
        rate: int | None = None,
        block_seconds: float = 0.02,
    ) -> None:
        self.device = device
        self._want_rate = rate
        self.block_seconds = block_seconds
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self.lost: str | None = None
        self.underflows = 0
        self.error: str | None = None
        """The first exception in the audio callback (a bug), if any."""
        self._stream: Any = None
        self._open()

    def _open(self) -> None:
        import sounddevice as sd

        try:
            info = sd.query_devices(self.device, kind="output")
            self.rate = int(self._want_rate or info["default_samplerate"])
            self._mixer = Mixer(self.rate)
            self._pos = 0
            self._next_time: float | None = None
            self._stream = sd.RawOutputStream(
                samplerate=self.rate,
                channels=1,
                dtype="int16",
                device=self.device,
                blocksize=round(self.block_seconds * self.rate),
                latency="low",
                callback=self._callback,
                finished_callback=self._finished,
            )
            self.latency = float(self._stream.latency)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            raise NoOutputDevice(
                f"No speaker to play on ({e}). Check that the speaker or headphones are "
                "plugged in and switched on, that the system sees them (`aplay -l`), and "
                "list the devices with `voicecoach devices`."
            ) from e
        self.lost = None
        name = info.get("name", "?")
        log.info("speaker: %s at %d Hz, latency %.0f ms", name, self.rate, 1000 * self.latency)

    def reopen(self) -> None:
        """After a lost device: open it again (NoOutputDevice while it is still gone)."""
        self._close_stream()
        self._open()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self.underflows += 1
        # When will this block reach the speaker?  PortAudio knows, when the host API does.
        ahead = time_info.outputBufferDacTime - time_info.currentTime
        if not 0.0 < ahead < 1.0:
            ahead = self.latency
        # Follow the sample clock (clips keep their exact spacing) unless it has drifted
        # from the monotonic clock by more than RESYNC_SECONDS (underruns, a device that
        # does not keep time): callback timing jitters, samples do not.
        measured = self.now() + ahead
        if self._next_time is None or abs(measured - self._next_time) > RESYNC_SECONDS:
            self._next_time = measured
        block_time = self._next_time
        self._next_time = block_time + frames / self.rate
        try:
            with self._lock:
                block = self._mixer.render(self._pos, frames, block_time)
                self._pos += frames
            outdata[:] = to_pcm(block)
        except Exception as e:  # an exception would end the stream: silence, and say why
            outdata[:] = bytes(len(outdata))
            if self.error is None:
                self.error = f"{type(e).__name__}: {e}"
                log.exception("output callback failed")

    def _finished(self) -> None:
        if not self._closing:
            self.lost = "the audio output stopped (device unplugged or failed)"
            log.error("speaker lost: %s", self.lost)

    _closing = False

    def play(self, clip: Clip, at: float | None = None) -> float:
        data = self._mixer.prepare(clip)  # outside the lock: the callback must not wait
        with self._lock:
            # Nothing reaches the speaker before the next block has gone through the
            # device's buffer: say so, so that the returned end time is honest.
            soonest = self.now() + self.latency + self.block_seconds
            if at is None and clip.kind != "tone":
                at = self._mixer.speech_until()
            at = soonest if at is None else max(at, soonest)
            return self._mixer.add(clip, at, data)

    def stop_speech(self, at: float | None = None) -> None:
        with self._lock:
            self._mixer.cut_speech(self.now() if at is None else at)

    def busy_until(self) -> float:
        with self._lock:
            return self._mixer.busy_until()

    def wait(self, timeout: float | None = None) -> None:
        """Block until everything queued has been played (or `timeout` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.busy_until() + self.latency > self.now() and self.lost is None:
            if deadline is not None and time.monotonic() > deadline:
                return
            time.sleep(0.01)

    def forget_before(self, t: float) -> None:
        """Nothing to do: the speaker lets go of each clip once it has played it."""

    def _close_stream(self) -> None:
        if self._stream is None:
            return
        self._closing = True
        try:
            self._stream.stop()
            self._stream.close()
        except Exception as e:  # closing a lost device may fail; nothing left to do
            log.debug("closing the output stream: %s", e)
        self._stream = None
        self._closing = False

    def close(self) -> None:
        self._close_stream()
