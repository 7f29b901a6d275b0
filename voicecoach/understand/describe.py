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
from collections.abc import Mapping
from dataclasses import dataclass

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


def _version_words(
    families: Mapping[str, str], names: Mapping[str, str]
) -> dict[str, dict[str, set[str]]]:
    """Main entry (never itself a version) -> each of its versions -> the stems of that
    version's names that no other version of the same entry has in its names ("small" for
    the small bridge)."""
    name_stems: dict[str, set[str]] = defaultdict(set)
    for phrase, ident in names.items():
        name_stems[ident] |= set(content(phrase))
    versions: dict[str, list[str]] = defaultdict(list)
    for version, main in families.items():
        versions[main].append(version)
    return {
        main: {v: name_stems[v] - set().union(*(name_stems[o] for o in vs if o != v)) for v in vs}
        for main, vs in versions.items()
        if main not in families
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
    ) -> None:
        """`families`: entry id -> the entry it is a version of (an easier or adapted
        "supported single leg stand" -> "single leg stand"); a version does not count as
        the runner-up of its own family: the best-scoring member is taken.  `names`: the
        phrases of `values` that name an entry (names, aliases), not describe it."""
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
        self._weights = {
            ident: {s: self._idf[s] * (1 + 0.25 * math.log(c)) for s, c in bag.items()}
            for ident, bag in bags.items()
        }
        self._phrases = {
            i: [{s: self._idf[s] for s in stems} for stems in p] for i, p in phrases.items()
        }
        self._versions = _version_words(self._family, names or {})
        """main entry -> its versions -> the stems only that version's names use."""

    def version(self, sentence: str, ident: str) -> str:
        """The version of a main entry that a sentence saying one of its phrases asks for:
        "the small glute bridge", "glute bridge on the bed", "the ball under my foot one
        sitting down" say the main exercise's name or description but mean the small
        bridge, the bridge in bed and the seated foot roll.  Only when the sentence says a
        phrase of `ident` word for word and `ident` is not itself a version; a version is
        taken for words that only its own *names* use (not any phrase of `ident`, not
        another version's names; descriptions are too loose: "holding" is in several), the
        clearly heaviest such words by the describer's weights; otherwise `ident` stays."""
        versions = self._versions.get(ident)
        padded = f" {sentence} "
        if not versions or not any(f" {p} " in padded for p in self._phrases_of[ident]):
            return ident
        stems = set(content(sentence)) - self._weights.get(ident, {}).keys()
        weight = [(0.0, ident)]
        weight += [(sum(self._idf[s] for s in stems & own), v) for v, own in versions.items()]
        weight.sort(reverse=True)
        (best, chosen), (second, _) = weight[0], weight[1]
        return chosen if best > second else ident

    def _score(self, ident: str, stems: set[str]) -> float:
        """Shared words, less half of what the entry's nearest phrase has and the sentence
        does not: "the calf one" is the calf stretch, not the wall calf stretch."""
        said = sum(w for s, w in self._weights[ident].items() if s in stems)
        unsaid = min(sum(w for s, w in p.items() if s not in stems) for p in self._phrases[ident])
        return said - 0.5 * unsaid if said else 0.0

    def guess(self, sentence: str) -> Guess | None:
        """The entry the sentence describes, or None when nothing (or no one entry) fits."""
        stems = set(content(sentence))
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
        if best < MIN_SCORE or best < MARGIN * second:
            return None
        return Guess(ident, best, second)
