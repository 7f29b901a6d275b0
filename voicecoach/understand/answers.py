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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.fallback import choose, taken
from voicecoach.understand.rescue import short

if TYPE_CHECKING:
    from voicecoach.understand.intents import Match


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


def heard_answer(t: Transcript, understood: Match, bar: AnswerBar) -> Match:
    """`understood`, or the answer the audio clearly holds (for an utterance that meant
    nothing, while an answer is expected: the caller checks that).  The choice is the
    command fallback's (`fallback.choose`) over the two sides' sentences."""
    if t.verify is None or t.tentative or not short(t, bar):
        return understood
    pool = [(s, side) for side, said in ANSWER_SENTENCES.items() for s in said]
    scores = t.verify([s for s, _ in pool])
    scored = [(s, side, score) for (s, side), score in zip(pool, scores, strict=True)]
    chosen = choose(scored, bar, expecting_answer=True)
    if chosen is None:
        return understood
    return taken(t, understood, chosen, "answer", "the other side")
