"""The first matcher, kept for comparison (`python -m voicecoach.bench intents`): nearest
sentence by edit-distance similarity (rapidfuzz) over the templates' sampled sentences.

It accepts a transcript when it is close enough to one sentence, so every new wording needs
a new sentence; the learned recogniser (intents.Matcher) replaced it.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from voicecoach.understand.flags import NONE, load_flags
from voicecoach.understand.intents import IntentSet, Match, fuzzy_slot

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


def _negated(text: str) -> bool:
    return not NEGATIONS.isdisjoint(text.split())


class PhraseMatcher:
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
                fuzzy = fuzzy_slot(padded.strip(), values)
                if fuzzy is not None:
                    window, ident = fuzzy
                    padded = f" {padded.strip()} ".replace(f" {window} ", f" {{{slot}}} ", 1)
                    slots[slot] = ident
        return padded.strip(), slots
