"""An answer to the coach's question, heard on the audio when its words were lost.

When the coach has asked something ("Do you want to end the session? Say yes or no.") the
person's reply is one of two things, and tiny.en often loses a short "yes" in a TV room
(written as nothing, or "us", "yet", "vice").  So, only while an answer is expected, an
utterance that was understood as nothing and is short has a few ways of saying yes and of
saying no scored on its own audio (`Transcript.verify`); the better side counts when its
best sentence fits well enough *and* beats the other side's by a wide margin: a real
answer fits its own side clearly, other talk and the TV fit both about equally badly.

The bar was chosen on development audio (`python -m voicecoach.bench answers`,
docs/benchmarks.md): answers and other short replies in 7 voices, clean and in babble.
It runs after the safety rescue (a lost "help" comes first) and never while the coach is
speaking (its own voice must not become an answer); engines that cannot verify are not
affected.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from voicecoach.hear.recognizer import Transcript

if TYPE_CHECKING:
    from voicecoach.understand.intents import Match

log = logging.getLogger(__name__)

#: How people answer the coach's yes/no questions, plainly; each side's best counts.  Each
#: costs a decoder pass over its few tokens, so the lists stay short.
ANSWER_SENTENCES: dict[str, tuple[str, ...]] = {
    "yes": ("yes", "yeah", "yes please", "yep"),
    "no": ("no", "no thanks", "nope", "no not now"),
}


@dataclass(frozen=True)
class AnswerBar:
    """When a short utterance that meant nothing is taken for the answer asked for."""

    min_score: float
    """The better side's best sentence (mean token log-probability) must reach this ..."""
    margin: float
    """... and beat the other side's best by this much."""
    max_words: int = 3
    """Only utterances heard as at most this many words ("" counts: nothing kept)."""
    max_seconds: float = 2.5
    """... and at most this long (the transcript's span)."""


def answer_sentences() -> list[str]:
    """Every sentence scored, in a fixed order (yes first)."""
    return [s for side in ANSWER_SENTENCES.values() for s in side]


def short(t: Transcript, bar: AnswerBar) -> bool:
    return len(t.text.split()) <= bar.max_words and t.end - t.start <= bar.max_seconds


def heard_answer(t: Transcript, understood: Match, bar: AnswerBar) -> Match:
    """`understood`, or the answer the audio clearly holds (for an utterance that meant
    nothing, while an answer is expected: the caller checks that)."""
    if t.verify is None or t.tentative or not short(t, bar):
        return understood
    sentences = answer_sentences()
    scores = dict(zip(sentences, t.verify(sentences), strict=True))
    best = {side: max(scores[s] for s in said) for side, said in ANSWER_SENTENCES.items()}
    side, other = sorted(best, key=lambda k: -best[k])
    if best[side] < bar.min_score or best[side] - best[other] < bar.margin:
        return understood
    sentence = max(ANSWER_SENTENCES[side], key=lambda s: scores[s])
    log.info(
        "answer: %r taken as %s (%r, score %.2f, the other side %.2f)",
        t.text or t.dropped,
        side,
        sentence,
        best[side],
        best[other],
    )
    return replace(
        understood,
        text=t.text,
        intent=side,
        slots={},
        confidence=0.5 + 0.5 * math.exp(best[side]),
        phrase=f"answer: {sentence}",
    )
