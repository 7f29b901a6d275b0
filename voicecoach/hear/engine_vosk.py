"""Vosk: the recognizer for daily use, when an English model is under models/.

The model is loaded by path only, never `vosk.Model(lang=...)` (that tries the
internet).  Recognition is restricted to a JSON grammar generated from the intent
phrases (voicecoach.hear.vocab.vosk_grammar): whole phrases, single words, and "[unk]", so
speech outside the coach's words comes out as "[unk]" instead of a forced command.
Word confidences come from `SetWords(True)`; an "[unk]" counts as a word heard with
confidence 0, so a sentence that is mostly unknown words has a low utterance confidence.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from voicecoach.hear.recognizer import (
    DecodingStream,
    RecognizerUnavailable,
    Transcript,
    joined,
)
from voicecoach.hear.vocab import PhraseSource, vosk_grammar


def is_vosk_model(path: Path) -> bool:
    """A folder laid out like a Vosk model (am/ + conf/ + graph/, or the older flat layout)."""
    return (
        path.is_dir()
        and ((path / "am").is_dir() or (path / "final.mdl").is_file())
        and ((path / "conf").is_dir() or (path / "mfcc.conf").is_file())
    )


def model_problem(path: Path) -> str | None:
    """What is visibly wrong with a Vosk model folder, without loading it (None: looks fine).

    Cheap checks that catch a folder of the right shape full of the wrong bytes (a failed
    download, a disk error): Kaldi's config lines are all `--name=value`, and its binary
    acoustic model starts with Kaldi's binary marker.
    """
    if not is_vosk_model(path):
        return f"{path} is not a Vosk model folder (it needs am/, conf/ and graph/)"
    conf = path / "conf" / "model.conf"
    if conf.is_file():
        try:
            lines = conf.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            return f"{conf} cannot be read ({e})"
        bad = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith(("--", "#"))]
        if bad:
            return f"{conf} is not a Kaldi config (line {lines.index(bad[0]) + 1}: {bad[0][:40]!r})"
    mdl = next((p for p in (path / "am" / "final.mdl", path / "final.mdl") if p.is_file()), None)
    if mdl is not None:
        try:
            with mdl.open("rb") as f:
                head = f.read(2)
        except OSError as e:
            return f"{mdl} cannot be read ({e})"
        if head != b"\0B":
            return f"{mdl} is not a Kaldi model (damaged or not fully downloaded)"
    return None


log = logging.getLogger(__name__)

UNK = "[unk]"
RATE = 16000


def model_words(path: Path) -> set[str] | None:
    """The words a Vosk model can output (graph/words.txt), or None if it does not say."""
    for candidate in (path / "graph" / "words.txt", path / "words.txt"):
        if candidate.is_file():
            with candidate.open(encoding="utf-8", errors="replace") as f:
                return {line.split()[0] for line in f if line.strip()}
    return None


def parse_result(result: dict[str, Any] | str, audio_seconds: float = 0.0) -> Transcript:
    """A Vosk result (JSON text or dict, with SetWords(True)) -> Transcript."""
    if isinstance(result, str):
        result = json.loads(result) if result.strip() else {}
    entries = result.get("result") or []
    words: list[tuple[str, float]] = []
    for entry in entries:
        word = str(entry.get("word", "")).lower()
        if not word:
            continue
        conf = 0.0 if word == UNK else float(entry.get("conf", 0.0))
        words.append((word, max(0.0, min(1.0, conf))))
    if not entries and result.get("text"):
        # No per-word detail (SetWords off): take the text, confidence unknown -> middling.
        words = [(w, 0.0 if w == UNK else 0.5) for w in str(result["text"]).split()]
    text = " ".join(w for w, _ in words if w != UNK)
    if not words or not text:
        return Transcript("", 0.0, tuple(words), 0.0, audio_seconds, "vosk")
    confidence = sum(c for _, c in words) / len(words)
    start = float(entries[0].get("start", 0.0)) if entries else 0.0
    end = float(entries[-1].get("end", audio_seconds)) if entries else audio_seconds
    return Transcript(text, confidence, tuple(words), start, end, "vosk")


class VoskRecognizer:
    """Recognizer over a Vosk model folder, restricted to the coach's grammar."""

    name = "vosk"

    def __init__(self, path: Path, phrases: PhraseSource, *, grammar: bool = True):
        path = Path(path)
        if not is_vosk_model(path):
            raise RecognizerUnavailable(
                f"{path} is not a Vosk model folder (it needs am/, conf/ and graph/). "
                "Run `voicecoach models download` or copy an unpacked model there."
            )
        try:
            import vosk
        except ImportError as e:  # pragma: no cover - vosk is a dependency
            raise RecognizerUnavailable("the vosk package is missing (pip install vosk)") from e
        started = time.perf_counter()
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(path))  # by path: never Model(lang=...)
        except Exception as e:  # vosk raises a bare Exception when loading fails
            raise RecognizerUnavailable(f"could not load the Vosk model in {path}: {e}") from e
        self.path = path
        self.grammar = vosk_grammar(phrases, model_words(path)) if grammar else None
        self._vosk = vosk
        self._recognizer = self._new_recognizer()
        self._pieces: list[Transcript] = []
        self._fed = 0
        self.load_seconds = time.perf_counter() - started
        log.debug("Vosk model %s ready in %.2f s", path, self.load_seconds)

    def _new_recognizer(self):
        if self.grammar is None:
            rec = self._vosk.KaldiRecognizer(self._model, RATE)
        else:
            rec = self._vosk.KaldiRecognizer(self._model, RATE, self.grammar)
        rec.SetWords(True)
        return rec

    def transcribe(self, pcm: bytes) -> Transcript:
        self.begin()
        self.accept(pcm)
        return self.finish()

    # IncrementalDecoder: the live path, decoding while the person speaks.
    def begin(self) -> None:
        self._pieces = []
        self._fed = 0

    def accept(self, pcm: bytes) -> None:
        if not pcm:
            return
        self._fed += len(pcm)
        # Vosk ends a segment by itself at a long enough pause; keep it, or it is lost.
        if self._recognizer.AcceptWaveform(pcm):
            self._pieces.append(parse_result(self._recognizer.Result(), self._fed / (2 * RATE)))

    def finish(self) -> Transcript:
        # FinalResult also resets the recognizer for the next utterance.
        last = parse_result(self._recognizer.FinalResult(), self._fed / (2 * RATE))
        return joined([*self._pieces, last], self.name)

    def abandon(self) -> None:
        self._recognizer.Reset()
        self._pieces = []

    def peek(self) -> Transcript:
        """The partial reading so far of the utterance in progress (it stays open)."""
        partial = json.loads(self._recognizer.PartialResult() or "{}").get("partial", "")
        text = " ".join(w for w in partial.split() if w != UNK)
        so_far = joined([*self._pieces, Transcript(text, 0.5 if text else 0.0)], self.name)
        return replace(so_far, end=self._fed / (2 * RATE))

    def stream(
        self, end_silence: float = 0.8, early_silence: float | None = None
    ) -> DecodingStream:
        return DecodingStream(self, end_silence, early_silence=early_silence)
