"""Speech recognition: the Recognizer protocol, the transcript, and decoding while speaking.

A recognizer turns one utterance (16 kHz mono int16) into a Transcript.  Streams cut live
audio into utterances with an end-of-speech detector (voicecoach.hear.endpoint, or
voicecoach.hear.vad for Whisper).  Engines that can decode incrementally (PocketSphinx,
Vosk) decode *while the person speaks* (DecodingStream): when the end-of-speech silence has
passed, only the decoder's final step is left.  Whisper is not incremental: it keeps the
audio and decodes it right after the person stops (encoding only the utterance, not a 30 s
window).  Which engine runs is chosen in voicecoach.hear.engines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from voicecoach.hear.endpoint import Endpointer, Utterance

if TYPE_CHECKING:
    from voicecoach.hear.audio import AudioChunk

log = logging.getLogger(__name__)

#: 16 kHz mono int16.
BYTES_PER_SECOND = 32000
#: Only utterances with at most this much speech are read early: safety words are short.
EARLY_MAX_SPEECH = 2.0


@dataclass(frozen=True)
class Doubted:
    """How sure the engine was of words it dropped only for doubt (Whisper: a low average
    token log-probability, nothing else against them): they may still be understood, as
    long as the layers that check the audio bear them out (voicecoach.understand.rejection)."""

    confidence: float
    """0..1, as `Transcript.confidence`."""
    words: tuple[tuple[str, float], ...] = ()
    """(word, confidence 0..1) in order, as `Transcript.words`."""


@dataclass(frozen=True)
class Transcript:
    """What a recognizer heard in one utterance."""

    text: str
    """Lower-case words; "" when nothing (or only noise) was heard."""
    confidence: float
    """0..1: how sure the engine is of the whole text."""
    words: tuple[tuple[str, float], ...] = ()
    """(word, confidence 0..1) in order."""
    start: float = 0.0
    """Seconds on the audio's timeline."""
    end: float = 0.0
    engine: str = ""
    """Which recognizer made it (its confidences have their own scale)."""
    alternatives: tuple[str, ...] = ()
    """The engine's next-best readings of the same audio, best first (may be empty)."""
    verify: Callable[[Sequence[str]], list[float]] | None = field(
        default=None, compare=False, repr=False
    )
    """Closed-set check, when the engine can: how well each given sentence fits this
    utterance's audio (Whisper: mean teacher-forced token log-probability, higher is better)."""
    tentative: bool = False
    """An early reading of an utterance still in progress (see DecodingStream): only a
    safety word may act on it; the utterance's final transcript follows."""
    dropped: str = ""
    """Words the engine heard but did not trust enough to keep (Whisper: below its
    log-probability floor, or taken for noise); `text` is then "".  Only a hint for
    closed-set checks of the audio (voicecoach.understand.fallback), never understood
    as such unless `doubted` says they were dropped for doubt alone."""
    doubted: Doubted | None = None
    """Set when `dropped` was dropped only because the engine doubted it: then
    understanding tries it last, when the utterance meant nothing without it, with these
    confidences, and takes it only for an intent the audio bears out
    (voicecoach.understand.rejection.heard_doubted)."""
    utterance: int = 0
    """Which utterance of its stream (from 1; 0 when not from a stream): an early reading
    and the final transcript of the same utterance share it."""

    def shifted(self, offset: float) -> Transcript:
        """The same transcript with times moved by `offset` seconds."""
        return replace(self, start=self.start + offset, end=self.end + offset)

    @property
    def min_word_confidence(self) -> float:
        return min((c for _, c in self.words), default=self.confidence)


def joined(transcripts: list[Transcript], engine: str = "") -> Transcript:
    """Pieces of one utterance (an engine or the endpointer split it) as one transcript;
    the least confident piece sets the confidence.  Next-best readings are kept only when
    there is one piece (they read the piece, not the whole)."""
    pieces = [t for t in transcripts if t.text]
    if len(transcripts) == 1:
        return transcripts[0]  # one piece: keep all it carries (alternatives, verify)
    if not pieces:
        end = max((t.end for t in transcripts), default=0.0)
        return Transcript("", 0.0, (), 0.0, end, engine)
    if len(pieces) == 1:  # whole: its next-best readings still apply
        return replace(pieces[0], engine=engine or pieces[0].engine)
    return Transcript(
        " ".join(t.text for t in pieces),
        min(t.confidence for t in pieces),
        tuple(w for t in pieces for w in t.words),
        pieces[0].start,
        pieces[-1].end,
        engine or pieces[0].engine,
    )


class RecognizerStream(Protocol):
    def feed(self, chunk: AudioChunk) -> list[Transcript]:
        """Take live audio; return the utterances that this chunk finished."""
        ...

    def flush(self) -> list[Transcript]:
        """The input has ended: transcribe what is left."""
        ...


class Recognizer(Protocol):
    name: str

    def transcribe(self, pcm: bytes) -> Transcript:
        """One whole utterance (16 kHz mono int16) -> transcript."""
        ...

    def stream(
        self, end_silence: float = 0.8, early_silence: float | None = None
    ) -> RecognizerStream:
        """A stream that ends an utterance after `end_silence` seconds without speech; with
        `early_silence`, a short utterance is also read early, tentatively, after that much
        silence (so "it hurts" need not wait for the whole end-of-speech silence)."""
        ...


