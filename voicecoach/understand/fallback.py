"""Closed-set fallback for commands: a short command lost in noise, scored back on the audio.

In babble or a TV, tiny.en often writes a short command as other words ("pours" for
"pause") or drops it as noise; the words then mean nothing.  The safety rescue
(voicecoach.understand.rescue) already scores the safety sentences on such an
utterance; this generalises it to every command, with stricter terms, since a wrong
command is worse than a missed one that can be said again:

- only an utterance understood as nothing, heard as at most a few words and short;
- the candidates: the safety sentences, and the first sentences of the intents the learned
  recogniser finds likeliest in the words heard (or, when nothing was kept, in the words
  Whisper dropped), written as Whisper writes them ("i am tired" -> "i'm tired"); scored in
  one batch on the already encoded audio (`Transcript.verify`);
- the best counts only when it reaches a bar *and* beats the best sentence of every other
  intent by a margin: a TV sentence fits a few commands equally badly, a said command fits
  its own sentence clearly best;
- never stop, skip or choose_* (a wrong one ends or changes the session), and never an
  answer nobody asked for; the runtime never lets it guess over the coach's own voice.

Measured on development audio (docs/benchmarks.md, issue 10 fourth pass): it took nothing at
any bar that kept non-commands out, and more wrong commands than right ones below that: where
tiny.en mishears a command in babble, the command's own words score low on that audio too.
So Whisper's thresholds leave it off (`Thresholds.fallback` None); it stays a setting for a
better acoustic model, with its replay tool (voicecoach.bench.asr_fallback).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.flags import NONE, load_flags
from voicecoach.understand.rescue import (
    RESCUE_SENTENCES,
    RescueBar,
    intents_of,
    rescue_scored,
    short,
    taken_from_audio,
)

if TYPE_CHECKING:
    from voicecoach.understand.intents import Match

log = logging.getLogger(__name__)
FLAGS = load_flags()


@dataclass(frozen=True)
class FallbackBar:
    """When a short utterance that meant nothing is taken for the command that fits it best."""

    min_score: float
    """The best sentence's score (mean token log-probability) must reach this ..."""
    margin: float
    """... and beat the best sentence of any other intent by this much."""
    top_intents: int = 3
    """How many intents the learned recogniser ranks highest in the words heard are tried."""
    per_intent: int = 2
    """How many of each intent's first sentences (without slots) are scored."""
    max_words: int = 3
    max_seconds: float = 3.0


#: Written forms Whisper prefers ("i am" is said and written "i'm").
_CONTRACT = (
    ("i am", "i'm"),
    ("cannot", "can't"),
    ("do not", "don't"),
    ("it is", "it's"),
    ("that is", "that's"),
    ("what is", "what's"),
    ("let us", "let's"),
)


#: "i have" is written "i've" only before a participle or "got" ("i've fallen", "i've got
#: cramp"); "can i have a rest" stays as it is said.
_I_HAVE = re.compile(r"\bi have (?=(?:got|been|done|had|[a-z]+ed|[a-z]+en)\b)")


def written(sentence: str) -> str:
    padded = " " + _I_HAVE.sub("i've ", sentence) + " "
    for long, contracted in _CONTRACT:
        padded = padded.replace(f" {long} ", f" {contracted} ")
    return padded.strip()


_FIRSTS: dict[int, tuple[Any, dict[str, list[str]]]] = {}


def _first_sentences(matcher: Any, per_intent: int) -> dict[str, list[str]]:
    """Each intent's first `per_intent` sentences without a slot, as Whisper writes them."""
    cached = _FIRSTS.get(id(matcher))
    if cached is None or cached[0] is not matcher:
        by_intent: dict[str, list[str]] = {}
        for template, intent in matcher.intents.templates():
            if "{" not in template:
                by_intent.setdefault(intent, []).append(written(template))
        cached = _FIRSTS[id(matcher)] = (matcher, by_intent)
    return {i: list(dict.fromkeys(s))[:per_intent] for i, s in cached[1].items()}


def ranked_intents(text: str, matcher: Any) -> list[str]:
    """Intents by the learned recogniser's probability for `text`, likeliest first."""
    normal = matcher.intents.normalise(text) if text.strip() else ""
    model = getattr(matcher, "model", None)
    if not normal or model is None:
        return []
    probabilities = model.probabilities(normal)
    order = sorted(range(len(probabilities)), key=lambda i: -float(probabilities[i]))
    return [model.classes[i] for i in order]


