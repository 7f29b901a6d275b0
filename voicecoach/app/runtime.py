"""The runtime: the one imperative shell around the pure coach.

It feeds audio to the recognizer, turns what was heard into `Heard` events, keeps the
coach's timers, and carries out its actions: speech and tones onto one output timeline,
voice changes, log records to the store, the end.

Time comes from one of two places:
- a file (`run_file`): the audio's own timestamps.  A ten-minute session read from a WAV
  runs in seconds, and the coach's answers land on the output timeline where they would
  have in real life: after the end-of-speech silence plus the real processing time.
- a microphone (`run_live`): a monotonic clock; the recognizer runs on its own thread.

The coach, its timers and its timeline are one `SessionLoop` (voicecoach.app.loop), the
same one typed sessions and tests use.  While the coach is talking it keeps listening:
what interrupts (intents/flags.toml: stop, it hurts, help ...) cuts its voice at once
(barge-in), any other command is acted on when its speech ends, and an utterance made
only of words the coach has just said is taken for its own voice coming back (echo) and
ignored.  Every utterance is logged with what became of it.
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
from typing import IO, Any

from voicecoach.app import heap
from voicecoach.app.actionjson import action_json
from voicecoach.app.loop import DEFERRED, IGNORED, SessionLoop, Spoken
from voicecoach.app.session import Recorder, SessionRecorder
from voicecoach.app.timers import MonotonicClock
from voicecoach.coach.events import (
    Action,
    Begin,
    DeviceTrouble,
    Event,
    Heard,
    Log,
    Say,
)
from voicecoach.coach.machine import Coach
from voicecoach.hear.audio import AudioChunk, AudioSource
from voicecoach.hear.recognizer import RecognizerStream, Transcript
from voicecoach.understand.flags import NONE
from voicecoach.understand.intents import Match, Matcher
from voicecoach.voice.playback import AudioOut
from voicecoach.voice.speech import Clip, Speaker
from voicecoach.voice.timeline import AudioTimeline

log = logging.getLogger(__name__)

#: Why the final transcript of an utterance already acted on early is not acted on again.
ACTED_EARLY = "already acted on its early reading"
#: An utterance the recognizer made no words of (and the safety rescue nothing of).
NO_WORDS = "no words"
#: How long after a line ends its words still count as a possible echo.
ECHO_TAIL_SECONDS = 1.0
#: How often a lost microphone is looked for again.
RETRY_SECONDS = 2.0


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


def closed_set_note(phrase: str) -> dict[str, str]:
    """The heard record's note of a sentence taken from the audio itself: {"rescued": "i
    fell"} (understand.rescue), {"fallback": "pause"} (understand.fallback) or {"answer":
    "yes"} (understand.answers)."""
    kind, _, sentence = phrase.partition(": ")
    return {kind: sentence} if kind in ("rescued", "fallback", "answer") and sentence else {}


@dataclass
class Runtime:
    """Coach + matcher + recognizer + speaker + output, on one timeline (one SessionLoop)."""

    coach: Coach
    matcher: Matcher
    speaker: Speaker
    out: AudioOut
    tone: Callable[[str], Clip]
    understand: Callable[..., Match]
    events: EventLog = field(default_factory=lambda: EventLog(None))
    on_log: SessionRecorder = field(default_factory=Recorder)
    """Where the coach's Log actions go (the store, behind the coach); its notices are said."""
    speaker_lost: bool = False
    echo_guard: bool = False
    """Ignore utterances made of words the coach is saying (on for a live microphone,
    which hears the speaker; off for a file, which cannot)."""
    stopping: threading.Event = field(default_factory=threading.Event)
    acted_early: int = 0
    """The utterance whose early reading was acted on (its final transcript is not)."""
    """Set to make `run_live` return (SIGTERM, Ctrl-C); the coach never stops by itself."""
    loop: SessionLoop = field(init=False)
    emitted_at: float = field(init=False, default=0.0)
    """The session time of the last action, on the audio's own timeline."""
    heap: heap.Trimmer = field(init=False, default_factory=heap.Trimmer)
    """Gives back what decoding and understanding an utterance freed (voicecoach.app.heap)."""

    def __post_init__(self) -> None:
        timeline = AudioTimeline(self.speaker, self.out, self.tone)
        self.loop = SessionLoop(self.coach, timeline, self._emit, self.events.write)

    @property
    def ended(self) -> bool:
        return self.loop.ended

    @property
    def spoken(self) -> list[Spoken]:
        return self.loop.spoken

    def _emit(
        self, t: float, action: Action, heard: Match | None, span: tuple[float, float] | None
    ) -> None:
        self.emitted_at = t
        record = action_json(t, action, self.coach.current_id, heard)
        record["type"] = "action"
        if span is not None:
            record.update(start=round(span[0], 3), end=round(span[1], 3))
        if isinstance(action, Log):
            self.on_log(action)
        self.events.write(record)

    # --- events in ------------------------------------------------------------------------

    def feed(self, event: Event, heard: Match | None = None) -> None:
        self.loop.feed(event, heard)
        self._notices(event.t)

    def _notices(self, t: float) -> None:
        """The store writes behind the coach; trouble it met since (a full disk) is said
        once, as soon as it is known."""
        notice = self.on_log.take_notice()
        if notice:
            self.loop.execute(Say(notice, "error"), t)

    def fire_timers(self, until: float) -> None:
        """Expire every timer (and act on every deferred command) due by `until`, in order."""
        self.loop.advance(until)
        self._notices(until)

    def heard(self, transcript: Transcript, now: float) -> None:
        """One finished utterance: understand it, screen it, hand it to the session loop.

        An early reading of a short utterance (`transcript.tentative`) acts only when it is
        a safety word; then the same utterance's final transcript is logged and let go."""
        started = time.perf_counter()
        utterance = transcript.utterance
        if utterance and utterance == self.acted_early and not transcript.tentative:
            self.events.write({
                "t": round(now, 3), "type": "heard", "text": transcript.text,
                "start": round(transcript.start, 3), "end": round(transcript.end, 3),
                "ignored": ACTED_EARLY,
            })  # fmt: skip
            return
        speaking = self.loop.speaking(transcript.start, now)
        if speaking is not None and transcript.alternatives:
            # Over the coach's own voice only the best reading may act: a next-best guess
            # must not cut the coach off.
            transcript = replace(transcript, alternatives=())
        # Nor may a closed-set guess (understand.fallback) take the coach's voice for a command.
        match = self.understand(
            transcript,
            self.matcher,
            self.coach.expects_answer,
            guesses=speaking is None,
            asked=self.coach.asks_yes_no,
        )
        # The room echoes a little after the coach stops: its own words may come back late.
        echoing = self.loop.speaking(transcript.start, now, ECHO_TAIL_SECONDS)
        # Words the engine doubted and the understanding took (understand.rejection) are
        # what was heard, for the log and the echo check alike.
        words = transcript.text or (match.text if match.intent != NONE else "")
        record = {
            "t": round(now, 3),
            "type": "heard",
            "text": words,
            "intent": match.intent,
            "slots": match.slots,
            "confidence": round(match.confidence, 3),
            "start": round(transcript.start, 3),
            "end": round(transcript.end, 3),
        }
        record.update(closed_set_note(match.phrase))
        if self.echo_guard and echoing is not None and self._is_echo(words, echoing):
            self.events.write({**record, "ignored": "echo"})
            return
        if match.intent == NONE and not transcript.text.strip():
            # Sound with no words in it (a TV, a door, a cough): nothing to answer, and a
            # "sorry, I didn't catch that" to the room every few seconds is worse than none.
            self.events.write({**record, "ignored": NO_WORDS})
            return
        if transcript.tentative:
            if not self.loop.flags[match.intent].safety:
                return  # the final transcript of this utterance will follow
            record["early"] = True
            self.acted_early = utterance
        # A guess is asked about ("did you want to move on?") only when the coach was quiet:
        # over its voice, or its echo, the words may be its own.
        guess = match.guess if speaking is None and echoing is None else ""
        heard = Heard(
            match.intent, now, match.slots, match.confidence, words, guess, match.guess_slots
        )
        # The record goes first so the log reads in order; what happened to it follows.
        outcome = self.loop.screen(heard)
        if outcome == IGNORED:
            self.events.write({**record, "ignored": "not a command, coach speaking"})
            return
        if outcome == DEFERRED:
            self.events.write({**record, "deferred": "until the coach's speech ends"})
        else:
            self.events.write(record)
        self.loop.hear(heard, match, time.perf_counter() - started)

    def _check_speaker(self, now: float) -> None:
        """A speaker that stopped by itself: pause the coach, retry, carry on when back."""
        lost = self.out.lost
        if lost and not self.speaker_lost:
            self.speaker_lost = True
            log.error("speaker lost: %s; pausing and retrying every %.0f s", lost, RETRY_SECONDS)
            self.events.write({"t": round(now, 3), "type": "device", "state": "speaker lost"})
            self.feed(DeviceTrouble("speaker", False, now))
        elif self.speaker_lost:
            try:
                self.out.reopen()
            except Exception as err:  # still gone: try again later
                log.debug("speaker still missing: %s", err)
                return
            self.speaker_lost = False
            log.info("speaker back")
            self.events.write({"t": round(now, 3), "type": "device", "state": "speaker back"})
            self.feed(DeviceTrouble("speaker", True, now))

    def _is_echo(self, text: str, line: Spoken) -> bool:
        words = set(self.matcher.intents.normalise(text).split())
        recent = " ".join(s.text for s in self.spoken[-3:] if s.end >= line.start - 5)
        said = set(self.matcher.intents.normalise(recent).split())
        return bool(words) and words <= said

    # --- drivers --------------------------------------------------------------------------

    def run_file(
        self, chunks: Iterable[AudioChunk], stream: RecognizerStream, pace: bool = False
    ) -> None:
        """Read the person from audio chunks; time is the audio's own.

        The whole recording is read even after a session ends: a later "start" begins the
        next one, as it would on the microphone.  With `pace`, wait for each chunk's time
        on a real clock, for a real speaker.
        """
        clock = MonotonicClock() if pace else None
        self.feed(Begin(0.0))
        end = 0.0
        for chunk in chunks:
            if clock is not None:
                clock.sleep_until(chunk.timestamp)
            self.fire_timers(chunk.timestamp)
            started = time.perf_counter()
            transcripts = stream.feed(chunk)
            end = chunk.timestamp + chunk.seconds
            decode = time.perf_counter() - started
            for transcript in transcripts:
                self.heard(transcript, end + decode)
            if transcripts:  # what decoding and understanding it freed
                self.heap.after_utterance()
            # Every later action is due at or after this chunk: a WAV output writes out
            # and lets go of what is before it.
            self.out.forget_before(chunk.timestamp)
        for transcript in stream.flush():
            self.heard(transcript, end)
        self.loop.settle(clock.sleep_until if clock is not None else None)
        self.loop.finish(end)

    def run_live(self, open_source: Callable[[], AudioSource], stream: RecognizerStream) -> None:
        """Listen to a microphone in real time until stopped (Ctrl-C, SIGTERM or `stopping`).

        A session that ends leaves the coach listening quietly for "start": a screenless
        device must never go silent for good.
        """
        # One timeline for everything: the output's own clock when it has one, so the
        # times given to play() mean what they say.
        clock = _OutputClock(self.out)
        self.echo_guard = True
        heard: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        sources: list[AudioSource] = []
        listener = threading.Thread(
            target=_listen, args=(open_source, stream, heard, stop, sources), daemon=True
        )
        listener.start()
        self.feed(Begin(clock.now()))
        try:
            while not self.stopping.is_set():
                self._check_speaker(clock.now())
                due = self.loop.next_due()
                timeout = None if due is None else max(0.0, due - clock.now())
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
                    self.heap.after_utterance()  # what decoding and understanding it freed
                elif kind == "device":
                    self.events.write({"t": round(now, 3), "type": "device", "state": payload})
                    self.feed(DeviceTrouble("microphone", payload == "back", now))
                elif kind == "stop":
                    return
        finally:
            # Close the microphone before the interpreter exits: PortAudio shutting down
            # under an open stream can hang the process.
            stop.set()
            for source in sources:
                source.close()
            listener.join(timeout=RETRY_SECONDS + 1)


@dataclass
class _OutputClock:
    out: AudioOut

    def now(self) -> float:
        return float(self.out.now())

    def sleep_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            time.sleep(delay)


def _listen(
    open_source: Callable[[], AudioSource],
    stream: RecognizerStream,
    heard: queue.Queue[tuple[str, Any]],
    stop: threading.Event,
    sources: list[AudioSource],
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
    open_source: Callable[[], AudioSource], stop: threading.Event, sources: list[AudioSource]
) -> Iterator[AudioChunk]:
    source = open_source()
    sources[:] = [source]  # so the main thread can close it on the way out
    try:
        for chunk in source:
            if stop.is_set():
                return
            yield chunk
    finally:
        source.close()
