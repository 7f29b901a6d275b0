"""Which exercise or routine a description means: "the one where i twist lying on my back".

A slot value said word for word ("the calf stretch", "hug my knees") is found by the matcher
directly.  People more often describe the movement in words of their own; this finds the
catalogue entry whose names, aliases and `described_as` phrases share the most telling words
with the sentence.  Words are stemmed crudely ("twisting" -> "twist", "knees" -> "knee",
"sitting" -> "sit") and weighted by how few entries use them (inverse document frequency), so
"knee" counts for little and "towel" for a lot.  The best entry is taken only when it clearly
beats the next one: a wrong exercise is an act the person did not ask for.

Pure and data-driven: the phrases come from the catalogue (voicecoach/data/*.toml).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from voicecoach.understand.model import CLAUSE_BREAKS, NEGATORS

#: Words that say nothing about which movement is meant.
STOPWORDS = frozenset(
    """
a an the one ones where when which that this those these it its i me my mine we us our you your
do does doing did done can could would will shall should let us want wanted like fancy have
has had try go going to of on in at for with from by into onto and or but is am are was be
some something thing bit exercise exercises please again next now today instead how about
what get got make makes them they he she his her just so very really little lot
""".split()
)
#: Everyday words that mean the same thing to this task ("bum" is "bottom").
SYNONYMS = {
    "bum": "bottom",
    "buttock": "bottom",
    "backside": "bottom",
    "glute": "bottom",
    "calves": "calf",
    "feet": "foot",
    "lying": "lie",
    "laying": "lie",
    "lay": "lie",
    "seated": "sit",
    "sat": "sit",
    "seat": "sit",
    "stood": "stand",
    "chair": "chair",
    "wheelchair": "chair",
    "armchair": "chair",
    "hugging": "hug",
    "cuddle": "hug",
    "twirl": "turn",
    "rotate": "turn",
    "rotation": "turn",
    "raise": "lift",
    "raising": "lift",
    "lifting": "lift",
    "strong": "strength",
    "stronger": "strength",
    "strengthen": "strength",
    "strengthening": "strength",
    "stiff": "stiffness",
    "tight": "stiffness",
    "tightness": "stiffness",
    "marching": "march",
    "kicking": "kick",
    "balancing": "balance",
    "wobbly": "balance",
}
#: Words that say where, or with what, an exercise is done, by the catalogue's `position` and
#: `equipment`: a version done somewhere else or with something else is told apart by them
#: ("the knee hug on the mattress", "the one leg stand holding the counter").  Stemmed like
#: the sentence; "wheelchair", "sitting", "sat" reach "chair" and "sit" through SYNONYMS.
SETTING_WORDS = {
    "position:bed": "bed mattress pillow sheet covers duvet",
    "position:seated": "chair sit",
    "position:lying": "lie floor mat",
    "position:standing": "stand",
    "position:quadruped": "fours",
    "equipment:towel": "towel",
    "equipment:ball": "ball",
    "equipment:wall": "wall",
    "equipment:foam_roller": "foam roller",
    "equipment:pillow": "pillow",
    # A chair used while standing is held on to.
    "held:chair": "hold holding support counter worktop rail",
}
#: Words between "without" or "no" and what they deny ("without the chair", "no more towel").
_DETERMINERS = frozenset(
    {"the", "a", "an", "any", "my", "me", "your", "our", "his", "her", "their", "more"}
)
#: Words after "not" that say where ("not in bed", "not on the floor").
_PLACES = frozenset({"in", "on", "at", "from", "by", "with", "using", "near", "against"})
#: Telling words a negation covers, within so many words not counting "the", "one" and the
#: like ("not the one in bed": "bed"; "cannot stand today the seated one": not "seated").
DENIED_WORDS = 2
DENIED_SPAN = 2
#: The best entry needs this score (a rare word, or two common ones) ...
MIN_SCORE = 1.0
#: ... and must beat the second best by this factor (chosen by leaving each catalogue phrase
#: out in turn and guessing it from the rest: at 1.75 nine guesses in ten are right).
MARGIN = 1.75


def stem(word: str) -> str:
    """A crude, consistent stem: the same on both sides is all that matters."""
    word = SYNONYMS.get(word, word)
    for suffix, keep in (("ing", 5), ("ies", 4), ("es", 5), ("ed", 5), ("s", 4)):
        if word.endswith(suffix) and len(word) >= keep:
            if suffix == "es" and not word[:-2].endswith(("ch", "sh", "x", "ss")):
                suffix = "s"
            if suffix == "s" and word.endswith("ss"):
                break
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return SYNONYMS.get(word, word)


def content(sentence: str) -> list[str]:
    """The stems of a sentence's telling words."""
    return [stem(w) for w in sentence.split() if w not in STOPWORDS and not w.startswith("{")]


