"""Choosing and opening a speech recognizer: which engine, which model, and why.

Three engines implement the Recognizer protocol (voicecoach.hear.recognizer):
- Whisper tiny.en (engine_whisper), the default: a neural open-vocabulary recognizer whose
  model comes in a PyPI package, with Silero VAD (voicecoach.hear.vad) for the end of
  speech; chosen when it is installed, its model is intact and this machine runs it fast
  enough (a one-off timing probe at start-up);
- Vosk (engine_vosk), when an English model sits under models/ (restricted to the coach's
  words, generated from intents/ by voicecoach.hear.vocab);
- PocketSphinx (engine_pocketsphinx), the fallback: its wheel carries a US-English model,
  and it too only knows the coach's words.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from voicecoach.hear.engine_vosk import is_vosk_model, model_problem
from voicecoach.hear.recognizer import Recognizer, RecognizerUnavailable
from voicecoach.hear.vocab import PhraseSource

if TYPE_CHECKING:  # loading it pulls in CTranslate2: only when Whisper is opened
    from voicecoach.hear.engine_whisper import WhisperRecognizer

log = logging.getLogger(__name__)

ENGINES = ("whisper", "vosk", "pocketsphinx")

#: The start-up probe (encode + decode 2 s of audio) must take less than this, or the
#: machine is too slow for Whisper and PocketSphinx is used.  Here (x86, one core) ~0.1 s;
#: a Pi 4 core is 3-4x slower.
WHISPER_PROBE_LIMIT = 1.0

#: Where models live: $VOICECOACH_MODELS, else ./models (the repository's folder).
MODELS_ENV = "VOICECOACH_MODELS"


def models_dir() -> Path:
    return Path(os.environ.get(MODELS_ENV) or "models")


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
    from voicecoach.hear.engine_whisper import find_model

    return find_model(model)[1]


def _vosk_asked_for(found: Path | None, problem: str | None) -> str:
    if found is None:
        return f"Vosk (asked for), but there is no model under {models_dir()}/"
    if problem:
        return f"Vosk (asked for), but {problem}: another engine will stand in"
    return f"Vosk with the model {found} (asked for)"


def describe_choice(engine: str | None = None, model: Path | None = None) -> tuple[str, str]:
    """(engine name, a plain sentence saying why) without loading anything.

    For the default (None/"auto") this cannot know the result of Whisper's speed probe:
    open_recognizer() says so in the log when the probe turns Whisper down.
    """
    if engine not in (None, "auto", *ENGINES):
        raise RecognizerUnavailable(
            f"unknown engine {engine!r}; choose whisper, vosk or pocketsphinx"
        )
    if engine == "pocketsphinx":
        return "pocketsphinx", "PocketSphinx (asked for)"
    if engine == "whisper":
        problem = _whisper_problem(model)
        if problem:
            return "pocketsphinx", f"PocketSphinx: Whisper was asked for, but {problem}"
        return "whisper", "Whisper tiny.en (asked for)"
    found = model if model is not None else find_vosk_model()
    problem = model_problem(found) if found is not None else None
    if engine == "vosk":
        return "vosk", _vosk_asked_for(found, problem)
    return _default_choice(model, found, problem)


def _default_choice(model: Path | None, found: Path | None, problem: str | None) -> tuple[str, str]:
    """describe_choice() with no engine asked for; `found` is the Vosk model, if any, and
    `problem` what is wrong with it."""
    if found is not None and problem:
        found = None  # a visibly broken model is passed over for the next engine
    if model is not None and found is not None:
        return "vosk", f"Vosk with the model {found}"
    whisper_problem = _whisper_problem()
    if whisper_problem is None:
        return "whisper", "Whisper tiny.en (default: installed, model intact)"
    if found is not None:
        return "vosk", f"Vosk with the model {found} (Whisper unavailable: {whisper_problem})"
    if problem:
        return "pocketsphinx", (
            f"PocketSphinx (built in): {problem}; `voicecoach models download` fetches a "
            f"good copy (Whisper unavailable: {whisper_problem})"
        )
    return "pocketsphinx", f"PocketSphinx (built in): Whisper is unavailable: {whisper_problem}"


def _open_whisper(forced: bool, model: Path | None) -> WhisperRecognizer | None:
    """Whisper, or None (logged) when it cannot load or this machine is too slow for it."""
    from voicecoach.hear.engine_whisper import WhisperRecognizer

    try:
        recognizer = WhisperRecognizer(model)
    except RecognizerUnavailable as e:
        _announce(logging.WARNING, f"PocketSphinx instead of Whisper: {e}")
        return None
    if not forced:
        took = recognizer.probe()
        if took > WHISPER_PROBE_LIMIT:
            _announce(
                logging.WARNING,
                (
                    f"PocketSphinx instead of Whisper: this machine took {took:.2f} s for a 2 s "
                    f"test utterance (limit {WHISPER_PROBE_LIMIT} s); --engine whisper forces it"
                ),
            )
            return None
        log.debug("Whisper probe: %.3f s for 2 s of audio", took)
    return recognizer


def open_recognizer(
    engine: str | None,
    model: Path | None,
    phrases: PhraseSource,
) -> Recognizer:
    """Load a recognizer.  `engine` None/"auto": Whisper when it is installed, its model is
    intact and the start-up probe shows the machine is fast enough; else Vosk if an English
    model is found; else PocketSphinx.  A Whisper that cannot load (asked for or not) falls
    back to PocketSphinx with a warning, never a crash.  `model` is the Vosk model folder,
    or with engine "whisper" a CTranslate2 Whisper folder.  `phrases` is what the grammar
    engines listen for.  Logs the choice once.
    """
    name, why = describe_choice(engine, model)
    if name == "whisper":
        whisper = _open_whisper(engine == "whisper", model if engine == "whisper" else None)
        if whisper is not None:
            _announce(logging.INFO, f"{why}; weights {whisper.stored}")
            return whisper
        name = "pocketsphinx"
    else:
        _announce(logging.WARNING if "but" in why else logging.INFO, why)
    if name == "vosk":
        from voicecoach.hear.engine_vosk import VoskRecognizer

        path = model if model is not None else find_vosk_model()
        if path is None:
            raise RecognizerUnavailable(
                f"no Vosk model found under {models_dir()}/. Run `voicecoach models download` "
                "or copy an unpacked model folder there, or use --engine pocketsphinx."
            )
        return VoskRecognizer(path, phrases)
    from voicecoach.hear.engine_pocketsphinx import PocketSphinxRecognizer

    return PocketSphinxRecognizer(phrases)


def open_with_fallback(
    engine: str | None,
    model: Path | None,
    phrases: PhraseSource,
) -> tuple[Recognizer, str | None]:
    """Like open_recognizer, but a model that fails to load gives way to the next engine
    (the default choice if that is another engine, else PocketSphinx, built in): listening
    with a plainer engine beats not listening.  Returns the recognizer and, when it fell
    back, why (in plain words, for the log)."""
    try:
        return open_recognizer(engine, model, phrases), None
    except RecognizerUnavailable as err:
        failed, _ = describe_choice(engine, model)
        if failed == "pocketsphinx":
            raise  # nothing further to fall back on
        from voicecoach.hear.engine_pocketsphinx import PocketSphinxRecognizer

        recognizer: Recognizer | None = None
        if describe_choice(None, None)[0] not in (failed, "pocketsphinx"):
            try:
                recognizer = open_recognizer(None, None, phrases)
            except RecognizerUnavailable as err2:
                log.error("speech recognition: the next engine failed too: %s", err2)
        if recognizer is None:
            recognizer = PocketSphinxRecognizer(phrases)
        why = f"{err}; using {getattr(recognizer, 'name', 'another engine')} instead"
        log.error("speech recognition: %s", why)
        return recognizer, why
