"""Safety rescue: a safety word must not be lost to one misheard sound.

Whisper sometimes hears a real "i fell" as "i sell", or a clipped "help" as nothing worth
keeping; the words then mean nothing and the coach would say nothing.  When an utterance
was understood as nothing and is short (safety words are), the canonical safety sentences
are scored on the audio itself (`Transcript.verify`); the best one counts when it fits well
enough, by a bar that ordinary talk, TV and babble did not reach on the development
material (docs/asr.md, "Safety rescue").  Engines that cannot verify (PocketSphinx, Vosk)
are not affected, and an utterance that was understood is never held up by it.

This module holds the sentences, the bar and the decision (`rescue_scored`); the layer
after verification, voicecoach.understand.fallback.fallback, runs it, in one scoring batch
with the command fallback's sentences when that is on.

A safety word can also be misheard as another command: flite's "stop" in pink noise as
"start" (which at "do you want to end?" cancels the ending, and while paused resumes),
"i've fallen" as "i'm fine", "i fell" as "i feel", "help" as "no".  The words then mean
something, so the rescue never runs.  `second_look` scores the same safety sentences on a
short utterance understood as an intent that is not itself a safety word, and takes the
safety sentence when it fits the audio nearly as well as the words heard (`SecondLook`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.flags import load_flags

if TYPE_CHECKING:
    from voicecoach.understand.intents import Match

log = logging.getLogger(__name__)
FLAGS = load_flags()

#: The ways out, as people say them when something has gone wrong; each maps to the intent
#: the matcher gives it (emergency, help, pain, stop).  Each costs a decoder pass over its
#: few tokens, so the set stays small.  Not "ow": one token that fits "how" and "oh" as well
#: as a real "ow" (a short "how" scored -1.8, above most misheard safety words).
#: "stop it" (issue 10, `bench asr --safety`): its own audio was heard "start it" and
#: "start bit", which "stop" alone does not fit; with it 13 more of 560 safety phrasings are
#: a stop, and 4 of 896 short commands ("start it" heard exactly) became one: a start
#: misheard as a stop costs saying it again, a stop misheard as a start does not stop.
#: The symptoms (2026-12-02, ad hoc on our own phrasings, 7 voices x clean / pink 10 /
#: babble 10 dB, the same transcripts with and without them): Whisper writes "too hot" as
#: "too hard" (easier), "dizzy" as "busy", "spasm" as "scasm"; with these four, 85 of 210
#: symptom phrasings are understood instead of 65, short commands and short talk unchanged
#: (336 and 336), and 3 of 252 near commands said in pink noise ("too hard") became
#: overheated: a cooling-down pause where a missed "too hot" would have gone on.
RESCUE_SENTENCES = (
    "i've fallen",
    "i fell",
    "help",
    "help me",
    "call for help",
    "it hurts",
    "that hurts",
    "stop",
    "stop it",
    "i feel dizzy",
    "cramp",
    "spasm",
    "i'm too hot",
)


@dataclass(frozen=True)
class RescueBar:
    """When a short utterance that meant nothing is taken for a safety word."""

    min_score: float
    """The best safety sentence's score (mean token log-probability) must reach this."""
    max_words: int = 3
    """Only utterances heard as at most this many words ("" counts: nothing kept)."""
    max_seconds: float = 3.0
    """... and at most this long (the transcript's span)."""


@dataclass(frozen=True)
class SecondLook:
    """When a short utterance understood as another command is taken for a safety word."""

    max_gap: float
    """The best safety sentence may score at most this much below the words heard."""
    min_score: float
    """... and must reach this itself."""
    max_words: int = 3
    max_seconds: float = 3.0


_INTENTS: dict[int, tuple[Any, tuple[str, ...]]] = {}


def intents_of(matcher: Any) -> tuple[str, ...]:
    """The intent of each rescue sentence, by the matcher (so intents/ stays the source)."""
    cached = _INTENTS.get(id(matcher))
    if cached is None or cached[0] is not matcher:
        names = tuple(matcher.match(s).intent for s in RESCUE_SENTENCES)
        cached = _INTENTS[id(matcher)] = (matcher, names)
    return cached[1]


class ShortBar(Protocol):
    """What makes an utterance short enough for a closed-set check (rescue, answers)."""

    @property
    def max_words(self) -> int: ...
    @property
    def max_seconds(self) -> float: ...


def short(t: Transcript, bar: ShortBar) -> bool:
    return len(t.text.split()) <= bar.max_words and t.end - t.start <= bar.max_seconds


def taken_from_audio(
    t: Transcript, understood: Match, intent: str, score: float, phrase: str
) -> Match:
    """`understood` turned into `intent`, a sentence of which fitted the audio with `score`
    (rescue, fallback, answers); `phrase` says which layer and sentence ("rescued: i fell")."""
    return replace(
        understood,
        text=t.text,
        intent=intent,
        slots={},
        confidence=0.5 + 0.5 * math.exp(score),
        phrase=phrase,
    )


def rescue_scored(
    t: Transcript, understood: Match, matcher: Any, bar: RescueBar, scores: list[float]
) -> Match:
    """The rescue's decision given each of RESCUE_SENTENCES' scores on the audio (so a
    caller can score them in one batch with other sentences)."""
    intents = intents_of(matcher)
    best = max(
        (i for i in range(len(RESCUE_SENTENCES)) if FLAGS[intents[i]].safety),
        key=lambda i: scores[i],
        default=None,
    )
    if best is None or scores[best] < bar.min_score:
        return understood
    sentence = RESCUE_SENTENCES[best]
    log.info("rescued %r as %s (%r, score %.2f)", t.text, intents[best], sentence, scores[best])
    return taken_from_audio(t, understood, intents[best], scores[best], f"rescued: {sentence}")


def looks_again(t: Transcript, intent: str, bar: SecondLook) -> bool:
    """Whether `second_look` scores anything for `t` understood as `intent`."""
    return (
        t.verify is not None
        and not t.tentative
        and bool(t.text.strip())
        and not FLAGS[intent].safety
        and short(t, bar)
    )


def second_look(t: Transcript, understood: Match, matcher: Any, bar: SecondLook) -> Match:
    """`understood`, or the safety intent whose sentence fits the audio of this short
    utterance nearly as well as the words heard (see the module's docstring).  Not for an
    early reading (the final one follows), nor for words already meaning a safety intent."""
    if t.verify is None or not looks_again(t, understood.intent, bar):
        return understood
    heard, *scores = t.verify([t.text, *RESCUE_SENTENCES])
    intents = intents_of(matcher)
    best = max(
        (i for i in range(len(RESCUE_SENTENCES)) if FLAGS[intents[i]].safety),
        key=lambda i: scores[i],
        default=None,
    )
    if best is None or scores[best] < bar.min_score or scores[best] < heard - bar.max_gap:
        return understood
    sentence = RESCUE_SENTENCES[best]
    log.info(
        "safety over %s: %r scored %.2f, %r %.2f",
        understood.intent, t.text, heard, sentence, scores[best],
    )  # fmt: skip
    return taken_from_audio(t, understood, intents[best], scores[best], f"rescued: {sentence}")
