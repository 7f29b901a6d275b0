"""Intent phrases as data, and the matcher that turns a transcript into an intent.

`intents/en.toml` (installed as the package data `voicecoach.phrases`) lists, per canonical
intent, the ways people say it; `{exercise}` and `{routine}` in a phrase stand for any
name or alias from the catalogue.  The same phrases feed the speech recognizers'
vocabulary (see `IntentSet.phrases`), so adding a phrase changes matcher and recognizer
alike.

Matching is deliberately cautious: a transcript is normalised (case, punctuation,
contractions, filler words), slot values are found and replaced by their placeholder, and
the result is compared with every phrase by edit-distance similarity.  Consequential
intents (stop, skip, choose_*) need a closer match than the rest, because acting on a
wrong "stop" is worse than asking again.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import IO, Protocol

from rapidfuzz import fuzz, process

from voicecoach.understand.flags import CANONICAL, NONE, load_flags


class Named(Protocol):
    """An exercise or routine as the slots see it (the catalogue's entries fit)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


class SlotSource(Protocol):
    """Where slot values come from: the catalogue, passed in by the caller so that
    understanding never imports the coach."""

    @property
    def exercises(self) -> Mapping[str, Named]: ...
    @property
    def routines(self) -> Mapping[str, Named]: ...

SLOTS = ("exercise", "routine")

#: Similarity (0..1) a transcript needs to count as a phrase of an ordinary intent ...
ACCEPT = 0.80
#: ... and of a consequential one (stop, skip, choose_*), where a wrong act costs more.
ACCEPT_CONSEQUENTIAL = 0.88
#: A phrase of two or more words found whole inside a longer transcript still counts,
#: as long as the transcript adds no more than this many other words.
MAX_EXTRA_WORDS = 2

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: Words that turn a sentence round: "I'm not tired" must never match "I'm tired".
NEGATIONS = frozenset({"not", "cannot", "never", "no"})
#: Fuzzy matching of a misheard multi-word exercise or routine name needs this similarity.
SLOT_SIMILARITY = 90
_NOT_WORD = re.compile(r"[^a-z0-9'{} ]+")


def _negated(text: str) -> bool:
    return not NEGATIONS.isdisjoint(text.split())


class IntentDataError(ValueError):
    """The phrase data is unusable; the message names the file and the entry."""


@dataclass(frozen=True)
class Match:
    """What the matcher made of one transcript."""

    text: str
    """The transcript as given."""
    intent: str
    """A canonical intent name, or `none`."""
    slots: dict[str, str] = field(default_factory=dict)
    """`exercise` / `routine` ids for choose_* intents."""
    confidence: float = 0.0
    """How sure the matcher is of `intent` (for `none`: of it not being a command)."""
    phrase: str = ""
    """The normalised phrase that matched best (useful when tuning)."""

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "intent": self.intent,
            "slots": dict(self.slots),
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class Intent:
    name: str
    phrases: tuple[str, ...]
    """As written in the data file."""
    consequential: bool = False


@dataclass(frozen=True)
class IntentSet:
    """The loaded phrase data plus slot values from the catalogue."""

    intents: Mapping[str, Intent]
    fillers: frozenset[str]
    contractions: Mapping[str, str]
    slot_values: Mapping[str, Mapping[str, str]]
    """slot name -> normalised spoken value -> id."""

    def normalise(self, text: str) -> str:
        """Lower-case, drop punctuation and fillers, expand contractions."""
        text = text.lower().replace("\u2019", "'")
        text = _NOT_WORD.sub(" ", text)
        words: list[str] = []
        for word in text.split():
            word = word.strip("'")
            words.extend(self.contractions.get(word, word).split())
        kept = [w for w in words if w not in self.fillers] or words
        # "okay" on its own is an answer, not a filler: a filler-only utterance stays whole.
        # Said-twice words ("wait wait", "yes yes") count once.
        kept = [w for i, w in enumerate(kept) if i == 0 or w != kept[i - 1]]
        return " ".join(kept)

    def consequential(self, name: str) -> bool:
        intent = self.intents.get(name)
        return bool(intent and intent.consequential)

    def templates(self) -> list[tuple[str, str]]:
        """(normalised phrase with placeholders, intent) for every phrase."""
        return [
            (self.normalise(phrase), intent.name)
            for intent in self.intents.values()
            for phrase in intent.phrases
        ]

    def phrases(self) -> list[str]:
        """Every phrase, normalised, with slots expanded: the recognizers' vocabulary source."""
        out: list[str] = []
        for template, _ in self.templates():
            out.extend(self._expand(template))
        return sorted(set(out))

    def vocabulary(self) -> list[str]:
        """Every word a command can contain (phrases, slot values, fillers)."""
        words = {w for p in self.phrases() for w in p.split()}
        words |= set(self.fillers)
        return sorted(words)

    def _expand(self, template: str) -> list[str]:
        names = _PLACEHOLDER.findall(template)
        if not names:
            return [template]
        slot = names[0]
        values = self.slot_values.get(slot, {})
        expanded = [template.replace("{" + slot + "}", v, 1) for v in values]
        return [p for e in expanded for p in self._expand(e)]


def load_intents(source: IO[bytes] | Path | None, catalogue: SlotSource) -> IntentSet:
    """Load phrase data (default: the packaged `intents/en.toml`) and catalogue slot values."""
    name = "en.toml"
    try:
        if source is None:
            data = tomllib.loads(files("voicecoach.phrases").joinpath(name).read_text("utf-8"))
        elif isinstance(source, Path):
            name = source.name
            data = tomllib.loads(source.read_text("utf-8"))
        else:
            name = getattr(source, "name", "<stream>")
            data = tomllib.load(source)
    except tomllib.TOMLDecodeError as err:
        raise IntentDataError(f"{name}: not valid TOML: {err}") from err
    return _build(name, data, catalogue)


def _build(name: str, data: Mapping[str, object], catalogue: SlotSource) -> IntentSet:
    meta = data.get("meta", {})
    table = data.get("intents")
    if not isinstance(meta, dict) or not isinstance(table, dict):
        raise IntentDataError(f"{name}: needs [meta] and [intents.<name>] tables")
    flags = load_flags()
    intents: dict[str, Intent] = {}
    for intent_name, entry in table.items():
        where = f"{name}: intent '{intent_name}'"
        if intent_name not in CANONICAL:
            raise IntentDataError(f"{where}: not a canonical intent ({', '.join(CANONICAL)})")
        phrases = entry.get("phrases") if isinstance(entry, dict) else None
        if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise IntentDataError(f"{where}: needs a non-empty list of phrases")
        for phrase in phrases:
            for slot in _PLACEHOLDER.findall(phrase):
                if slot not in SLOTS:
                    raise IntentDataError(f"{where}: phrase '{phrase}' has unknown slot {{{slot}}}")
        intents[intent_name] = Intent(
            intent_name, tuple(phrases), flags[intent_name].consequential
        )
    missing = [i for i in CANONICAL if i not in intents]
    if missing:
        raise IntentDataError(f"{name}: missing intents: {', '.join(missing)}")
    contractions = {str(k).lower(): str(v).lower() for k, v in meta.get("contractions", {}).items()}
    fillers = frozenset(str(f).lower() for f in meta.get("fillers", []))
    return _with_slots(IntentSet(intents, fillers, contractions, {}), catalogue)


def _with_slots(bare: IntentSet, catalogue: SlotSource) -> IntentSet:
    """The catalogue's spoken names and aliases become the values of the two slots."""
    exercise_values: dict[str, str] = {}
    for ex in catalogue.exercises.values():
        for spoken in (ex.name, *ex.aliases):
            exercise_values[bare.normalise(spoken)] = ex.id
    routine_values: dict[str, str] = {}
    for routine in catalogue.routines.values():
        for spoken in (routine.name, *routine.aliases, routine.id.replace("_", " ")):
            routine_values[bare.normalise(spoken)] = routine.id
    slots = {"exercise": exercise_values, "routine": routine_values}
    return IntentSet(bare.intents, bare.fillers, bare.contractions, slots)


class Matcher:
    """Transcript -> Match, over one IntentSet.  Pure and fast (microseconds per call)."""

    def __init__(self, intents: IntentSet) -> None:
        self.intents = intents
        self._answers = load_flags().answers
        self._templates = intents.templates()
        self._choices = [t for t, _ in self._templates]
        # Phrases are only compared with transcripts of the same polarity (see NEGATIONS).
        self._by_polarity = {
            negated: [i for i, c in enumerate(self._choices) if _negated(c) == negated]
            for negated in (False, True)
        }
        # Longest slot values first, so "hip flexor stretch" wins over "hip flexor".
        self._slot_values = {
            slot: sorted(values.items(), key=lambda kv: -len(kv[0]))
            for slot, values in intents.slot_values.items()
        }

    def match(self, text: str, expecting_answer: bool = False) -> Match:
        """Best intent for `text`; `none` when nothing is close enough.

        Yes/no only count when the coach has asked something (`expecting_answer`).
        """
        normal = self.intents.normalise(text)
        if not normal:
            return Match(text, NONE, {}, 1.0)
        with_slots, slots = self._fill_slots(normal)
        best_score, best_index = self._best(with_slots)
        if with_slots != normal:
            # A slot value may be an ordinary word in a command ("bridge"): try both readings.
            plain_score, plain_index = self._best(normal)
            if plain_score > best_score:
                best_score, best_index, slots = plain_score, plain_index, {}
        if best_index < 0:
            return Match(text, NONE, {}, 1.0)
        phrase, intent = self._templates[best_index]
        needed = ACCEPT_CONSEQUENTIAL if self.intents.consequential(intent) else ACCEPT
        wanted_slots = set(_PLACEHOLDER.findall(phrase))
        slots = {k: v for k, v in slots.items() if k in wanted_slots}
        if (
            best_score < needed
            or wanted_slots != set(slots)
            or (intent in self._answers and not expecting_answer)
        ):
            return Match(text, NONE, {}, 1.0 - best_score, phrase)
        return Match(text, intent, slots, best_score, phrase)

    def _best(self, normal: str) -> tuple[float, int]:
        candidates = self._by_polarity[_negated(normal)]
        found = process.extractOne(
            normal, [self._choices[i] for i in candidates], scorer=fuzz.ratio
        )
        if found is None:
            return 0.0, -1
        _, score, position = found
        index = candidates[position]
        score /= 100.0
        contained = self._contained(normal)
        if contained is not None and contained[0] > score:
            return contained
        return score, index

    def _contained(self, normal: str) -> tuple[float, int] | None:
        """A phrase of 2+ words said whole inside a few more ("could you say that again")."""
        words = normal.split()
        best: tuple[float, int] | None = None
        padded = f" {normal} "
        negated = _negated(normal)
        for index, phrase in enumerate(self._choices):
            if _negated(phrase) != negated:
                continue
            size = phrase.count(" ") + 1
            extra = len(words) - size
            if size < 2 or not 0 < extra <= MAX_EXTRA_WORDS or f" {phrase} " not in padded:
                continue
            # Each extra word costs a little, so an exact phrase always beats a padded one.
            score = 0.95 - 0.05 * extra
            if best is None or score > best[0]:
                best = (score, index)
        return best

    def _fill_slots(self, normal: str) -> tuple[str, dict[str, str]]:
        slots: dict[str, str] = {}
        padded = f" {normal} "
        for slot, values in self._slot_values.items():
            for spoken, ident in values:
                if f" {spoken} " in padded:
                    padded = padded.replace(f" {spoken} ", f" {{{slot}}} ", 1)
                    slots[slot] = ident
                    break
            else:
                fuzzy = self._fuzzy_slot(padded.strip(), values)
                if fuzzy is not None:
                    window, ident = fuzzy
                    padded = f" {padded.strip()} ".replace(f" {window} ", f" {{{slot}}} ", 1)
                    slots[slot] = ident
        return padded.strip(), slots

    @staticmethod
    def _fuzzy_slot(normal: str, values: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
        """A slot value heard slightly wrong ("knee to chess"): best window of the same length."""
        words = normal.split()
        best: tuple[float, str, str] | None = None
        for spoken, ident in values:
            size = spoken.count(" ") + 1
            if size < 2 or size > len(words):
                continue  # one-word values must be heard exactly; too easy to mistake
            for start in range(len(words) - size + 1):
                window = " ".join(words[start : start + size])
                score = fuzz.ratio(window, spoken)
                if score >= SLOT_SIMILARITY and (best is None or score > best[0]):
                    best = (score, window, ident)
        return None if best is None else (best[1], best[2])
