"""The runtime: the one imperative shell around the pure coach.

It feeds audio to the recognizer, turns what was heard into `Heard` events, keeps the
coach's timers, and carries out its actions: speech and tones onto one output timeline,
voice changes, log records to the store, the end.

Time comes from one of two places:
- a file (`run_file`): the audio's own timestamps.  A ten-minute session read from a WAV
  runs in seconds, and the coach's answers land on the output timeline where they would
  have in real life: after the end-of-speech silence plus the real processing time.
- a microphone (`run_live`): a monotonic clock; the recognizer runs on its own thread.

While the coach is talking it keeps listening, but only safety and control phrases act
(stop, pause, it hurts), and an utterance made only of words the coach has just said is
taken for its own voice coming back (echo) and ignored.  A control phrase cuts the
speech at once (barge-in).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Protocol

from voicecoach.app.actionjson import action_json
from voicecoach.app.timers import MonotonicClock, Timers
from voicecoach.coach.events import (
    Action,
    Begin,
    CancelTimer,
    DeviceTrouble,
    End,
    Event,
    Heard,
    InputEnded,
    Log,
    Say,
    SetVoice,
    StartTimer,
    TimerExpired,
    Tone,
)
from voicecoach.coach.machine import Coach
from voicecoach.understand.flags import load_flags
from voicecoach.understand.intents import Match, Matcher

log = logging.getLogger(__name__)

#: What may act while the coach is speaking: the ways out and the brakes (intents/flags.toml).
CONTROL_WHILE_SPEAKING = load_flags().interrupting
#: How long after a line ends its words still count as a possible echo.
ECHO_TAIL_SECONDS = 1.0
#: How often a lost microphone is looked for again.
RETRY_SECONDS = 2.0


class AudioOutLike(Protocol):
    def play(self, clip: Any, at: float | None = None) -> float: ...
    def stop_speech(self, at: float | None = None) -> None: ...
    def busy_until(self) -> float: ...
    def close(self) -> None: ...


class SpeakerLike(Protocol):
    def render(self, text: str) -> Any: ...
    def set_voice(self, rate: int, volume: float) -> None: ...


class StreamLike(Protocol):
    def feed(self, chunk: Any) -> list[Any]: ...
    def flush(self) -> list[Any]: ...


class EventLog:
    """Everything heard and done, one JSON object per line (`--log FILE.jsonl`)."""

    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] | None = path.open("w", encoding="utf-8") if path else None
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        if self._file is not None:
            self._file.write(json.dumps(record) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass
class Spoken:
    """A line on the output timeline, kept for echo and barge-in decisions."""

    text: str
    start: float
    end: float


@dataclass
class Runtime:
    """Coach + matcher + recognizer + speaker + output, on one timeline."""

    coach: Coach
    matcher: Matcher
    speaker: SpeakerLike
    out: AudioOutLike
    tone: Callable[[str], Any]
    understand: Callable[..., Match]
    events: EventLog = field(default_factory=lambda: EventLog(None))
    on_log: Callable[[Log], None] | None = None
    timers: Timers = field(default_factory=Timers)
    spoken: list[Spoken] = field(default_factory=list)
    speaker_lost: bool = False
    echo_guard: bool = False
    """Ignore utterances made of words the coach is saying (on for a live microphone,
    which hears the speaker; off for a file, which cannot)."""
    ended: bool = False
    lag: float = 0.0
    """Processing time (seconds) spent on the event being handled, added to output times."""

    # --- events in ------------------------------------------------------------------------

    def feed(self, event: Event, heard: Match | None = None) -> None:
        for action in self.coach.handle(event):
            self.execute(action, event.t, heard)
        # The store writes behind the coach; trouble it met since (a full disk) is said once.
        take_notice = getattr(self.on_log, "take_notice", None)
        notice = take_notice() if take_notice is not None else None
        if notice:
            self.execute(Say(notice, "error"), event.t)

    def fire_timers(self, until: float) -> None:
        """Expire every timer due by `until`, in order, each at its own deadline."""
        while not self.ended and (due := self.timers.pop_due(until)) is not None:
            self.lag = 0.0
            self.feed(TimerExpired(due[0], due[1]))

    def heard(self, transcript: Any, now: float) -> None:
        """One finished utterance: understand it, screen it while speaking, hand it on."""
        started = time.perf_counter()
        speaking = self._speaking_at(transcript.start, now)
        if speaking is not None and transcript.alternatives:
            # Over the coach's own voice only the best reading may act: a next-best guess
            # must not cut the coach off.
            transcript = replace(transcript, alternatives=())
        match = self.understand(transcript, self.matcher, self.coach.expects_answer)
        # The room echoes a little after the coach stops: its own words may come back late.
        echoing = self._speaking_at(transcript.start, now, ECHO_TAIL_SECONDS)
        record = {
            "t": round(now, 3),
            "type": "heard",
            "text": transcript.text,
            "intent": match.intent,
            "slots": match.slots,
            "confidence": round(match.confidence, 3),
            "start": round(transcript.start, 3),
            "end": round(transcript.end, 3),
        }
        if self.echo_guard and echoing is not None and self._is_echo(transcript.text, echoing):
            self.events.write({**record, "ignored": "echo"})
            return
        if speaking is not None and match.intent not in CONTROL_WHILE_SPEAKING:
            self.events.write({**record, "ignored": "coach speaking"})
            return
        self.events.write(record)
        if speaking is not None:
            self.out.stop_speech(now)
            self.events.write({"t": round(now, 3), "type": "barge_in", "intent": match.intent})
        self.lag = time.perf_counter() - started
        heard = Heard(match.intent, now, match.slots, match.confidence, transcript.text)
        self.feed(heard, match)

    def _check_speaker(self, now: float) -> None:
        """A speaker that stopped by itself: pause the coach, retry, carry on when back."""
        lost = getattr(self.out, "lost", None)
        if lost and not self.speaker_lost:
            self.speaker_lost = True
            log.error("speaker lost: %s; pausing and retrying every %.0f s", lost, RETRY_SECONDS)
            self.events.write({"t": round(now, 3), "type": "device", "state": "speaker lost"})
            self.feed(DeviceTrouble("speaker", False, now))
        elif self.speaker_lost:
            try:
                self.out.reopen()  # type: ignore[attr-defined]
            except Exception as err:  # still gone: try again later
                log.debug("speaker still missing: %s", err)
                return
            self.speaker_lost = False
            log.info("speaker back")
            self.events.write({"t": round(now, 3), "type": "device", "state": "speaker back"})
            self.feed(DeviceTrouble("speaker", True, now))

    def _speaking_at(self, start: float, now: float, tail: float = 0.0) -> Spoken | None:
        """The line the coach was saying while the person spoke (from `start` to `now`)."""
        for line in reversed(self.spoken):
            if line.start <= now and line.end + tail >= start:
                return line
        return None

    def _is_echo(self, text: str, line: Spoken) -> bool:
        words = set(self.matcher.intents.normalise(text).split())
        recent = " ".join(s.text for s in self.spoken[-3:] if s.end >= line.start - 5)
        said = set(self.matcher.intents.normalise(recent).split())
        return bool(words) and words <= said

    # --- actions out ----------------------------------------------------------------------

    def execute(self, action: Action, t: float, heard: Match | None = None) -> None:
        at = t + self.lag
        record = action_json(at, action, self.coach.current_id, heard)
        record["type"] = "action"
        if isinstance(action, Say):
            started = time.perf_counter()
            clip = self.speaker.render(action.text)
            self.lag += time.perf_counter() - started
            begin = max(t + self.lag, self.out.busy_until())
            end = self.out.play(clip, begin)
            self.spoken.append(Spoken(action.text, begin, end))
            del self.spoken[:-20]
            record.update(start=round(begin, 3), end=round(end, 3))
        elif isinstance(action, Tone):
            begin = max(t + self.lag, self.out.busy_until())
            end = self.out.play(self.tone(action.name), begin)
            record.update(start=round(begin, 3), end=round(end, 3))
        elif isinstance(action, SetVoice):
            self.speaker.set_voice(action.rate, action.volume)
        elif isinstance(action, StartTimer):
            self.timers.start(action.timer, action.seconds, t)
        elif isinstance(action, CancelTimer):
            self.timers.cancel(action.timer)
        elif isinstance(action, Log):
            if self.on_log is not None:
                self.on_log(action)
        elif isinstance(action, End):
            self.ended = True
        self.events.write(record)

    # --- drivers --------------------------------------------------------------------------

    def run_file(self, chunks: Iterable[Any], stream: StreamLike, pace: bool = False) -> None:
        """Read the person from audio chunks; time is the audio's own.

        With `pace`, wait for each chunk's time on a real clock, for a real speaker.
        """
        clock = MonotonicClock() if pace else None
        self.feed(Begin(0.0))
        end = 0.0
        for chunk in chunks:
            if self.ended:
                break
            if clock is not None:
                clock.sleep_until(chunk.timestamp)
            self.fire_timers(chunk.timestamp)
            started = time.perf_counter()
            transcripts = stream.feed(chunk)
            end = chunk.timestamp + chunk.seconds
            decode = time.perf_counter() - started
            for transcript in transcripts:
                if not self.ended:
                    self.heard(transcript, end + decode)
        for transcript in stream.flush():
            if not self.ended:
                self.heard(transcript, end)
        self._finish(end, clock)

    def _finish(self, now: float, clock: MonotonicClock | None) -> None:
        """After the input: let running activity reach its next wait, then end cleanly."""
        while not self.ended and not self.coach.waiting:
            due = self.timers.next_deadline()
            if due is None:
                break
            if clock is not None:
                clock.sleep_until(due[1])
            self.fire_timers(due[1])
            now = due[1]
        if not self.ended:
            self.lag = 0.0
            self.feed(InputEnded(max(now, self.out.busy_until())))

    def run_live(self, open_source: Callable[[], Iterable[Any]], stream: StreamLike) -> None:
        """Listen to a microphone in real time until the session ends (or Ctrl-C)."""
        # One timeline for everything: the output's own clock when it has one, so the
        # times given to play() mean what they say.
        clock = _OutputClock(self.out) if hasattr(self.out, "now") else MonotonicClock()
        self.echo_guard = True
        heard: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        sources: list[Any] = []
        listener = threading.Thread(
            target=_listen, args=(open_source, stream, heard, stop, sources), daemon=True
        )
        listener.start()
        self.feed(Begin(clock.now()))
        try:
            while not self.ended:
                self._check_speaker(clock.now())
                due = self.timers.next_deadline()
                timeout = None if due is None else max(0.0, due[1] - clock.now())
                if self.speaker_lost:
                    timeout = RETRY_SECONDS if timeout is None else min(timeout, RETRY_SECONDS)
                try:
                    kind, payload = heard.get(timeout=timeout)
                except queue.Empty:
                    self.fire_timers(clock.now())
                    continue
                now = clock.now()
                self.fire_timers(now)
                if kind == "utterance":
                    self.heard(payload, now)
                elif kind == "device":
                    self.events.write({"t": round(now, 3), "type": "device", "state": payload})
                    self.lag = 0.0
                    self.feed(DeviceTrouble("microphone", payload == "back", now))
        finally:
            # Close the microphone before the interpreter exits: PortAudio shutting down
            # under an open stream can hang the process.
            stop.set()
            for source in sources:
                close = getattr(source, "close", None)
                if close is not None:
                    close()
            listener.join(timeout=RETRY_SECONDS + 1)


@dataclass
class _OutputClock:
    out: Any

    def now(self) -> float:
        return float(self.out.now())

    def sleep_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            time.sleep(delay)


def _listen(
    open_source: Callable[[], Iterable[Any]],
    stream: StreamLike,
    heard: queue.Queue[tuple[str, Any]],
    stop: threading.Event,
    sources: list[Any],
) -> None:
    """The recognizer's thread: microphone chunks in, utterances out; survives a lost mic."""
    lost = False
    while not stop.is_set():
        try:
            for chunk in _chunks(open_source, stop, sources):
                if lost:
                    lost = False
                    heard.put(("device", "back"))
                for transcript in stream.feed(chunk):
                    heard.put(("utterance", transcript))
            return
        except Exception as err:  # any device error: say so once, then keep trying
            if not lost:
                log.warning("microphone lost: %s", err)
                heard.put(("device", "lost"))
                lost = True
            stop.wait(RETRY_SECONDS)


def _chunks(
    open_source: Callable[[], Iterable[Any]], stop: threading.Event, sources: list[Any]
) -> Iterator[Any]:
    source = open_source()
    sources[:] = [source]  # so the main thread can close it on the way out
    try:
        for chunk in source:
            if stop.is_set():
                return
            yield chunk
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