class IncrementalDecoder(Protocol):
    """One utterance at a time, fed as it arrives."""

    def begin(self) -> None: ...

    def accept(self, pcm: bytes) -> None:
        """More audio of the utterance in progress (decoded now, not at the end)."""
        ...

    def finish(self) -> Transcript:
        """The utterance is over: its transcript, times relative to its start."""
        ...

    def peek(self) -> Transcript:
        """What the utterance in progress says so far; it stays open."""
        ...

    def abandon(self) -> None:
        """Drop the utterance in progress (it was too short to be speech)."""
        ...


class Denoiser(Protocol):
    """Cleans a stream; what comes out lags what goes in by a fixed delay."""

    def process(self, pcm: bytes) -> bytes:
        """The cleaned audio available so far (it ends `delay` seconds before the input)."""
        ...

    def flush(self) -> bytes:
        """The lagging rest: everything fed comes out exactly once."""
        ...

    @property
    def delay(self) -> float: ...


class RecognizerUnavailable(RuntimeError):
    """The asked-for engine or model cannot be used; the message says why and what to do."""


class DecodingStream:
    """RecognizerStream that decodes while the person speaks.

    The endpointer reports each utterance as it happens (voicecoach.hear.endpoint's
    SpeechListener); its audio goes to the decoder frame by frame.  An optional denoiser
    cleans the whole stream first, so its noise estimate always follows the room.
    """

    def __init__(
        self,
        decoder: IncrementalDecoder,
        end_silence: float = 0.8,
        denoiser: Denoiser | None = None,
        endpointer: Any = None,
        early_silence: float | None = None,
        **endpoint_options: Any,
    ):
        """`endpointer`: the end-of-speech detector's class (default
        voicecoach.hear.endpoint.Endpointer; voicecoach.hear.vad.SileroEndpointer takes the
        same arguments), built with `end_silence`, this stream as listener, `endpoint_options`.
        `early_silence`: read a short utterance once, tentatively, after this much silence."""
        if endpointer is None:
            endpointer = Endpointer
        self._decoder = decoder
        self._denoiser = denoiser
        self._early = early_silence if early_silence and early_silence < end_silence else None
        self._peeked = False
        self._count = 0  # utterances begun
        self._bytes = 0  # of the utterance in progress, for the early reading's end
        self._endpointer = endpointer(end_silence=end_silence, listener=self, **endpoint_options)
        self._done: list[Transcript] = []
        self._last: AudioChunk | None = None  # for the denoiser's lagging rest at the end

    # SpeechListener
    def speech_started(self, audio: bytes) -> None:
        self._decoder.begin()
        self._decoder.accept(audio)
        self._peeked = False
        self._count += 1
        self._bytes = len(audio)

    def speech_continues(self, frame: bytes) -> None:
        self._decoder.accept(frame)
        self._bytes += len(frame)

    def speech_paused(self, silence: float, voiced: float) -> None:
        # A safety word is short: read short utterances once, early, so "it hurts" is
        # answered without waiting for the whole end-of-speech silence.  Longer talk waits.
        if self._early is None or self._peeked or silence < self._early - 1e-9:
            return
        self._peeked = True
        if voiced > EARLY_MAX_SPEECH:
            return
        early = self._decoder.peek()
        if early.text:
            start = self._endpointer.utterance_start
            end = start + self._bytes / BYTES_PER_SECOND
            self._done.append(
                replace(early, start=start, end=end, tentative=True, utterance=self._count)
            )

    def speech_ended(self, utterance: Utterance | None) -> None:
        if utterance is None:
            self._decoder.abandon()
            return
        t = self._decoder.finish()
        placed = (
            t.shifted(utterance.start)
            if t.end or t.start
            else replace(t, start=utterance.start, end=utterance.end)
        )
        self._done.append(replace(placed, utterance=self._count))

    def _take(self) -> list[Transcript]:
        done, self._done = self._done, []
        return done

    def feed(self, chunk: AudioChunk) -> list[Transcript]:
        if self._denoiser is not None:
            self._last = chunk
            chunk = self._ending_at(
                chunk, self._denoiser.process(chunk.audio), chunk.end - self._denoiser.delay
            )
        if chunk.audio:
            self._endpointer.feed(chunk)
        return self._take()

    def flush(self) -> list[Transcript]:
        if self._denoiser is not None and self._last is not None:
            rest = self._ending_at(self._last, self._denoiser.flush(), self._last.end)
            if rest.audio:
                self._endpointer.feed(rest)
        self._endpointer.flush()
        return self._take()

    @staticmethod
    def _ending_at(chunk: AudioChunk, audio: bytes, end: float) -> AudioChunk:
        """`audio` as a chunk of `chunk`'s stream that ends at `end` on its timeline."""
        return replace(chunk, audio=audio, timestamp=end - len(audio) / (2 * chunk.rate))
