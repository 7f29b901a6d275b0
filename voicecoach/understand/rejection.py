"""From what the recognizer heard to what the coach acts on: layered rejection.

A sentence to someone else in the room must not become a command, and a misheard "stop"
costs more than a missed one.  The layers, in order:
1. the recognizers only know the coach's words (voicecoach.hear.vocab), so most ordinary
   speech comes out as word salad;
2. the recognizer's own utterance confidence must reach a floor;
3. the matcher (voicecoach.understand.intents) must find a phrase close enough;
4. consequential intents (stop, skip, choose_*) need more recognizer certainty, both
   for the whole utterance and for its weakest word;
5. yes/no are reported whether or not the coach asked anything (the coach decides what an
   unexpected answer means), but when nothing was asked they need the certainty of a
   consequential command: a stray "yeah" from the telly is not worth a reply.
Words the engine dropped only for doubt (Whisper's low average: `Transcript.doubted`) are
read last, when the utterance meant nothing without them, through the same layers and audio
checks as kept words, and count only as an intent that survives them.
When the best reading means nothing, the engine's next-best readings are tried in turn, but
only for intents that cost little if wrong: never stop, skip or choose_*, nor an answer
nobody asked for.
Then, when the engine can check sentences against the audio (Whisper: `Transcript.verify`),
closed-set verification: the command phrasings nearest the words heard, plus the safety
words, are scored on the audio itself; the best counts if it scores well enough and
better than what was heard ("res you resume" -> "resume"; a TV sentence fits none).
Last, a short utterance that still means nothing gets a safety rescue
(voicecoach.understand.rescue): "i fell" heard as "i tell" is still an emergency; and, when
an engine's thresholds turn it on (none does: it won nothing, docs/asr.md), a command
fallback (voicecoach.understand.fallback).  Verification, rescue and fallback score their
sentences in one call.
Each engine's confidences mean different things, so each has its own Thresholds.  The
final confidence is the recogniser's confidence weighted by the recognizer's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from rapidfuzz import fuzz, process

from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.answers import AnswerBar, answer_sentences, heard_answer
from voicecoach.understand.fallback import FallbackBar, fallback, fallback_short
from voicecoach.understand.fallback import candidates as fallback_candidates
from voicecoach.understand.flags import NONE, load_flags
from voicecoach.understand.rescue import (
    RESCUE_SENTENCES,
    RescueBar,
    SecondLook,
    looks_again,
    second_look,
    short,
)

if TYPE_CHECKING:
    from voicecoach.understand.intents import Match

FLAGS = load_flags()
ANSWERS = FLAGS.answers


@dataclass(frozen=True)
class Thresholds:
    """Where each rejection layer draws its line, for one engine's kind of confidence.

    An utterance below a floor is still accepted when the words heard are exactly a
    phrase of the intent (matcher similarity >= `exact`): a recognizer that had to
    force ordinary talk into the coach's words rarely lands on a whole phrase, while a
    real command often does, even when the posterior is modest.
    """

    min_utterance: float
    """Recognizer confidence below which nothing counts (unless exact)."""
    min_consequential: float
    """Recognizer confidence needed for stop, skip and choose_* (unless exact)."""
    min_word_consequential: float
    """The weakest word of a consequential command must reach this, exact or not."""
    exact: float = 0.99
    """Matcher similarity that counts as "heard a whole phrase"."""
    log_scale: bool = False
    """Confidences are posteriors spanning decades (PocketSphinx): compare on a log scale
    when blending into the final confidence."""
    verify_min: float | None = None
    """Closed-set verification (engines whose transcripts can `verify`): the best phrasing's
    score (mean token log-probability) must reach this; None: no verification."""
    verify_margin: float = 0.0
    """... and beat the score of the words actually heard by this much."""
    verify_nearest: int = 4
    """How many phrasings nearest the words heard are scored (plus the safety words)."""
    confirm_min: float | None = None
    """An accepted command's words, scored on the audio without the recognizer's prompt,
    must reach this (None: not checked): babble made Whisper echo its prompt ("i'm
    tired") where nobody had said it."""
    rescue: RescueBar | None = None
    """Safety rescue (voicecoach.understand.rescue) for short utterances that meant nothing;
    None: none (engines that cannot verify have nothing to score with anyway)."""
    second_look: SecondLook | None = None
    """A short utterance understood as a command that is not a safety word is checked
    against the safety sentences on its audio (voicecoach.understand.rescue.second_look);
    None: never."""
    fallback: FallbackBar | None = None
    """Command fallback (voicecoach.understand.fallback): a short utterance that meant
    nothing, after the rescue, is taken for the command that fits the audio clearly best;
    None: none."""
    answer: AnswerBar | None = None
    """While the coach waits for a yes or a no: a short utterance that meant nothing is
    taken for the answer whose sentences fit the audio clearly best
    (voicecoach.understand.answers); None: never."""
    grammar_bound: bool = False
    """The engine can only say the coach's words (its language model or grammar comes
    from intents/): ordinary talk comes out as command-like word salad, which the learned
    recogniser would generalise from.  Then a command counts only when the words heard
    are close to one of its own sentences (`GRAMMAR_CLOSE`)."""


#: Tuned with `python -m voicecoach.bench asr` (see docs/asr.md).  PocketSphinx's lattice
#: posteriors are tiny even for right answers (0.01 is common for a clean command), while
#: ordinary talk forced into command words scores below 0.001.
POCKETSPHINX_THRESHOLDS = Thresholds(
    min_utterance=0.001,
    min_consequential=0.01,
    min_word_consequential=0.05,
    log_scale=True,
    grammar_bound=True,
)
#: Vosk word confidences are calibrated 0..1; "[unk]" words count as 0.  Its grammar holds
#: whole phrases, so hearing one exactly proves little: no exemption.  Not yet measured
#: here (no model could be downloaded): conventional values, to be checked with the bench.
VOSK_THRESHOLDS = Thresholds(
    min_utterance=0.35,
    min_consequential=0.6,
    min_word_consequential=0.5,
    exact=1.01,
    grammar_bound=True,
)
#: Whisper's confidence is exp(average token log-probability): a clean command ~0.6-0.9,
#: and the engine already turns anything below exp(-1.0) = 0.37 into "".  Its vocabulary is
#: open, so hearing a whole phrase exactly is real evidence (the exemption stays).  Word
#: confidences are teacher-forced token probabilities, noisy for short words.  Tuned with
#: `python -m voicecoach.bench asr --engine whisper` (docs/asr.md).
#: Verification and confirmation bars (mean token log-probabilities) were chosen on the
#: tuning corpus (voicecoach.bench._tuning: 112 phrasings from intents/ x clean, pink 10 dB,
#: babble 10 and 5 dB, reverb; 75 non-commands of our own x clean, babble 10 dB) with
#: `python -m voicecoach.bench asr --tuning --engine whisper --keep DIR`: false accepts
#: 2.2 -> 0.4 %, clean 83.0 -> 84.8 %, babble 10 dB 29.5 -> 36.6 %, reverb 76.8 -> 80.4 %.
#: The rescue bar (-2.3) on development audio (docs/asr.md, "Safety rescue"): the reliability
#: sweep's safety phrases x 6 voices x -10/0/+15/+20 dB (best safety sentence of the misses
#: -1.2 .. -4.7), against short ordinary talk of our own x 3 voices (best: "hop" -2.63),
#: the _tuning non-commands, the dev phrasings of other intents and babble (all below -4.0).
WHISPER_THRESHOLDS = Thresholds(
    min_utterance=0.4,
    min_consequential=0.5,
    min_word_consequential=0.1,
    verify_min=-2.5,
    verify_margin=-0.5,
    verify_nearest=4,
    confirm_min=-3.0,
    rescue=RescueBar(min_score=-2.3),
    second_look=SecondLook(max_gap=1.5, min_score=-3.5),
    answer=AnswerBar(min_score=-2.5, margin=2.0),
)
THRESHOLDS = {
    "pocketsphinx": POCKETSPHINX_THRESHOLDS,
    "vosk": VOSK_THRESHOLDS,
    "whisper": WHISPER_THRESHOLDS,
}
DEFAULT_THRESHOLDS = VOSK_THRESHOLDS


#: For grammar-bound engines: how close (rapidfuzz ratio, 0..1) the words heard must be to
#: one of the intent's own sentences, and closer still for consequential ones.  Measured with
#: `bench asr --engine pocketsphinx --sample 40` (clean, pink 10 dB, babble 10 dB): without
#: this layer 15.0 % false accepts and 80 % of held-out phrasings right (clean); 0.70/0.80:
#: 2.5 % and 75 %; 0.75/0.85: 0.8 % and 70 %; 0.80/0.88: 0.8 % and 65 %.
GRAMMAR_CLOSE = 0.75
GRAMMAR_CLOSE_CONSEQUENTIAL = 0.85


def thresholds_for(engine: str) -> Thresholds:
    return THRESHOLDS.get(engine, DEFAULT_THRESHOLDS)


def recognizer_score(t: Transcript, thresholds: Thresholds) -> float:
    """The recognizer's confidence mapped to 0..1 comparably across engines."""
    if not thresholds.log_scale:
        return max(0.0, min(1.0, t.confidence))
    # 1 -> 1, 1e-4 and below -> 0: posteriors of right answers spread over decades.
    return max(0.0, min(1.0, 1.0 + math.log10(max(t.confidence, 1e-9)) / 4.0))


class MatcherLike(Protocol):
    intents: Any

    def match(self, text: str, expecting_answer: bool = False) -> Match: ...


def _consequential(matcher: MatcherLike, intent: str) -> bool:
    intents = getattr(matcher, "intents", None)
    if intents is not None and hasattr(intents, "consequential"):
        return bool(intents.consequential(intent))
    return FLAGS[intent].consequential


def understand(
    t: Transcript,
    matcher: MatcherLike,
    expecting_answer: bool = False,
    thresholds: Thresholds | None = None,
    guesses: bool = True,
    asked: bool | None = None,
) -> Match:
    """The final intent, slots and confidence for one transcript (`none` when rejected).

    `thresholds` default to those of the engine that made the transcript.  `guesses`:
    whether the command fallback may take an utterance that meant nothing for the command
    that fits its audio best (the runtime turns it off while the coach speaks: its own
    voice must not become a command; the safety rescue still runs).  `asked`: whether a
    yes-or-no question is open, so that a yes or a no may be heard on the audio itself
    (voicecoach.understand.answers); by default whenever an answer is expected.
    """
    asked = expecting_answer if asked is None else asked
    th = thresholds or thresholds_for(t.engine)
    if t.doubted is not None and t.verify is not None:
        t = scored_once(t, ())  # both readings of the audio share their scores
    found = _understood(t, matcher, expecting_answer, th, guesses, asked)
    # Never over the coach's own voice: doubted words are where its echo would hide.
    if found.intent == NONE and t.doubted is not None and guesses:
        return heard_doubted(t, matcher, expecting_answer, th) or found
    return found


def _understood(
    t: Transcript,
    matcher: MatcherLike,
    expecting_answer: bool,
    th: Thresholds,
    guesses: bool,
    asked: bool,
) -> Match:
    """`understand()` of the words kept (doubted ones aside)."""
    best = _understand_one(t, matcher, expecting_answer, th)
    if best.intent != NONE:
        return _confirmed(t, best, matcher, th)
    for alternative in t.alternatives:
        # The alternative's words carry no confidences of their own: the utterance's stand in.
        m = _understand_one(
            replace(t, text=alternative, words=(), alternatives=()), matcher, expecting_answer, th
        )
        unasked = m.intent in ANSWERS and not expecting_answer
        if m.intent != NONE and not _consequential(matcher, m.intent) and not unasked:
            return m
    if t.verify is not None and th.verify_min is not None:
        t = scored_once(t, _later_sentences(t, matcher, th, expecting_answer, guesses, asked))
        verdict = verify(t, matcher, expecting_answer, th)
        if verdict.match is not None:
            return verdict.match
    bar = th.fallback if guesses else None
    found = fallback(t, best, matcher, bar, th.rescue, expecting_answer)
    if found.intent == NONE and asked and guesses and th.answer is not None:
        found = heard_answer(t, found, th.answer)
    if found.intent == NONE and not found.guess and best.guess:
        # What the words may have meant stays known for the coach to ask about.
        found = replace(found, guess=best.guess, guess_slots=best.guess_slots)
    return found


def _confirmed(t: Transcript, best: Match, matcher: MatcherLike, th: Thresholds) -> Match:
    """An understood command, checked on the audio: its words without the prompt
    (confirmation), then the safety sentences it may be a mishearing of (second look).
    Words that confirmation refuses meant nothing after all, so the safety rescue gets its
    turn, as for any short utterance that meant nothing: "it hurts" heard "it hurts in",
    refused at -3.2, while "it hurts" itself fits at -2.1."""
    if th.second_look is not None and looks_again(t, best.intent, th.second_look):
        t = scored_once(t, RESCUE_SENTENCES)  # confirmation's call scores them too
    if (
        t.verify is not None
        and th.confirm_min is not None
        and t.verify([t.text])[0] < th.confirm_min
    ):
        refused = replace(best, intent=NONE, slots={}, confidence=0.5)
        # The rescue alone (no command guess), with its own terms: short, not an early
        # reading; the second look's scores of the safety sentences are reused.
        return fallback(t, refused, matcher, None, th.rescue, expecting_answer=False)
    if th.second_look is not None:
        return second_look(t, best, matcher, th.second_look)
    return best


def heard_doubted(
    t: Transcript, matcher: MatcherLike, expecting_answer: bool, th: Thresholds
) -> Match | None:
    """The intent of the words the engine dropped for doubt alone (`Transcript.doubted`),
    when the audio bears them out; None when there are none or they mean nothing.  The same
    layers as for words the engine kept (the utterance floor unless a whole phrase was
    heard, the consequential bars, verification, confirmation), but none of the rescue,
    fallback or answer guesses on them.  Asked only when the utterance meant nothing
    without them (after the rescue and the answer layer): espeak-ng's "i fell" came out a
    doubted "i feel", which is a phrase of feel_better, while the rescue hears "i fell".

    Whisper drops a transcript whose average token log-probability is below -1.0, and a
    short command in babble often ends that way: "skip the warm up" decoded exactly, its
    first word at -2.2, the comma and the end of text pulling the average to -1.2.
    Measured on development audio in docs/benchmarks.md (issue 10, seventh pass)."""
    doubted = t.doubted
    if doubted is None or t.text or not t.dropped.strip():
        return None
    reading = replace(
        t,
        text=t.dropped,
        confidence=doubted.confidence,
        words=doubted.words,
        dropped="",
        doubted=None,
    )
    quiet = replace(th, rescue=None, fallback=None, answer=None)
    m = understand(reading, matcher, expecting_answer, quiet, guesses=False, asked=False)
    return None if m.intent == NONE else m


def _later_sentences(
    t: Transcript,
    matcher: MatcherLike,
    th: Thresholds,
    expecting_answer: bool,
    guesses: bool,
    asked: bool,
) -> list[str]:
    """What the rescue (and the fallback, when on) will score if verification accepts
    nothing, scored with it in one call: each call pays a fixed cost, so one call of ~15
    sentences is cheaper than two of ~8 (docs/benchmarks.md, issue 10 fourth pass); the
    engine splits a long call into small batches to bound its memory."""
    later = list(RESCUE_SENTENCES) if th.rescue is not None and short(t, th.rescue) else []
    if guesses and th.fallback is not None and fallback_short(t, th.fallback):
        later += [s for s, _ in fallback_candidates(t, matcher, th.fallback, expecting_answer)]
    if guesses and asked and th.answer is not None and short(t, th.answer):
        later += answer_sentences()
    return later


def scored_once(t: Transcript, ahead: Sequence[str]) -> Transcript:
    """`t` whose `verify` scores `ahead` too on its first call, and never scores a sentence
    twice: the layers after verification then find their scores ready."""
    assert t.verify is not None
    score = t.verify
    cache: dict[str, float] = {}

    def verify_once(sentences: Sequence[str]) -> list[float]:
        missing = [s for s in dict.fromkeys([*sentences, *ahead]) if s not in cache]
        if missing:
            cache.update(zip(missing, score(missing), strict=True))
        return [cache[s] for s in sentences]

    return replace(t, verify=verify_once)


@dataclass(frozen=True)
class Verdict:
    """What closed-set verification made of one utterance (kept for tuning)."""

    candidates: tuple[str, ...]
    scores: tuple[float, ...]
    heard_score: float
    """The words heard, scored the same way (-inf when nothing was heard)."""
    best: str = ""
    best_score: float = -math.inf
    match: Match | None = None
    """The accepted Match, or None."""


_POOLS: dict[int, tuple[Any, list[str], list[str]]] = {}
_SENTENCES: dict[int, tuple[Any, dict[str, list[str]]]] = {}


def _close_to_own_sentence(m: Any, matcher: MatcherLike) -> bool:
    """The words heard are close to one of the matched intent's own sentences (a slot
    filled with the spoken names of the value the matcher found)."""
    cached = _SENTENCES.get(id(matcher))
    if cached is None or cached[0] is not matcher:
        by_intent: dict[str, list[str]] = {}
        for sentence, intent in matcher.intents.templates():
            by_intent.setdefault(intent, []).append(sentence)
        cached = _SENTENCES[id(matcher)] = (matcher, by_intent)
    sentences = cached[1].get(m.intent, [])
    for slot, ident in m.slots.items():
        names = [v for v, i in matcher.intents.slot_values.get(slot, {}).items() if i == ident]
        placeholder = "{" + slot + "}"
        sentences = (
            [s.replace(placeholder, n) for s in sentences for n in names]
            if placeholder in " ".join(sentences)
            else sentences
        )
    heard = matcher.intents.normalise(m.text, read_is=False)
    found = process.extractOne(heard, sentences, scorer=fuzz.ratio)
    needed = GRAMMAR_CLOSE_CONSEQUENTIAL if _consequential(matcher, m.intent) else GRAMMAR_CLOSE
    return found is not None and found[1] / 100.0 >= needed


#: Always scored, whatever the words heard: the ways out (not every safety intent: each
#: phrasing scored costs a decoder pass over its tokens, ~5-10 ms on one core).
ALWAYS_VERIFIED = ("stop", "pain", "emergency", "help")


def _pool(matcher: MatcherLike) -> tuple[list[str], list[str]]:
    """(every phrasing without a slot, the first phrasing of each way out)."""
    cached = _POOLS.get(id(matcher))
    if cached is not None and cached[0] is matcher:
        return cached[1], cached[2]
    templates = matcher.intents.templates()
    phrases = list(dict.fromkeys(p for p, _ in templates if "{" not in p))
    firsts: dict[str, str] = {}
    for phrase, intent in templates:
        if intent in ALWAYS_VERIFIED and "{" not in phrase:
            firsts.setdefault(intent, phrase)
    safety = [firsts[i] for i in ALWAYS_VERIFIED if i in firsts]
    _POOLS[id(matcher)] = (matcher, phrases, safety)
    return phrases, safety


def candidates(text: str, matcher: MatcherLike, nearest: int) -> list[str]:
    """The phrasings to check against the audio: the `nearest` to the words heard, by
    spelling, then the safety words (never lost to a mishearing)."""
    phrases, safety = _pool(matcher)
    normal = matcher.intents.normalise(text, read_is=False) if text.strip() else ""
    near = (
        [c for c, _, _ in process.extract(normal, phrases, scorer=fuzz.ratio, limit=nearest)]
        if normal
        else []
    )
    return list(dict.fromkeys([*near, *safety]))


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


def verify(t: Transcript, matcher: MatcherLike, expecting_answer: bool, th: Thresholds) -> Verdict:
    """Score the nearest phrasings on the audio; accept the best when it clears the bar and
    beats the words heard (by `verify_margin`)."""
    assert t.verify is not None
    pool = candidates(t.text, matcher, th.verify_nearest)
    heard = [t.text] if t.text.strip() else []
    scores = t.verify([*pool, *heard])
    heard_score = scores[-1] if heard else -math.inf
    scores = scores[: len(pool)]
    order = sorted(range(len(pool)), key=lambda i: -scores[i])
    verdict = Verdict(tuple(pool), tuple(scores), heard_score)
    for i in order:
        m = matcher.match(pool[i], expecting_answer=expecting_answer)
        if m.intent == NONE or (m.intent in ANSWERS and not expecting_answer):
            continue  # an answer nobody asked for is never a guess
        best = replace(verdict, best=pool[i], best_score=scores[i])
        same = _plain(pool[i]) == _plain(matcher.intents.normalise(t.text, read_is=False))
        if (
            th.verify_min is None
            or scores[i] < th.verify_min
            or (not same and scores[i] < heard_score + th.verify_margin)
        ):
            return best
        confidence = m.confidence * (0.7 + 0.3 * math.exp(scores[i]))
        return replace(best, match=replace(m, text=t.text, confidence=confidence))
    return verdict


def _understand_one(
    t: Transcript, matcher: MatcherLike, expecting_answer: bool, th: Thresholds
) -> Match:
    m = matcher.match(t.text, expecting_answer=expecting_answer)
    score = recognizer_score(t, th)

    def reject() -> Match:
        # The words meant a command the audio leaves in doubt: worth asking about.
        guess = "" if m.intent in ANSWERS else m.intent
        return replace(
            m, intent=NONE, slots={}, confidence=1.0 - score, guess=guess, guess_slots=m.slots
        )

    if not t.text.strip() or m.intent == NONE:
        return m
    exact = m.confidence >= th.exact
    if th.grammar_bound and not _close_to_own_sentence(m, matcher):
        return replace(m, intent=NONE, slots={}, confidence=1.0 - score)
    if t.confidence < th.min_utterance and not exact:
        return reject()
    strict = _consequential(matcher, m.intent) or (m.intent in ANSWERS and not expecting_answer)
    if strict and (
        (t.confidence < th.min_consequential and not exact)
        or t.min_word_confidence < th.min_word_consequential
    ):
        return reject()
    return replace(m, confidence=m.confidence * (0.7 + 0.3 * score))
