"""Intent data (templates) and the recogniser that turns a transcript into an intent.

`intents/en.toml` (installed as the package data `voicecoach.phrases`) holds, per canonical
intent, sentence templates (`(let's|let us) [just] (start|begin)`, see templates.py), shared
`[expansion_rules]`, and the normalisation facts (fillers, contractions).
`intents/en_none.toml` holds templates of things people say that are NOT commands: talk to
someone else, the telly, the phone, thinking aloud, and commands said the other way round
("please don't stop").  `{exercise}` and `{routine}` are slots: any name, alias or
description from the catalogue, passed in by the caller (SlotSource).

The same templates feed the speech recognizers' vocabulary (`IntentSet.templates()` gives a
sample of their sentences, voicecoach.hear.vocab builds the language model from it) and the
recogniser (`Matcher`):
1. the transcript is normalised and slot values become placeholders;
2. a sentence any template generates is a hit at once (high confidence);
3. otherwise a linear model learned from the generated sentences (voicecoach.understand.model),
   with a real `none` class, gives each intent a probability; below the intent's threshold
   the answer is `none`.  Consequential intents (stop, skip, choose_*) need more.
Recognition is context-free: "yeah" is `yes` whether or not the coach asked anything; the
coach decides what an unexpected answer means.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import sys
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from voicecoach.hear.cache import cache_dir, mark_used, prune
from voicecoach.understand import augment
from voicecoach.understand import templates as tpl
from voicecoach.understand.describe import Describer
from voicecoach.understand.flags import CANONICAL, NONE, load_flags
from voicecoach.understand.model import Model, load_or_train

log = logging.getLogger(__name__)


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
    understanding never imports the coach.  An entry may also have `described_as`: what
    people call it by what it is or what it is for ("the balancing one", "for tight
    calves"); those phrases fill the slot too."""

    @property
    def exercises(self) -> Mapping[str, Named]: ...
    @property
    def routines(self) -> Mapping[str, Named]: ...


SLOTS = ("exercise", "routine")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: "he's", "she's": left as written (see IntentSet._is_contracted).
_PRONOUNS_S = frozenset({"he's", "she's"})
#: "at the doctor's", "to the chemist's": a place, the 's a possessive.
_PLACE_PREPOSITIONS = frozenset({"at", "to", "from", "in", "round", "by", "near"})
_DETERMINERS = frozenset({"the", "my", "his", "her", "our", "your", "their", "me"})
_NOT_WORD = re.compile(r"[^a-z0-9'{} ]+")
#: A template may expand to at most this many sentences (slots counted once): past that it
#: is a sign of a mistake, and it would make the exact-hit table huge.
MAX_EXPANSIONS = 20_000


class IntentDataError(ValueError):
    """The intent data is unusable; the message names the file, the line and the reason."""


@dataclass(frozen=True)
class Match:
    """What the recogniser made of one transcript."""

    text: str
    """The transcript as given."""
    intent: str
    """A canonical intent name, or `none`."""
    slots: dict[str, str] = field(default_factory=dict)
    """`exercise` / `routine` ids for choose_* intents."""
    confidence: float = 0.0
    """How sure the recogniser is of `intent` (for `none`: of it not being a command)."""
    phrase: str = ""
    """The normalised sentence it recognised, slots as placeholders (useful when tuning)."""
    guess: str = ""
    """For `none` only: the command the words most likely meant, when it was too unsure to
    act on but sure enough to ask about ("did you want to move on?"); else empty."""
    guess_slots: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        said: dict[str, object] = {
            "text": self.text,
            "intent": self.intent,
            "slots": dict(self.slots),
            "confidence": round(self.confidence, 3),
        }
        if self.guess:
            said["guess"] = {"intent": self.guess, "slots": dict(self.guess_slots)}
        return said


@dataclass(frozen=True)
class Intent:
    name: str
    sentences: tuple[str, ...]
    """Templates as written in the data file."""
    consequential: bool = False
    trees: tuple[tpl.Seq, ...] = ()
    """The parsed templates."""
    safety: bool = False
    """A safety word (pain, dizzy, emergency...): heard in every state, never to be missed."""
    confirmed: bool = False
    """Consequential, but the coach asks before acting on it (flags.toml)."""
    literal: tuple[tpl.Seq, ...] = ()
    """Templates matched on the words as said, fillers and repeats kept (`literal` in the
    data): "help help" and "i need help now" are an emergency, though normalised they read
    "help" and "i need help"."""
    answer: bool = False
    """An answer to the coach's question (yes, no)."""

    @property
    def phrases(self) -> tuple[str, ...]:
        return self.sentences