def denied(words: Sequence[str]) -> set[str]:
    """The stems of the first DENIED_WORDS telling words within DENIED_SPAN words after each
    negation, up to a clause break: "not the one in bed" denies "bed", "without holding on"
    denies "hold"; "cannot stand today the seated one" denies "stand" only."""
    out: set[str] = set()
    left = span = 0
    for word in words:
        if word in NEGATORS:
            left, span = DENIED_WORDS, DENIED_SPAN
            continue
        if word in _DETERMINERS or word in ("one", "ones"):
            continue
        span -= 1
        if word in CLAUSE_BREAKS or span < 0:
            left = 0
        elif left and word not in STOPWORDS:
            out.add(stem(word))
            left -= 1
    return out


def setting_stems(settings: Sequence[str]) -> set[str]:
    """The stems of the words that say an entry's settings ("position:bed", ...)."""
    return {stem(w) for key in settings for w in SETTING_WORDS.get(key, "").split()}


def _things(settings: Mapping[str, Sequence[str]], ident: str, where: bool = False) -> set[str]:
    """The stems of what an entry is done with (and, if `where`, where it is done)."""
    keys = [k for k in settings.get(ident, ()) if where or not k.startswith("position:")]
    return setting_stems(keys)


def _version_words(
    families: Mapping[str, str],
    names: Mapping[str, str],
    settings: Mapping[str, Sequence[str]],
) -> dict[str, dict[str, set[str]]]:
    """Main entry (never itself a version) -> each of its versions -> the stems that tell
    that version apart: words of its names that no other version of the same entry has in
    its names ("small" for the small bridge), and words of its settings that neither the
    main entry's settings nor another version's have ("mattress" for the bridge in bed)."""
    name_stems: dict[str, set[str]] = defaultdict(set)
    for phrase, ident in names.items():
        name_stems[ident] |= set(content(phrase))
    places = {ident: setting_stems(s) for ident, s in settings.items()}
    versions: dict[str, list[str]] = defaultdict(list)
    for version, main in families.items():
        versions[main].append(version)

    def own(main: str, v: str) -> set[str]:
        others = [o for o in versions[main] if o != v]
        named = name_stems[v] - set().union(*(name_stems[o] for o in others))
        placed = places.get(v, set()) - places.get(main, set())
        return named | (placed - set().union(*(places.get(o, set()) for o in others)))

    return {
        main: {v: own(main, v) for v in vs} for main, vs in versions.items() if main not in families
    }


@dataclass(frozen=True)
class Guess:
    ident: str
    score: float
    runner_up: float