def allowed(intent: str, expecting_answer: bool) -> bool:
    """May the fallback name this intent?  Not stop, skip or choose_* (costly when wrong),
    not an answer nobody asked for, not `none`."""
    flags = FLAGS[intent]
    if intent == NONE or flags.consequential:
        return False
    return expecting_answer or not flags.answer


def candidates(
    t: Transcript, matcher: Any, bar: FallbackBar, expecting_answer: bool
) -> list[tuple[str, str]]:
    """(sentence, intent) to score: the rescue's safety sentences first, then the first
    sentences of the likeliest intents in the words heard (or dropped)."""
    out = list(zip(RESCUE_SENTENCES, intents_of(matcher), strict=True))
    firsts = _first_sentences(matcher, bar.per_intent)
    heard = t.text or t.dropped
    ranked = [i for i in ranked_intents(heard, matcher) if allowed(i, expecting_answer)]
    for intent in ranked[: bar.top_intents]:
        out += [(s, intent) for s in firsts.get(intent, [])]
    first_intent: dict[str, str] = {}
    for sentence, intent in out:
        first_intent.setdefault(sentence, intent)
    return list(first_intent.items())


@dataclass(frozen=True)
class Choice:
    sentence: str
    intent: str
    score: float
    runner_up: float
    """The best score of a sentence of another intent (-inf when none)."""


class MarginBar(Protocol):
    """A closed-set choice's bar: the best sentence's score and its lead over every other
    intent's best (FallbackBar, answers.AnswerBar)."""

    @property
    def min_score(self) -> float: ...
    @property
    def margin(self) -> float: ...


def choose(
    scored: list[tuple[str, str, float]], bar: MarginBar, expecting_answer: bool
) -> Choice | None:
    """The best allowed sentence when it clears the bar and the margin, else None."""
    if not scored:
        return None
    best = max(scored, key=lambda x: x[2])
    sentence, intent, score = best
    if not allowed(intent, expecting_answer) or score < bar.min_score:
        return None
    runner_up = max((s for _, i, s in scored if i != intent), default=-math.inf)
    if score - runner_up < bar.margin:
        return None
    return Choice(sentence, intent, score, runner_up)


def fallback(
    t: Transcript,
    understood: Match,
    matcher: Any,
    bar: FallbackBar | None,
    rescue_bar: RescueBar | None,
    expecting_answer: bool,
) -> Match:
    """`understood`, or for a short utterance that meant nothing, the safety sentence the
    rescue accepts, or else the command whose sentence fits the audio clearly best.  One
    batched scoring call for both."""
    if (
        t.verify is None
        or t.tentative  # the final transcript of the utterance follows
        or understood.intent != NONE
        or (rescue_bar is None and bar is None)
    ):
        return understood
    rescue_short = rescue_bar is not None and short(t, rescue_bar)
    guess_short = bar is not None and fallback_short(t, bar)
    if not (rescue_short or guess_short):
        return understood
    # The safety sentences come first either way; the commands' only when the fallback runs.
    pool = candidates(t, matcher, bar, expecting_answer) if bar is not None and guess_short else []
    scores = t.verify([s for s, _ in pool] or list(RESCUE_SENTENCES))
    rescue_scores = scores[: len(RESCUE_SENTENCES)]
    if rescue_short and rescue_bar is not None:
        rescued = rescue_scored(t, understood, matcher, rescue_bar, rescue_scores)
        if rescued.intent != NONE:
            return rescued
    if bar is None or not pool:
        return understood
    scored = [(s, i, sc) for (s, i), sc in zip(pool, scores, strict=True)]
    chosen = choose(scored, bar, expecting_answer)
    if chosen is None:
        return understood
    return taken(t, understood, chosen, "fallback", "next intent")


def taken(t: Transcript, understood: Match, chosen: Choice, layer: str, other: str) -> Match:
    """`understood` turned into the closed-set choice `chosen` of `layer` (fallback,
    answer), logged with the runner-up, which `other` names."""
    log.info(
        "%s: %r taken as %s (%r, score %.2f, %s %.2f)",
        layer,
        t.text or t.dropped,
        chosen.intent,
        chosen.sentence,
        chosen.score,
        other,
        chosen.runner_up,
    )
    return taken_from_audio(
        t, understood, chosen.intent, chosen.score, f"{layer}: {chosen.sentence}"
    )


def fallback_short(t: Transcript, bar: FallbackBar) -> bool:
    words = len((t.text or t.dropped).split())
    return words <= bar.max_words and t.end - t.start <= bar.max_seconds