@dataclass(frozen=True)
class IntentSet:
    """The loaded templates plus slot values from the catalogue."""

    intents: Mapping[str, Intent]
    fillers: frozenset[str]
    contractions: Mapping[str, str]
    slot_values: Mapping[str, Mapping[str, str]]
    """slot name -> normalised spoken value -> id."""
    rules: Mapping[str, tpl.Seq] = field(default_factory=dict)
    """Expansion rules by name."""
    negatives: tuple[tpl.Seq, ...] = ()
    """Templates of talk that is not a command (en_none.toml)."""
    digest: str = ""
    """A hash of all the data the recogniser learns from (keys its cache)."""
    families: Mapping[str, str] = field(default_factory=dict)
    """Slot value id -> the catalogue entry it is an adapted version of."""
    is_before: frozenset[str] = frozenset()
    """Words after which a noun's 's reads "is" ("the floor's out"), `[meta] is_before`."""
    is_before_endings: tuple[str, ...] = ()
    """Endings of such words ("the cramp's easing"), `[meta] is_before_endings`."""
    asides: tuple[tuple[str, ...], ...] = ()
    """Words said to the person or in passing, dropped like fillers ("our kid", "my
    lover", "honey", "sorry"), longest first, `[meta] asides`."""
    asides_not_after: frozenset[str] = frozenset()
    """Words after which an aside is meant ("i'd love to", "the lad next door")."""
    tags: tuple[tuple[str, ...], ...] = ()
    """Tags dropped at the end of an utterance ("i'm wrecked so i am"), `[meta] tags`."""
    slot_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """slot name -> normalised name or alias (no descriptions) -> id."""
    settings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Exercise id -> where and with what it is done ("position:bed", "equipment:towel",
    "held:chair": a chair held while standing), which tells versions apart."""

    def normalise(
        self, text: str, once: bool = True, fillers: bool = True, read_is: bool = True
    ) -> str:
        """Lower-case, drop punctuation and (if `fillers`) fillers, expand contractions;
        `once`: a word said twice in a row counts once; `read_is`: a noun's 's before an
        `is_before` word reads "is" (off for the recognizers' language model, which must
        not learn the contracted twins, see templates())."""
        text = text.lower().replace("\u2019", "'")
        text = _NOT_WORD.sub(" ", text)
        raw = [w.strip("'") for w in text.split()]
        words: list[str] = []
        for n, word in enumerate(raw):
            if word in self.contractions:
                words.extend(self.contractions[word].split())
            elif read_is and self._is_contracted(raw[max(0, n - 2) : n], word, raw[n + 1 : n + 2]):
                words.extend((word[:-2], "is"))
            else:
                words.append(word)
        spoken = self._without_asides(words) if fillers else words
        kept = [w for w in spoken if not fillers or w not in self.fillers] or words
        # "okay" on its own is an answer, not a filler: a filler-only utterance stays whole.
        # Said-twice words ("wait wait", "yes yes") count once.
        return " ".join(_once(kept) if once else kept)

    def _without_asides(self, words: list[str]) -> list[str]:
        """`words` without asides (unless a word before says they are meant) and without
        a tag at the end."""
        out: list[str] = []
        n = 0
        starts = self._aside_starts
        while n < len(words):
            size = 0
            if words[n] in starts and (not out or out[-1] not in self.asides_not_after):
                size = next(
                    (len(a) for a in starts[words[n]] if tuple(words[n : n + len(a)]) == a), 0
                )
            out.extend(words[n : n + 1] if not size else ())
            n += size or 1
        ends = self._tag_ends.get(out[-1], ()) if out else ()
        tag = next((t for t in ends if len(out) > len(t) and tuple(out[-len(t) :]) == t), ())
        return out[: len(out) - len(tag)]

    @cached_property
    def _aside_starts(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """The asides by their first word, longest first: most words start none."""
        starts: dict[str, list[tuple[str, ...]]] = {}
        for aside in self.asides:
            starts.setdefault(aside[0], []).append(aside)
        return {word: tuple(asides) for word, asides in starts.items()}

    @cached_property
    def _tag_ends(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """The end tags by their last word, in their order."""
        ends: dict[str, list[tuple[str, ...]]] = {}
        for tag in self.tags:
            ends.setdefault(tag[-1], []).append(tag)
        return {word: tuple(tags) for word, tags in ends.items()}

    @cached_property
    def _expanded(self) -> dict[str, list[str]]:
        """expansions() already made, by intent (the matcher asks for each more than once)."""
        return {}

    def _is_contracted(self, before: list[str], word: str, after: list[str]) -> bool:
        """`word`'s 's is "is" (or "has"), not a possessive: the word after it cannot
        follow a possessive ("the floor's out", "the cramp's gone", "standing's not
        happening"; but "the dog's ball", "my husband's car").  Not a place named by its
        owner ("at the doctor's on tuesday"), nor "he's" / "she's", which the templates
        write as said ("he's collapsed", "she's been poorly")."""
        if not word.endswith("'s") or len(word) < 4 or word in _PRONOUNS_S or not after:
            return False
        if len(before) == 2 and before[1] in _DETERMINERS and before[0] in _PLACE_PREPOSITIONS:
            return False
        return after[0] in self.is_before or any(
            after[0].endswith(end) and len(after[0]) > len(end) + 2
            for end in self.is_before_endings
        )

    def consequential(self, name: str) -> bool:
        intent = self.intents.get(name)
        return bool(intent and intent.consequential)

    def safety(self, name: str) -> bool:
        intent = self.intents.get(name)
        return bool(intent and intent.safety)

    def answer(self, name: str) -> bool:
        intent = self.intents.get(name)
        return bool(intent and intent.answer)

    def confirmed(self, name: str) -> bool:
        intent = self.intents.get(name)
        return bool(intent and intent.confirmed)

    def sentences(self, intent: str, per_template: int, read_is: bool = True) -> list[str]:
        """Normalised sentences of `intent`'s templates (slots as placeholders), at most
        `per_template` from each, deterministic."""
        trees = self.negatives if intent == NONE else self.intents[intent].trees
        out: dict[str, None] = {}
        for n, tree in enumerate(trees):
            for sentence in tpl.sample(tree, self.rules, per_template, seed=f"{intent}{n}"):
                out[self.normalise(sentence, read_is=read_is)] = None
        return list(out)

    def expansions(self, intent: str) -> list[str]:
        """Every normalised sentence of `intent`'s templates (slots as placeholders)."""
        if intent not in self._expanded:
            self._expanded[intent] = list(
                dict.fromkeys(
                    self.normalise(s)
                    for tree in self.intents[intent].trees
                    for s in tpl.expand(tree, self.rules)
                )
            )
        return list(self._expanded[intent])

    def literal_expansions(self, intent: str) -> list[str]:
        """Every sentence of `intent`'s literal templates, as said (fillers and repeats
        kept, contractions expanded)."""
        return list(
            dict.fromkeys(
                self.normalise(s, once=False, fillers=False)
                for tree in self.intents[intent].literal
                for s in tpl.expand(tree, self.rules)
            )
        )

    def templates(self) -> list[tuple[str, str]]:
        """(normalised sentence with placeholders, intent): a sample of every template's
        sentences that uses each of its words at least once.  The recognizers' language
        model is built from these (voicecoach.hear.vocab), so a noun's 's stays as written:
        read as "is", the model would learn "the pain is" and its twin "pain's" (see
        docs/intents.md, Normalisation)."""
        return [
            (sentence, name)
            for name in self.intents
            for sentence in self.sentences(name, per_template=2, read_is=False)
        ]

    def phrases(self) -> list[str]:
        """Sampled sentences, slots expanded: the recognizers' vocabulary source."""
        out: list[str] = []
        for template, _ in self.templates():
            out.extend(self._expand(template))
        return sorted(set(out))

    def vocabulary(self) -> list[str]:
        """Every word a command can contain (sentences, slot values, fillers)."""
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


# --- loading --------------------------------------------------------------------------------

Source = IO[bytes] | Path | None


def load_intents(source: Source, catalogue: SlotSource, negatives: Source = None) -> IntentSet:
    """Load templates (default: the packaged `intents/en.toml` and `intents/en_none.toml`)
    and the catalogue's slot values.  Refuses bad data with IntentDataError."""
    name, raw = _read(source, "en.toml")
    data = _toml(name, raw)
    if source is None and negatives is None:
        none_name, none_raw = _read(None, "en_none.toml")
    elif negatives is not None:
        none_name, none_raw = _read(negatives, "en_none.toml")
    else:
        none_name, none_raw = "", b""
    none_data = _toml(none_name, none_raw) if none_raw else {}
    bare = _build(name, raw.decode(), data, none_name, none_raw.decode(), none_data)
    digest = hashlib.sha256(raw + b"\0" + none_raw).hexdigest()
    return _with_slots(bare, catalogue, digest)


def _read(source: Source, default: str) -> tuple[str, bytes]:
    if source is None:
        return default, files("voicecoach.phrases").joinpath(default).read_bytes()
    if isinstance(source, Path):
        return str(source), source.read_bytes()
    return getattr(source, "name", "<stream>"), source.read()


def _toml(name: str, raw: bytes) -> dict[str, object]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise IntentDataError(f"{name}:{line}: not UTF-8 (byte {err.start})") from err
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise IntentDataError(f"{name}: not valid TOML: {err}") from err


def _line_of(text: str, needle: str) -> int:
    """The line a string or table is written on (0 if not found): tomllib keeps none."""
    lines = text.splitlines()
    for wanted in (f'"{needle}"', needle):  # as a TOML string first: "next]" is not [intents.next]
        for number, line in enumerate(lines, 1):
            if wanted in line:
                return number
    return 0


def _build(
    name: str,
    text: str,
    data: Mapping[str, object],
    none_name: str,
    none_text: str,
    none_data: Mapping[str, object],
) -> IntentSet:
    meta = data.get("meta", {})
    table = data.get("intents")
    if not isinstance(meta, dict) or not isinstance(table, dict):
        raise IntentDataError(f"{name}:1: needs [meta] and [intents.<name>] tables")
    rules = _rules(((name, text, data), (none_name, none_text, none_data)))
    intents = _intents(name, text, table, rules)
    negatives = _negatives(none_name, none_text, none_data, rules)
    contractions = {str(k).lower(): str(v).lower() for k, v in meta.get("contractions", {}).items()}
    fillers = frozenset(str(f).lower() for f in meta.get("fillers", []))
    is_before = frozenset(str(w).lower() for w in meta.get("is_before", []))
    endings = tuple(str(e).lower() for e in meta.get("is_before_endings", []))
    asides = _word_runs(meta.get("asides", []))
    not_after = frozenset(str(w).lower() for w in meta.get("asides_not_after", []))
    tags = _word_runs(meta.get("tags", []))
    return IntentSet(
        intents,
        fillers,
        contractions,
        {},
        rules,
        negatives,
        "",
        {},
        is_before,
        endings,
        asides,
        not_after,
        tags,
    )


def _word_runs(phrases: Iterable[object]) -> tuple[tuple[str, ...], ...]:
    """Phrases as runs of words, longest first (so "my lover" goes before "love")."""
    runs = {tuple(str(p).lower().split()) for p in phrases}
    return tuple(sorted((r for r in runs if r), key=lambda r: (-len(r), r)))


def _rules(files: tuple[tuple[str, str, Mapping[str, object]], ...]) -> dict[str, tpl.Seq]:
    """The expansion rules of every (name, text, data) file, each checked."""
    rules: dict[str, tpl.Seq] = {}
    written: dict[str, tuple[str, str, str]] = {}
    for file, file_text, file_data in files:
        for rule, body in _table(file, file_text, file_data, "expansion_rules").items():
            rules[rule] = _parse(file, file_text, f"rule <{rule}>", body, None)
            written[rule] = (file, file_text, body)
    for rule, tree in rules.items():  # rules may use rules: check once all are known
        file, file_text, body = written[rule]
        _check_tree(file, file_text, f"rule <{rule}>", body, tree, rules)
    return rules


def _intents(
    name: str, text: str, table: Mapping[str, object], rules: dict[str, tpl.Seq]
) -> dict[str, Intent]:
    """Every canonical intent of the [intents.<name>] tables, parsed; none missing."""
    flags = load_flags()
    intents: dict[str, Intent] = {}
    for intent_name, entry in table.items():
        where = f"intent '{intent_name}'"
        line = _line_of(text, f"[intents.{intent_name}]")
        if intent_name not in CANONICAL:
            raise IntentDataError(
                f"{name}:{line}: {where}: not a canonical intent ({', '.join(CANONICAL)})"
            )
        sentences = entry.get("sentences") if isinstance(entry, dict) else None
        if not sentences or not all(isinstance(p, str) and p.strip() for p in sentences):
            raise IntentDataError(f"{name}:{line}: {where}: needs a non-empty list of sentences")
        trees = tuple(_parse(name, text, where, s, rules) for s in sentences)
        literal = entry.get("literal", []) if isinstance(entry, dict) else []
        if not isinstance(literal, list) or not all(isinstance(p, str) and p for p in literal):
            raise IntentDataError(f"{name}:{line}: {where}: literal needs a list of sentences")
        intents[intent_name] = Intent(
            intent_name,
            tuple(sentences),
            flags[intent_name].consequential,
            trees,
            flags[intent_name].safety,
            flags[intent_name].confirmed,
            tuple(_parse(name, text, where, s, rules) for s in literal),
            flags[intent_name].answer,
        )
    missing = [i for i in CANONICAL if i not in intents]
    if missing:
        raise IntentDataError(f"{name}:1: missing intents: {', '.join(missing)}")
    return intents


def _negatives(
    none_name: str, none_text: str, none_data: Mapping[str, object], rules: dict[str, tpl.Seq]
) -> tuple[tpl.Seq, ...]:
    """The sentences of the [none] file (what is not a command), parsed."""
    if not none_data:
        return ()
    entry = none_data.get(NONE)
    sentences = entry.get("sentences") if isinstance(entry, dict) else None
    if not sentences:
        raise IntentDataError(f"{none_name}:1: needs [none] with a list of sentences")
    return tuple(_parse(none_name, none_text, NONE, s, rules) for s in sentences)


def _table(name: str, text: str, data: Mapping[str, object], key: str) -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise IntentDataError(f'{name}:{_line_of(text, key)}: [{key}] holds name = "template"')
    return table


def _parse(
    name: str, text: str, where: str, sentence: object, rules: Mapping[str, tpl.Seq] | None
) -> tpl.Seq:
    """The template's tree, checked against `rules` (None: not yet, rules are still read)."""
    if not isinstance(sentence, str):
        raise IntentDataError(
            f"{name}:{_line_of(text, where)}: {where}: {sentence!r} is not a string"
        )
    try:
        tree = tpl.parse(sentence)
    except tpl.TemplateError as err:
        raise IntentDataError(f"{name}:{_line_of(text, sentence)}: {where}: {err}") from err
    if rules is not None:
        _check_tree(name, text, where, sentence, tree, rules)
    return tree


def _check_tree(
    name: str, text: str, where: str, sentence: str, tree: tpl.Seq, rules: Mapping[str, tpl.Seq]
) -> None:
    line = _line_of(text, sentence)
    for slot in tpl.names(tree, tpl.Slot):
        if slot not in SLOTS:
            raise IntentDataError(
                f"{name}:{line}: {where}: {sentence!r} has unknown slot "
                f"{{{slot}}} (slots: {', '.join(SLOTS)})"
            )
    try:
        size = tpl.count(tree, rules)
    except tpl.TemplateError as err:
        raise IntentDataError(f"{name}:{line}: {where}: {sentence!r}: {err}") from err
    if size > MAX_EXPANSIONS:
        raise IntentDataError(
            f"{name}:{line}: {where}: {sentence!r} makes {size} sentences "
            f"(at most {MAX_EXPANSIONS}): split it"
        )


def _with_slots(bare: IntentSet, catalogue: SlotSource, digest: str) -> IntentSet:
    """The catalogue's names, aliases and descriptions become the values of the two slots."""
    exercise_values: dict[str, str] = {}
    exercise_names: dict[str, str] = {}
    for ex in catalogue.exercises.values():
        for spoken in _spoken(ex):
            exercise_values.setdefault(bare.normalise(spoken), ex.id)
        for spoken in _spoken(ex, described=False):
            exercise_names.setdefault(bare.normalise(spoken), ex.id)
    routine_values: dict[str, str] = {}
    for routine in catalogue.routines.values():
        for spoken in (*_spoken(routine), routine.id.replace("_", " ")):
            routine_values.setdefault(bare.normalise(spoken), routine.id)
    slots = {"exercise": exercise_values, "routine": routine_values}
    slot_text = repr(sorted((s, sorted(v.items())) for s, v in slots.items()))
    digest = hashlib.sha256((digest + slot_text).encode()).hexdigest()
    names = {"exercise": exercise_names}
    return replace(
        bare,
        slot_values=slots,
        digest=digest,
        families=_families(catalogue),
        slot_names=names,
        settings=_settings(catalogue),
    )


def _settings(catalogue: SlotSource) -> dict[str, tuple[str, ...]]:
    """Each exercise's position and equipment, as the describer's setting keys."""
    settings: dict[str, tuple[str, ...]] = {}
    for ident, ex in catalogue.exercises.items():
        position = str(getattr(ex, "position", ""))
        equipment = tuple(str(e) for e in getattr(ex, "equipment", ()))
        held = ("held:chair",) if position == "standing" and "chair" in equipment else ()
        settings[ident] = (f"position:{position}", *(f"equipment:{e}" for e in equipment), *held)
    return settings


def _families(catalogue: SlotSource) -> dict[str, str]:
    """Adapted versions (an easier one, one for a chair or the bed) -> the entry they adapt,
    when the catalogue says so (`easier`, `alternatives`, `source = "adapted"`)."""
    entries = {**catalogue.exercises, **catalogue.routines}
    families: dict[str, str] = {}
    for ident, entry in entries.items():
        versions = (getattr(entry, "easier", None), *getattr(entry, "alternatives", {}).values())
        for version in versions:
            adapted = version in entries and getattr(entries[version], "source", "") == "adapted"
            if adapted and version not in families:
                families[str(version)] = ident
    return families


def _spoken(entry: Named, described: bool = True) -> Iterable[str]:
    """Names, aliases and (unless not `described`) descriptions, without a leading "the":
    templates say it, so "the stretches" must not swallow the article of "begin the
    stretches routine"."""
    descriptions = getattr(entry, "described_as", ()) if described else ()
    for spoken in (entry.name, *entry.aliases, *descriptions):
        yield spoken[4:] if spoken.startswith("the ") else spoken


# --- the recogniser -------------------------------------------------------------------------

#: Probability the model must give an intent for it to be acted on, by kind of intent (chosen
#: with `python -m voicecoach.bench intent_policy` on left-out templates and the development
#: sets, never on held-out data): ordinary ones ...
ACCEPT = 0.80
#: ... consequential ones (stop, skip, choose_*), where a wrong act costs more ...
ACCEPT_CONSEQUENTIAL = 0.90
#: ... and the safety words (pain, dizzy, emergency...), where a miss costs more.
ACCEPT_SAFETY = 0.65
#: ... and the consequential intents the coach confirms before acting (flags.toml
#: `confirmed`: stop, "end the session?"), where a false one costs a question: on left-out
#: templates 0.85 took 10 more of 234 stops than 0.90 with no more wrong acts or false
#: accepts (0.80: 26 more, one wrong, one false accept); the development sets were the
#: same at both.
ACCEPT_CONFIRMED = 0.85
#: Below its bar, a command this likely is asked about instead of answered with a "sorry"
#: (chosen on the development sets: at 0.5 a further 1.6-2.9 % of their commands are asked
#: about rightly and 0.3-0.4 % wrongly, while 3.5-4.0 % of their not-commands, which get a
#: "sorry" today, would get the question instead; see docs/benchmarks.md).
GUESS_FLOOR = 0.5
#: Confidence of a sentence that a template generates word for word.
EXACT = 0.99
#: Sentences the model learns from, at most, per template (intents / not-commands).
PER_TEMPLATE = 40
PER_NEGATIVE_TEMPLATE = 40
#: Per slotted training sentence, this many copies with a spoken value instead of the slot.
RAW_VALUES = 2
SLOT_SEED = 11
#: Bumped when normalise() reads words differently: cached models are keyed by the data's
#: digest, which does not see the code.
NORMALISATION = 3
#: Words that turn a sentence round: "I'm not tired" must never become "I'm tired".
NEGATIONS = frozenset({"not", "cannot", "never", "no", "nothing", "without"})
#: Negations that turn nothing round: politeness ("skip this one if you don't mind").
POLITE_NEGATIONS = frozenset({("not", "mind")})
#: An intent with at least this share of negating sentences is a refusal, which another
#: negation does not turn round (today: cant_lie_down 0.87, no 0.83, cant_get_up 0.82,
#: cant_stand 0.74; the next is fewer_reps at 0.31).
REFUSAL_SHARE = 0.5
#: Negation words a refusal is said with, whatever follows them.
REFUSING = frozenset({"cannot", "without"})
#: Other values of one slot found in a sentence, tried for an exact template hit.
MAX_SLOT_READINGS = 3
#: Fuzzy matching of a misheard multi-word exercise or routine name needs this similarity.
SLOT_SIMILARITY = 90


@dataclass(frozen=True)
class Candidate:
    """The recogniser's likeliest reading of a transcript, before the policy decides."""

    text: str
    intent: str
    probability: float
    runner_up: float
    """The second likeliest class's probability (how clear the choice is)."""
    reading: str
    slots: dict[str, str]
    exact: bool = False
    """A template (or a not-command template) generates the sentence word for word."""
    blocked: bool = False
    """A slot it needs is missing, or a negation turns the sentence round."""
    unsure: bool = False
    """Its slot value is only the likeliest of two near ones: asked about, never acted on."""


@dataclass(frozen=True)
class Policy:
    """How sure the model must be for its choice to be acted on, by kind of intent.  (A
    top-two margin was tried too: above 0.5 it is implied, and it changed nothing.)"""

    accept: float = ACCEPT
    accept_consequential: float = ACCEPT_CONSEQUENTIAL
    accept_safety: float = ACCEPT_SAFETY
    accept_confirmed: float = ACCEPT_CONFIRMED
    """Consequential intents the coach confirms first (flags.toml `confirmed`: stop)."""
    guess: float = GUESS_FLOOR
    """An unsure command at least this likely is reported as `Match.guess`."""

    def needed(self, intents: IntentSet, intent: str) -> float:
        if intents.confirmed(intent):
            return self.accept_confirmed
        if intents.consequential(intent):
            return self.accept_consequential
        return self.accept_safety if intents.safety(intent) else self.accept


class Matcher:
    """Transcript -> Match over one IntentSet: exact template hits, then the learned model.

    Context-free: yes and no are reported whatever the dialogue state; `expecting_answer`
    is accepted for callers that know, and changes nothing here (the coach decides what an
    answer nobody asked for means).
    """

    def __init__(
        self, intents: IntentSet, model: Model | None = None, policy: Policy | None = None
    ) -> None:
        self.intents = intents
        self.policy = policy or Policy()
        tables = tables_for(intents)
        self._tables = tables
        self._literal = [(sentence.split(), name) for sentence, name in tables.literal]
        self._negations_used = tables.negations_used
        self._refusals = tables.refusals
        self.model = model or model_for(intents)
        # Longest slot values first, so "hip flexor stretch" wins over "hip flexor".
        self._slot_values = {
            slot: sorted(with_variants(values).items(), key=lambda kv: -len(kv[0]))
            for slot, values in intents.slot_values.items()
        }
        # The fuzzy search (a window per value) is the matcher's largest cost: only the
        # catalogue's own values, whose near misses already cover a plural's extra letter.
        self._fuzzy_values = {
            slot: sorted(values.items(), key=lambda kv: -len(kv[0]))
            for slot, values in intents.slot_values.items()
        }
        # An exercise described in the person's own words ("the one where i twist on my back").
        self._describers = {
            slot: Describer(
                values, intents.families, intents.slot_names.get(slot), intents.settings
            )
            for slot, values in intents.slot_values.items()
        }

    def match(self, text: str, expecting_answer: bool = False) -> Match:
        """Best intent for `text`; `none` when nothing is likely enough."""
        return self.decide(self.consider(text))

    def decide(self, c: Candidate, policy: Policy | None = None) -> Match:
        """The candidate accepted, or `none` when it is not sure enough (by `policy`, or
        the matcher's own)."""
        policy = policy or self.policy
        if c.exact or c.intent == NONE:
            return Match(c.text, c.intent, c.slots, c.probability, c.reading)
        if c.blocked or c.unsure or c.probability < policy.needed(self.intents, c.intent):
            # A yes or a no is never asked about: "did you say yes?" helps nobody.
            unsure = not c.blocked and c.probability >= policy.guess
            guess = c.intent if unsure and not self.intents.answer(c.intent) else ""
            slots = c.slots if guess else {}
            return Match(c.text, NONE, {}, 1.0 - c.probability, c.reading, guess, slots)
        return Match(c.text, c.intent, c.slots, c.probability, c.reading)

    def consider(self, text: str) -> Candidate:
        """The likeliest reading of `text`, before the acceptance policy is applied."""
        normal = self.intents.normalise(text)
        if not normal:
            return Candidate(text, NONE, 1.0, 0.0, "", {}, exact=True)
        literal = self._literal_match(text)
        if literal is not None:
            return literal
        readings = self._fill_slots(normal)
        # A slot value may begin with the word before it ("something for | for the chair"):
        # found before repeated words are merged, the rest of the sentence is a template's.
        whole = self.intents.normalise(text, once=False)
        merged = [] if whole == normal else self._fill_slots(whole)[:1]
        merged = [(" ".join(_once(r.split())), found) for r, found in merged]
        exact = self._exact_match(text, [*readings, *merged, (normal, {})])
        if exact is not None:
            return replace(exact, slots=self._versions(normal, exact.slots))
        intent, probability, runner_up, reading, found = self._best_reading(normal, *readings[0])
        if intent == NONE:
            return Candidate(text, NONE, probability, runner_up, reading, {})
        wanted = {s for s in SLOTS if intent == f"choose_{s}"}
        unsure = False
        for slot in wanted - set(found):
            guess = self._describers[slot].guess(normal)
            if guess is None:
                # Two entries fit nearly as well ("something for my hips"): the better one
                # is worth asking about ("did you mean the hip crossover?"), not doing.
                guess = self._describers[slot].nearest(normal)
                unsure = guess is not None
            if guess is not None:
                found = {**found, slot: guess.ident}
        # "the lunge without holding on" chooses a version; it does not refuse the lunge.
        said = reading.split()
        choosing = set().union(*(self._describers[s].choosing_negations(said) for s in wanted))
        checked = " ".join(w for i, w in enumerate(said) if i not in choosing)
        blocked = wanted != set(found) & wanted or not self._negations_allowed(intent, checked)
        slots = self._versions(normal, {k: v for k, v in found.items() if k in wanted})
        return Candidate(
            text, intent, probability, runner_up, reading, slots, blocked=blocked, unsure=unsure
        )

    def _versions(self, normal: str, slots: dict[str, str]) -> dict[str, str]:
        """Each slot's value as the version of it the sentence asks for ("the small glute
        bridge" is the small bridge, though it says the glute bridge's name)."""
        return {slot: self._describers[slot].version(normal, v) for slot, v in slots.items()}

    def _literal_match(self, text: str) -> Candidate | None:
        """A literal template said as it is, with nothing but fillers around it."""
        words = self.intents.normalise(text, once=False, fillers=False).split()
        for wanted, intent in self._literal:
            size = len(wanted)
            for start in range(len(words) - size + 1):
                rest = words[:start] + words[start + size :]
                if words[start : start + size] == wanted and all(
                    w in self.intents.fillers for w in rest
                ):
                    reading = " ".join(wanted)
                    return Candidate(text, intent, EXACT, 0.0, reading, {}, exact=True)
        return None

    def _negations_allowed(self, intent: str, reading: str) -> bool:
        pairs = _negation_pairs(reading)
        if intent in self._refusals:
            # "cannot" is how a refusal is said; "not stuck", "no problem" turn it round.
            pairs = {p for p in pairs if p[0] not in REFUSING}
        return pairs <= self._negations_used[intent]

    def _exact_match(
        self, text: str, readings: list[tuple[str, dict[str, str]]]
    ) -> Candidate | None:
        """A reading that is exactly a phrase (or exactly a non-command), if any."""
        for reading, found in readings:
            intent = self._tables.exact(reading)
            if intent is not None:
                wanted = set(_PLACEHOLDER.findall(reading))
                slots = {k: v for k, v in found.items() if k in wanted}
                return Candidate(text, intent, EXACT, 0.0, reading, slots, exact=True)
            if self._tables.not_command(reading):
                return Candidate(text, NONE, EXACT, 0.0, reading, {}, exact=True)
        return None

    def _best_reading(
        self, normal: str, with_slots: str, slots: dict[str, str]
    ) -> tuple[str, float, float, str, dict[str, str]]:
        """The model's choice for the reading with slot placeholders or the plain words."""
        best = self._classify(with_slots, slots)
        if with_slots != normal:
            # A slot value may be an ordinary word in a command ("my calves hurt"): try both.
            plain = self._classify(normal, {})
            if plain[1] > best[1]:
                # The same choice read from the spoken value keeps the value's slot.
                best = (*plain[:4], slots) if plain[0] == best[0] else plain
        return best

    def _classify(
        self, reading: str, slots: dict[str, str]
    ) -> tuple[str, float, float, str, dict[str, str]]:
        probs = self.model.probabilities(reading)
        second, best = (int(i) for i in np.argsort(probs)[-2:])
        return self.model.classes[best], float(probs[best]), float(probs[second]), reading, slots

    def _fill_slots(self, normal: str) -> list[tuple[str, dict[str, str]]]:
        """Readings with slot values as placeholders, the likeliest (longest values) first;
        then, when a sentence holds two values of a slot ("this morning ... the seated"),
        the readings with the others, so an exact template hit can choose between them."""
        slots: dict[str, str] = {}
        others: list[tuple[str, str, str]] = []
        padded = f" {normal} "
        for slot, values in self._slot_values.items():
            present = [(spoken, ident) for spoken, ident in values if f" {spoken} " in padded]
            if present:
                spoken, ident = present[0]
                others += [(slot, s, i) for s, i in present[1:MAX_SLOT_READINGS]]
                padded = padded.replace(f" {spoken} ", f" {{{slot}}} ", 1)
                slots[slot] = ident
                continue
            fuzzy = fuzzy_slot(padded.strip(), self._fuzzy_values[slot])
            if fuzzy is not None:
                window, ident = fuzzy
                padded = f" {padded.strip()} ".replace(f" {window} ", f" {{{slot}}} ", 1)
                slots[slot] = ident
        readings = [(padded.strip(), slots)]
        for slot, spoken, ident in others:
            alone = f" {normal} ".replace(f" {spoken} ", f" {{{slot}}} ", 1).strip()
            readings.append((alone, {slot: ident}))
        return readings


def with_variants(values: Mapping[str, str]) -> dict[str, str]:
    """Slot values plus the forms people say them in: the last word plural ("glute
    bridges") and the movement told as "you" ("hug your knee" for "hug my knee").  A form
    that is some entry's own value keeps that entry.  For finding slots only: the
    recognizers' vocabulary and the model's training keep the catalogue's own words."""
    out = dict(values)
    for spoken, ident in values.items():
        for variant in (_plural(spoken), _second_person(spoken)):
            if variant != spoken:
                out.setdefault(variant, ident)
    return out


def _plural(spoken: str) -> str:
    *head, last = spoken.split()
    if last.endswith("s") or last.startswith("{"):
        return spoken
    if last.endswith(("ch", "sh", "x", "z")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join([*head, last])


def _second_person(spoken: str) -> str:
    swap = {"my": "your", "i": "you", "me": "you"}
    return " ".join(swap.get(w, w) for w in spoken.split())


def fuzzy_slot(normal: str, values: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """A slot value heard slightly wrong ("knee to chess"): best window of the same length.
    Ties go to the value listed first."""
    words = normal.split()
    by_size: dict[int, list[tuple[int, str, str]]] = {}
    for rank, (spoken, ident) in enumerate(values):
        size = spoken.count(" ") + 1
        # One-word values must be heard exactly: too easy to mistake.
        if 2 <= size <= len(words):
            by_size.setdefault(size, []).append((rank, spoken, ident))
    best: tuple[float, int, str, str] | None = None
    for size, group in by_size.items():
        choices = [spoken for _, spoken, _ in group]
        for start in range(len(words) - size + 1):
            window = " ".join(words[start : start + size])
            # One C loop over the values of this length (the matcher's costliest step).
            found = process.extractOne(
                window, choices, scorer=fuzz.ratio, processor=None, score_cutoff=SLOT_SIMILARITY
            )
            if found is None:
                continue
            rank, _, ident = group[found[2]]
            if best is None or (found[1], -rank) > (best[0], -best[1]):
                best = (found[1], rank, window, ident)
    return None if best is None else (best[2], best[3])


def _once(words: list[str]) -> list[str]:
    return [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]


def _share(sentences: list[str], has: Callable[[str], object]) -> float:
    """The share of `sentences` for which `has` is truthy (0 for none)."""
    return sum(1 for s in sentences if has(s)) / len(sentences) if sentences else 0.0


def _negation_pairs(sentence: str) -> set[tuple[str, str]]:
    words = sentence.split()
    pairs = {
        (w, words[i + 1] if i + 1 < len(words) else "")
        for i, w in enumerate(words)
        if w in NEGATIONS
    }
    return pairs - POLITE_NEGATIONS


def training_samples(intents: IntentSet, wrap: float | None = None) -> list[tuple[str, str]]:
    """(sentence, intent) pairs the model learns from, `none` included.  Sentences with a
    slot are also shown with a spoken value in its place: a description nobody wrote down
    ("the one where i lift my hips off the bed") reaches the model as words, not as a
    placeholder, and must still read as choosing an exercise."""
    samples = [(s, name) for name in intents.intents for s in intents.sentences(name, PER_TEMPLATE)]
    rng = random.Random(SLOT_SEED)
    spoken = {slot: sorted(values) for slot, values in intents.slot_values.items()}
    for sentence, name in list(samples):
        for slot in set(_PLACEHOLDER.findall(sentence)):
            if spoken.get(slot):
                for value in rng.sample(spoken[slot], min(RAW_VALUES, len(spoken[slot]))):
                    samples.append((sentence.replace("{" + slot + "}", value), name))
    samples += [(s, NONE) for s in intents.sentences(NONE, PER_NEGATIVE_TEMPLATE)]
    # `wrap`: a share of them again with talk around them ("i think ...", "... if you don't
    # mind"), commands and not-commands alike (augment.py: measured, not shipped).
    share = augment.SHARE if wrap is None else wrap
    return samples + augment.wrapped(samples, intents.normalise, share)


def sentence_key(sentence: str) -> int:
    """A 64-bit key for a normalised sentence: tens of thousands of template sentences are
    kept as sorted keys, not strings (a collision is about one in 10^10 at this size)."""
    return int.from_bytes(hashlib.blake2b(sentence.encode(), digest_size=8).digest(), "little")


def _keys(sentences: Iterable[str]) -> np.ndarray:
    return np.array(sorted({sentence_key(s) for s in sentences}), dtype=np.uint64)


def _has(keys: np.ndarray, sentence: str) -> int | None:
    """Where `sentence`'s key is in the sorted `keys`, or None."""
    key = np.uint64(sentence_key(sentence))
    at = int(np.searchsorted(keys, key))
    return at if at < len(keys) and keys[at] == key else None


@dataclass(frozen=True, eq=False)
class Tables:
    """What the matcher derives from every sentence of every template.  Making it expands
    and normalises them all (seconds here, far longer on a Pi), so it is kept in the cache
    beside the learned model and made again only when the data or this code changes."""

    names: tuple[str, ...]
    exact_keys: np.ndarray
    """Every normalised template sentence's key, sorted (uint64) ..."""
    exact_owners: np.ndarray
    """... and the index in `names` of the intent that claims it first."""
    not_command_keys: np.ndarray
    literal: tuple[tuple[str, str], ...]
    """(sentence as said, intent) of the literal templates."""
    negations_used: dict[str, frozenset[tuple[str, str]]]
    """How each intent's own sentences negate (a negation word and the word after it):
    any other negation in a transcript turns it round, so "do not skip this one" is not
    skip although "i do not want this one" is."""
    refusals: frozenset[str]
    """Intents that are themselves refusals (can't lie down, can't stand, can't get up,
    no): most of their sentences negate, and one more negation is how people say them
    ("i can't come up to standing", "no she doesn't"), not the command turned round."""

    def exact(self, sentence: str) -> str | None:
        """The intent a template sentence belongs to, or None."""
        at = _has(self.exact_keys, sentence)
        return None if at is None else self.names[int(self.exact_owners[at])]

    def not_command(self, sentence: str) -> bool:
        return _has(self.not_command_keys, sentence) is not None

    def small(self) -> dict[str, Any]:
        """Everything but the key arrays, as JSON-ready data."""
        return {
            "names": list(self.names),
            "literal": [list(item) for item in self.literal],
            "negations_used": {k: sorted(map(list, v)) for k, v in self.negations_used.items()},
            "refusals": sorted(self.refusals),
        }

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Tables)
            and self.small() == other.small()
            and all(
                np.array_equal(getattr(self, a), getattr(other, a))
                for a in ("exact_keys", "exact_owners", "not_command_keys")
            )
        )


def build_tables(intents: IntentSet) -> Tables:
    names = tuple(intents.intents)
    owner: dict[int, int] = {}
    for n, name in enumerate(names):
        for sentence in intents.expansions(name):
            owner.setdefault(sentence_key(sentence), n)
    keys = sorted(owner)
    return Tables(
        names=names,
        exact_keys=np.array(keys, dtype=np.uint64),
        exact_owners=np.array([owner[k] for k in keys], dtype=np.uint16),
        not_command_keys=_keys(intents.sentences(NONE, PER_NEGATIVE_TEMPLATE)),
        literal=tuple(
            (sentence, name) for name in names for sentence in intents.literal_expansions(name)
        ),
        negations_used={
            name: frozenset(p for s in intents.expansions(name) for p in _negation_pairs(s))
            for name in names
        },
        refusals=frozenset(
            name
            for name in names
            if _share(intents.expansions(name), _negation_pairs) >= REFUSAL_SHARE
        ),
    )


def _tables_key(intents: IntentSet) -> str:
    """The data, the settings and the code that turn templates into sentences."""
    code = b"".join(
        Path(module.__file__ or "").read_bytes() for module in (sys.modules[__name__], tpl)
    )
    settings = repr(
        (PER_NEGATIVE_TEMPLATE, REFUSAL_SHARE, sorted(NEGATIONS), sorted(POLITE_NEGATIONS))
    )
    key = intents.digest + settings + hashlib.sha256(code).hexdigest()
    return hashlib.sha256(key.encode()).hexdigest()


def _save_tables(path: Path, tables: Tables) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        exact_keys=tables.exact_keys,
        exact_owners=tables.exact_owners,
        not_command_keys=tables.not_command_keys,
        small=np.array(json.dumps(tables.small())),
    )
    os.replace(tmp, path)


