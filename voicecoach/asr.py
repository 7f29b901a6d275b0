"""Speech recognition: the Recognizer protocol, the transcript, and choosing an engine.

Three engines implement the protocol:
- Whisper tiny.en (voicecoach.asr_whisper), the default: a neural open-vocabulary
  recognizer whose model comes in a PyPI package, with Silero VAD (voicecoach.vad) for the
  end of speech; chosen when it is installed, its model is intact and this machine runs it
  fast enough (a one-off timing probe at start-up);
- Vosk (voicecoach.asr_vosk), when an English model sits under models/ (restricted to the
  coach's words, generated from intents/ by voicecoach.vocab);
- PocketSphinx (voicecoach.asr_pocketsphinx), the fallback: its wheel carries a US-English
  model, and it too only knows the coach's words.

A recognizer turns one utterance (16 kHz mono int16) into a Transcript.  Streams cut live
audio into utterances with an end-of-speech detector (voicecoach.endpoint, or voicecoach.vad for
Whisper).  Engines that can decode incrementally (PocketSphinx, Vosk) decode *while the
person speaks* (DecodingStream): when the end-of-speech silence has passed, only the
decoder's final step is left.  Whisper is not incremental: it keeps the audio and decodes
it right after the person stops (encoding only the utterance, not a 30 s window).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from voicecoach.audio import AudioChunk
    from voicecoach.endpoint import Utterance
    from voicecoach.vocab import PhraseSource

log = logging.getLogger(__name__)

ENGINES = ("whisper", "vosk", "pocketsphinx")

#: The start-up probe (encode + decode 2 s of audio) must take less than this, or the
#: machine is too slow for Whisper and PocketSphinx is used.  Here (x86, one core) ~0.1 s;
#: a Pi 4 core is 3-4x slower.
WHISPER_PROBE_LIMIT = 1.0

#: Where models live: $VOICECOACH_MODELS, else ./models (the repository's folder).
MODELS_ENV = "VOICECOACH_MODELS"


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

    The endpointer reports each utterance as it happens (voicecoach.endpoint's
    SpeechListener); its audio goes to the decoder frame by frame.  An optional denoiser
    cleans the whole stream first, so its noise estimate always follows the room.
    """

    def __init__(self, decoder: IncrementalDecoder, end_silence: float = 0.8,
                 denoiser: Denoiser | None = None, endpointer: Any = None,
                 **endpoint_options: Any):
        """`endpointer`: the end-of-speech detector's class (default
        voicecoach.endpoint.Endpointer; voicecoach.vad.SileroEndpointer takes the same
        arguments), built with `end_silence`, this stream as listener, `endpoint_options`."""
        if endpointer is None:
            from voicecoach.endpoint import Endpointer

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


# --- choosing an engine ---------------------------------------------------------------------


def models_dir() -> Path:
    return Path(os.environ.get(MODELS_ENV) or "models")


def is_vosk_model(path: Path) -> bool:
    """A folder laid out like a Vosk model (am/ + conf/ + graph/, or the older flat layout)."""
    return path.is_dir() and (
        (path / "am").is_dir() or (path / "final.mdl").is_file()
    ) and ((path / "conf").is_dir() or (path / "mfcc.conf").is_file())


def find_vosk_model(root: Path | None = None) -> Path | None:
    """The best English Vosk model folder under `root` (default: models/), or None.

    Prefers names with "en" in them; among those the small models (they run on a Pi).
    """
    root = models_dir() if root is None else root
    if not root.is_dir():
        return None
    candidates = [p for p in sorted(root.iterdir()) if is_vosk_model(p)]
    english = [p for p in candidates if "-en" in p.name.lower() or p.name.lower().startswith("en")]
    if not english:
        return None
    english.sort(key=lambda p: ("small" not in p.name.lower(), p.name))
    return english[0]


_announced: set[str] = set()


def _announce(level: int, why: str) -> None:
    if why not in _announced:
        _announced.add(why)
        log.log(level, "speech recognition: %s", why)


