"""Choosing and opening a speech recognizer: which engine, which model, and why."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from voicecoach.hear.engine_vosk import is_vosk_model, model_problem
from voicecoach.hear.recognizer import Recognizer, RecognizerUnavailable
from voicecoach.hear.vocab import PhraseSource

log = logging.getLogger(__name__)

ENGINES = ("vosk", "pocketsphinx")

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


def describe_choice(engine: str | None = None, model: Path | None = None) -> tuple[str, str]:
    """(engine name, a plain sentence saying why) without loading anything."""
    if engine not in (None, "auto", *ENGINES):
        raise RecognizerUnavailable(f"unknown engine {engine!r}; choose vosk or pocketsphinx")
    if engine == "pocketsphinx":
        return "pocketsphinx", "PocketSphinx (asked for)"
    found = model if model is not None else find_vosk_model()
    problem = model_problem(found) if found is not None else None
    if engine == "vosk":
        if found is None:
            return "vosk", f"Vosk (asked for), but there is no model under {models_dir()}/"
        if problem:
            return "vosk", f"Vosk (asked for), but {problem}: PocketSphinx will stand in"
        return "vosk", f"Vosk with the model {found} (asked for)"
    if found is not None and problem:
        return "pocketsphinx", (
            f"PocketSphinx (built in): {problem}; "
            "`voicecoach models download` fetches a good copy"
        )
    if found is not None:
        return "vosk", f"Vosk with the model {found}"
    return "pocketsphinx", (
        f"PocketSphinx (built in): no English Vosk model under {models_dir()}/ "
        "(`voicecoach models download` fetches one)"
    )


def open_recognizer(
    engine: str | None,
    model: Path | None,
    phrases: PhraseSource,
) -> Recognizer:
    """Load a recognizer.  `engine` None/"auto": Vosk if an English model is found, else
    PocketSphinx.  `phrases` is what it listens for.  Logs the choice once.
    """
    name, why = describe_choice(engine, model)
    if why not in _announced:
        _announced.add(why)
        log.info("speech recognition: %s", why)
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
    (PocketSphinx, built in): listening with a plainer engine beats not listening.
    Returns the recognizer and, when it fell back, why (in plain words, for the log)."""
    try:
        return open_recognizer(engine, model, phrases), None
    except RecognizerUnavailable as err:
        name, _ = describe_choice(engine, model)
        if name == "pocketsphinx":
            raise  # nothing further to fall back on
        why = f"{err}; using PocketSphinx (built in) instead"
        log.error("speech recognition: %s", why)
        from voicecoach.hear.engine_pocketsphinx import PocketSphinxRecognizer

        return PocketSphinxRecognizer(phrases), why
