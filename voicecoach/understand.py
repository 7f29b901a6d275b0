"""From what the recognizer heard to what the coach acts on: layered rejection.

A sentence to someone else in the room must not become a command, and a misheard "stop"
costs more than a missed one.  The layers, in order:
1. the recognizers only know the coach's words (voicecoach.vocab), so most ordinary
   speech comes out as word salad;
2. the recognizer's own utterance confidence must reach a floor;
3. the matcher (voicecoach.intents) must find a phrase close enough;
4. consequential intents (stop, skip, choose_*) need more recognizer certainty, both
   for the whole utterance and for its weakest word;
5. yes/no only count when the coach asked a question (`expecting_answer`).
The final confidence blends the matcher's similarity with the recognizer's confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from voicecoach.asr import Transcript

NONE = "none"
ANSWERS = frozenset({"yes", "no"})


@dataclass(frozen=True)
class Thresholds:
    """Where each rejection layer draws its line (tuned with `python -m voicecoach.bench asr`)."""

    min_utterance: float = 0.25
    """Recognizer confidence below which nothing counts."""
    min_consequential: float = 0.55
    """Recognizer confidence needed for stop, skip and choose_*."""
    min_word_consequential: float = 0.4
    """The weakest word of a consequential command must reach this."""
    min_final: float = 0.5
    """The blended confidence every accepted intent must reach."""


DEFAULT_THRESHOLDS = Thresholds()


class MatcherLike(Protocol):
    intents: Any

    def match(self, text: str, expecting_answer: bool = False) -> Any: ...


def _consequential(matcher: MatcherLike, intent: str) -> bool:
    intents = getattr(matcher, "intents", None)
    if intents is not None and hasattr(intents, "consequential"):
        return bool(intents.consequential(intent))
    return intent in {"stop", "skip"} or intent.startswith("choose_")


def understand(
    t: Transcript,
    matcher: MatcherLike,
    expecting_answer: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
):  # -> voicecoach.intents.Match
    """The final intent, slots and confidence for one transcript (`none` when rejected)."""
    m = matcher.match(t.text, expecting_answer=expecting_answer)

    def reject() -> Any:
        return replace(m, intent=NONE, slots={}, confidence=1.0 - min(1.0, t.confidence))

    if not t.text.strip() or m.intent == NONE:
        return m
    if t.confidence < thresholds.min_utterance:
        return reject()
    if m.intent in ANSWERS and not expecting_answer:
        return reject()
    if _consequential(matcher, m.intent) and (
        t.confidence < thresholds.min_consequential
        or t.min_word_confidence < thresholds.min_word_consequential
    ):
        return reject()
    final = m.confidence * (0.5 + 0.5 * t.confidence)
    if final < thresholds.min_final:
        return reject()
    return replace(m, confidence=final)