def _whisper_problem(model: Path | None = None) -> str | None:
    from voicecoach.asr_whisper import find_model

    return find_model(model)[1]


def describe_choice(engine: str | None = None, model: Path | None = None) -> tuple[str, str]:
    """(engine name, a plain sentence saying why) without loading anything.

    For the default (None/"auto") this cannot know the result of Whisper's speed probe:
    open_recognizer() says so in the log when the probe turns Whisper down.
    """
    if engine not in (None, "auto", *ENGINES):
        raise RecognizerUnavailable(
            f"unknown engine {engine!r}; choose whisper, vosk or pocketsphinx")
    if engine == "pocketsphinx":
        return "pocketsphinx", "PocketSphinx (asked for)"
    if engine == "whisper":
        problem = _whisper_problem(model)
        if problem:
            return "pocketsphinx", f"PocketSphinx: Whisper was asked for, but {problem}"
        return "whisper", "Whisper tiny.en (asked for)"
    found = model if model is not None else find_vosk_model()
    if engine == "vosk":
        if found is None:
            return "vosk", f"Vosk (asked for), but there is no model under {models_dir()}/"
        return "vosk", f"Vosk with the model {found} (asked for)"
    if model is not None and found is not None:
        return "vosk", f"Vosk with the model {found}"
    problem = _whisper_problem()
    if problem is None:
        return "whisper", "Whisper tiny.en (default: installed, model intact)"
    if found is not None:
        return "vosk", f"Vosk with the model {found} (Whisper unavailable: {problem})"
    return "pocketsphinx", f"PocketSphinx (built in): Whisper is unavailable: {problem}"


def _open_whisper(forced: bool, model: Path | None) -> Recognizer | None:
    """Whisper, or None (logged) when it cannot load or this machine is too slow for it."""
    from voicecoach.asr_whisper import WhisperRecognizer

    try:
        recognizer = WhisperRecognizer(model)
    except RecognizerUnavailable as e:
        _announce(logging.WARNING, f"PocketSphinx instead of Whisper: {e}")
        return None
    if not forced:
        took = recognizer.probe()
        if took > WHISPER_PROBE_LIMIT:
            _announce(logging.WARNING, (
                f"PocketSphinx instead of Whisper: this machine took {took:.2f} s for a 2 s "
                f"test utterance (limit {WHISPER_PROBE_LIMIT} s); --engine whisper forces it"))
            return None
        log.debug("Whisper probe: %.3f s for 2 s of audio", took)
    return recognizer


def open_recognizer(
    engine: str | None = None,
    model: Path | None = None,
    phrases: PhraseSource | None = None,
) -> Recognizer:
    """Load a recognizer.  `engine` None/"auto": Whisper when it is installed, its model is
    intact and the start-up probe shows the machine is fast enough; else Vosk if an English
    model is found; else PocketSphinx.  A Whisper that cannot load (asked for or not) falls
    back to PocketSphinx with a warning, never a crash.  `model` is the Vosk model folder,
    or with engine "whisper" a CTranslate2 Whisper folder.  `phrases` defaults to the
    packaged intents.  Logs the choice once.
    """
    name, why = describe_choice(engine, model)
    if name == "whisper":
        whisper = _open_whisper(engine == "whisper", model if engine == "whisper" else None)
        if whisper is not None:
            _announce(logging.INFO, why)
            return whisper
        name = "pocketsphinx"
    else:
        _announce(logging.WARNING if "but" in why else logging.INFO, why)
    if phrases is None:
        from voicecoach.vocab import PhraseSource

        phrases = PhraseSource.default()
    if name == "vosk":
        from voicecoach.asr_vosk import VoskRecognizer

        path = model if model is not None else find_vosk_model()
        if path is None:
            raise RecognizerUnavailable(
                f"no Vosk model found under {models_dir()}/. Run `voicecoach models download` "
                "or copy an unpacked model folder there, or use --engine pocketsphinx."
            )
        return VoskRecognizer(path, phrases)
    from voicecoach.asr_pocketsphinx import PocketSphinxRecognizer

    return PocketSphinxRecognizer(phrases)
