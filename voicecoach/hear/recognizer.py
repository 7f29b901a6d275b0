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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from voicecoach.hear.endpoint import Endpointer, Utterance

if TYPE_CHECKING:
    from voicecoach.hear.audio import AudioChunk

log = logging.getLogger(__name__)


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

    def shifted(self, offset: float) -> Transcript:
        """The same transcript with times moved by `offset` seconds."""
        return replace(self, start=self.start + offset, end=self.end + offset)

    @property
    def min_word_confidence(self) -> float:
        return min((c for _, c in self.words), default=self.confidence)


def joined(transcripts: list[Transcript], engine: str = "") -> Transcript:
    """Pieces of one utterance (an engine or the endpointer split it) as one transcript;
    the least confident piece sets the confidence."""
    pieces = [t for t in transcripts if t.text]
    if not pieces:
        end = max((t.end for t in transcripts), default=0.0)
        return Transcript("", 0.0, (), 0.0, end, engine)
    return Transcript(" ".join(t.text for t in pieces), min(t.confidence for t in pieces),
                      tuple(w for t in pieces for w in t.words), pieces[0].start,
                      pieces[-1].end, engine or pieces[0].engine)


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

    def stream(self, end_silence: float = 0.8) -> RecognizerStream:
        """A stream that ends an utterance after `end_silence` seconds without speech."""
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

    def __init__(self, decoder: IncrementalDecoder, end_silence: float = 0.8,
                 denoiser: Denoiser | None = None, endpointer: Any = None,
                 **endpoint_options: Any):
        """`endpointer`: the end-of-speech detector's class (default
        voicecoach.hear.endpoint.Endpointer; voicecoach.hear.vad.SileroEndpointer takes the
        same arguments), built with `end_silence`, this stream as listener, `endpoint_options`."""
        if endpointer is None:
            endpointer = Endpointer
        self._decoder = decoder
        self._denoiser = denoiser
        self._endpointer = endpointer(end_silence=end_silence, listener=self,
                                      **endpoint_options)
        self._done: list[Transcript] = []
        self._last: AudioChunk | None = None  # for the denoiser's lagging rest at the end

    # SpeechListener
    def speech_started(self, audio: bytes) -> None:
        self._decoder.begin()
        self._decoder.accept(audio)

    def speech_continues(self, frame: bytes) -> None:
        self._decoder.accept(frame)

    def speech_ended(self, utterance: Utterance | None) -> None:
        if utterance is None:
            self._decoder.abandon()
            return
        t = self._decoder.finish()
        self._done.append(t.shifted(utterance.start) if t.end or t.start else
                          replace(t, start=utterance.start, end=utterance.end))

    def _take(self) -> list[Transcript]:
        done, self._done = self._done, []
        return done

    def feed(self, chunk: AudioChunk) -> list[Transcript]:
        if self._denoiser is not None:
            self._last = chunk
            chunk = self._ending_at(chunk, self._denoiser.process(chunk.audio),
                                    chunk.end - self._denoiser.delay)
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