class Describer:
    """Spoken phrases (phrase -> entry id) in, best entry for a description out."""

    def __init__(
        self,
        values: Mapping[str, str],
        families: Mapping[str, str] | None = None,
        names: Mapping[str, str] | None = None,
        settings: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`families`: entry id -> the entry it is a version of (an easier or adapted
        "supported single leg stand" -> "single leg stand"); a version does not count as
        the runner-up of its own family: the best-scoring member is taken.  `names`: the
        phrases of `values` that name an entry (names, aliases), not describe it.
        `settings`: entry id -> where and with what it is done ("position:bed",
        "equipment:towel", "held:chair"; SETTING_WORDS)."""
        self._family = dict(families or {})
        bags: dict[str, Counter[str]] = defaultdict(Counter)
        phrases: dict[str, list[set[str]]] = defaultdict(list)
        self._phrases_of: dict[str, list[str]] = defaultdict(list)
        for phrase, ident in values.items():
            self._phrases_of[ident].append(phrase)
            bags[ident].update(set(content(phrase)))
            phrases[ident].append(set(content(phrase)))
        self._order = list(dict.fromkeys(values.values()))  # catalogue order breaks ties
        used = Counter(s for bag in bags.values() for s in bag)
        self._idf = {s: math.log(1 + len(bags) / c) for s, c in used.items()}
        # A setting's word that no phrase uses ("mattress") is as telling as the rarest.
        self._rare = math.log(1 + len(bags))
        self._weights = {
            ident: {s: self._idf[s] * (1 + 0.25 * math.log(c)) for s, c in bag.items()}
            for ident, bag in bags.items()
        }
        self._phrases = {
            i: [{s: self._idf[s] for s in stems} for stems in p] for i, p in phrases.items()
        }
        self._versions = _version_words(self._family, names or {}, settings or {})
        self._telling = {s for vs in self._versions.values() for own in vs.values() for s in own}
        self._kept = {
            main: _things(settings or {}, main)
            - set().union(*(_things(settings or {}, v, True) for v in vs))
            for main, vs in self._versions.items()
        }
        """main entry -> the words of what it is done with (not where) that its versions lack."""
        """main entry -> its versions -> the stems only that version's names use."""

    def version(self, sentence: str, ident: str) -> str:
        """The version of a main entry that a sentence asking for it means: "the small glute
        bridge", "the bridge on the mattress", "the ball under my foot one sitting down" say
        the main exercise's name or description but mean the small bridge, the bridge in bed
        and the seated foot roll.  A version is taken for the words that tell it apart (its
        own names' words, its own setting's words; not a phrase of `ident`: descriptions are
        too loose, "holding" is in several), the clearly heaviest such words by the
        describer's weights.  Words a negation covers count against a version ("the one leg
        stand without holding on", "the knee hug, not in bed"); otherwise `ident` stays,
        and a version is never turned into another."""
        versions = self._versions.get(ident)
        if not versions:
            return ident
        unwanted = denied(sentence.split())
        said = set(content(sentence)) - unwanted
        stems = said - self._weights.get(ident, {}).keys()
        # The main entry's own things ("holding the chair" for the standing foot roll) speak
        # for it against a version that shares a word ("chair" for the seated one).
        weight = [(sum(self._idf.get(s, self._rare) for s in said & self._kept[ident]), ident)]
        weight += [
            (sum(self._idf.get(s, self._rare) for s in stems & own), v)
            for v, own in versions.items()
            if not own & unwanted
        ]
        weight.sort(reverse=True)
        (best, chosen), (second, _) = weight[0], weight[1] if len(weight) > 1 else (0.0, "")
        return chosen if best > second else ident

    def choosing_negations(self, words: Sequence[str]) -> set[int]:
        """Positions of the negations in `words` that choose between versions rather than
        refuse: "without holding on", "no towel", "with no support", "not in bed" deny a
        word that tells a version apart.  "not the towel one" and "don't want the bed one"
        refuse, and stay negations."""
        telling = self._telling
        found = set()
        for i, word in enumerate(words):
            rest = words[i + 1 : i + 4]
            if word in ("without", "no"):
                rest = [w for w in rest if w not in _DETERMINERS][:1]
            elif word == "not" and rest and rest[0] in _PLACES:
                rest = [w for w in rest[1:] if w not in _DETERMINERS][:1]
            elif word == "not":
                rest = rest[:1]
            else:
                continue
            if rest and stem(rest[0]) in telling:
                found.add(i)
        return found

    def _score(self, ident: str, stems: set[str]) -> float:
        """Shared words, less half of what the entry's nearest phrase has and the sentence
        does not: "the calf one" is the calf stretch, not the wall calf stretch."""
        said = sum(w for s, w in self._weights[ident].items() if s in stems)
        unsaid = min(sum(w for s, w in p.items() if s not in stems) for p in self._phrases[ident])
        return said - 0.5 * unsaid if said else 0.0

    def guess(self, sentence: str) -> Guess | None:
        """The entry the sentence describes, or None when nothing (or no one entry) fits."""
        best = self.nearest(sentence)
        if best is None or best.score < MARGIN * best.runner_up:
            return None
        return best

    def nearest(self, sentence: str) -> Guess | None:
        """The entry that fits the sentence best, even when another fits nearly as well
        (worth asking about, never acting on), or None when nothing fits."""
        # Words a negation covers do not describe what is wanted ("the knee one, not in bed").
        stems = set(content(sentence)) - denied(sentence.split())
        if not stems:
            return None
        scored = sorted(
            ((self._score(i, stems), -self._order.index(i), i) for i in self._weights),
            reverse=True,
        )
        if not scored:
            return None
        best, _, ident = scored[0]
        family = self._family.get(ident, ident)
        rivals = [score for score, _, i in scored[1:] if self._family.get(i, i) != family]
        second = max(rivals[0], 0.0) if rivals else 0.0
        if best < MIN_SCORE:
            return None
        return Guess(ident, best, second)