def _load_tables(path: Path) -> Tables:
    with np.load(path, allow_pickle=False) as saved:
        small = json.loads(str(saved["small"]))
        return Tables(
            names=tuple(small["names"]),
            exact_keys=saved["exact_keys"],
            exact_owners=saved["exact_owners"],
            not_command_keys=saved["not_command_keys"],
            literal=tuple((s, n) for s, n in small["literal"]),
            negations_used={
                k: frozenset((a, b) for a, b in v) for k, v in small["negations_used"].items()
            },
            refusals=frozenset(small["refusals"]),
        )


def tables_for(intents: IntentSet, directory: Path | None = None) -> Tables:
    """The matcher's tables for `intents`: from this process, the cache, or made now (and
    cached if the cache can be written)."""
    key = _tables_key(intents)
    if key in _TABLES:
        return _TABLES[key]
    path = (directory or cache_dir()) / f"intent-tables-{key[:24]}.npz"
    try:
        tables = _load_tables(path)
        if tables.names != tuple(intents.intents):
            raise ValueError("other intents")
        mark_used(path)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        tables = build_tables(intents)
        try:
            _save_tables(path, tables)
            prune(path.parent, "intent-tables-*.npz", path)
        except OSError as err:  # a read-only or full disk: made again next start
            log.info("The matcher's tables were not cached (%s)", err)
    _TABLES[key] = tables
    return tables


_TABLES: dict[str, Tables] = {}
_MODELS: dict[str, Model] = {}


def model_for(intents: IntentSet) -> Model:
    """The model learned from `intents`: from this process, the cache, or trained now."""
    classes = (*intents.intents, NONE)
    settings = (PER_TEMPLATE, PER_NEGATIVE_TEMPLATE, RAW_VALUES, SLOT_SEED, NORMALISATION)
    key = intents.digest + repr(settings) + augment.key(augment.SHARE)
    if key not in _MODELS:
        digest = hashlib.sha256(key.encode()).hexdigest()
        _MODELS[key] = load_or_train(digest, lambda: training_samples(intents), classes)
    return _MODELS[key]
