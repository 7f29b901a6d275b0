"""What the recognizers may hear, generated from the intent phrases (one source for all).

From the phrases of `intents/` (slots expanded) this builds:
- the sentences a language model is trained on: every phrase, its contracted twins
  ("i am tired" -> "i'm tired", since that is how people say it), and short filler
  wrappers ("okay next", "next please");
- a small trigram ARPA language model for PocketSphinx (`pocketsphinx.lm.ArpaBoLM`);
- a pronunciation dictionary holding only those words, taken from the CMU dictionary
  bundled with PocketSphinx, with pronunciations for missing words ("glute", "flexor")
  made by espeak-ng (IPA mapped to ARPAbet) or taken from EXTRA_PRONUNCIATIONS;
- the JSON grammar for Vosk: every phrase, every word, and "[unk]".

So adding a phrase to intents/en.toml changes the matcher and both recognizers alike.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

#: Hand-checked pronunciations that beat a machine guess (ARPAbet, CMU-style).
EXTRA_PRONUNCIATIONS: dict[str, tuple[str, ...]] = {
    "glute": ("G L UW T",),
    "glutes": ("G L UW T S",),
    "flexor": ("F L EH K S ER",),
    "flexors": ("F L EH K S ER Z",),
    "quadruped": ("K W AA D R UH P EH D", "K W AA D R AH P EH D"),
    "spasticity": ("S P AE S T IH S IH T IY",),
    "erm": ("ER M",),
    "telly": ("T EH L IY",),
}

# espeak-ng's en-us IPA -> ARPAbet.  Longest symbols first when tokenising.
_IPA_TO_ARPA = {
    "tʃ": "CH", "dʒ": "JH", "eɪ": "EY", "aɪ": "AY", "ɔɪ": "OY", "aʊ": "AW", "oʊ": "OW",
    "əʊ": "OW", "iː": "IY", "uː": "UW", "ɑː": "AA", "ɔː": "AO", "ɜː": "ER", "ɪə": "IH R",
    "ɛə": "EH R", "ʊə": "UH R", "ɑɹ": "AA R", "ɔɹ": "AO R", "ɛɹ": "EH R", "ɪɹ": "IH R",
    "i": "IY", "ɪ": "IH", "ᵻ": "IH", "ɛ": "EH", "e": "EH", "æ": "AE", "a": "AE", "ɑ": "AA",
    "ɒ": "AA", "ɔ": "AO", "o": "OW", "ʊ": "UH", "u": "UW", "ʌ": "AH", "ə": "AH", "ɐ": "AH",
    "ɚ": "ER", "ɝ": "ER", "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "ɡ": "G",
    "g": "G", "f": "F", "v": "V", "θ": "TH", "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH",
    "ʒ": "ZH", "h": "HH", "m": "M", "n": "N", "ŋ": "NG", "l": "L", "ɹ": "R", "r": "R",
    "w": "W", "j": "Y", "ɾ": "T", "ʔ": "T", "x": "K",
}  # fmt: skip
_IPA_IGNORED = set("ˈˌː̩ ‿-.")
_WORD = re.compile(r"^[a-z][a-z']*$")
_VARIANT_SUFFIX = re.compile(r"\(\d+\)$")


def ipa_to_arpabet(ipa: str) -> str | None:
    """espeak-ng IPA for one word -> space-separated ARPAbet, or None if a symbol is unknown."""
    phones: list[str] = []
    i = 0
    while i < len(ipa):
        if ipa[i] in _IPA_IGNORED:
            i += 1
            continue
        for size in (2, 1):
            sym = ipa[i : i + size]
            if len(sym) == size and sym in _IPA_TO_ARPA:
                phones.append(_IPA_TO_ARPA[sym])
                i += size
                break
        else:
            return None
    return " ".join(phones) or None


def espeak_pronunciation(word: str) -> str | None:
    """A machine guess at `word`'s ARPAbet pronunciation, via espeak-ng (None if unavailable)."""
    if shutil.which("espeak-ng") is None:
        return None
    try:
        out = subprocess.run(
            ["espeak-ng", "-q", "-v", "en-us", "--ipa", word],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return ipa_to_arpabet(out.strip())


def read_dictionary(
    path: str | Path, only: Iterable[str] | None = None
) -> Mapping[str, tuple[str, ...]]:
    """A CMU-format dictionary: word -> its pronunciations ("word(2)" variants folded in).

    With `only`, just those words are kept: the full dictionary as Python objects would
    cost some 40 MB, more than the recognizer itself.
    """
    wanted = None if only is None else set(only)
    entries: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or line.startswith(";;;"):
                continue
            word = _VARIANT_SUFFIX.sub("", parts[0]).lower()
            if wanted is not None and word not in wanted:
                continue
            entries.setdefault(word, []).append(parts[1].split("#")[0].strip())
    return {w: tuple(p) for w, p in entries.items()}


def pronunciations(
    words: Iterable[str], base: Mapping[str, Sequence[str]]
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Pronunciations for `words`: from `base`, EXTRA_PRONUNCIATIONS, else espeak-ng.

    Returns (word -> pronunciations, words nobody could pronounce).
    """
    found: dict[str, tuple[str, ...]] = {}
    missing: list[str] = []
    for word in sorted(set(words)):
        if word in EXTRA_PRONUNCIATIONS:
            found[word] = EXTRA_PRONUNCIATIONS[word]
        elif word in base:
            found[word] = tuple(base[word])
        elif (guess := espeak_pronunciation(word)) is not None:
            log.debug("pronunciation of %r guessed by espeak-ng: %s", word, guess)
            found[word] = (guess,)
        else:
            missing.append(word)
    return found, missing


def dictionary_text(prons: Mapping[str, Sequence[str]]) -> str:
    """CMU dictionary format, alternates numbered the way PocketSphinx expects."""
    lines = []
    for word in sorted(prons):
        for n, pron in enumerate(prons[word]):
            lines.append(f"{word if n == 0 else f'{word}({n + 1})'} {pron}")
    return "\n".join(lines) + "\n"


class PhraseData(Protocol):
    """The loaded intents as the vocabulary sees them (voicecoach.understand's IntentSet)."""

    @property
    def slot_values(self) -> Mapping[str, Mapping[str, str]]: ...
    @property
    def fillers(self) -> frozenset[str]: ...
    @property
    def contractions(self) -> Mapping[str, str]: ...
    def templates(self) -> list[tuple[str, str]]: ...
    def safety(self, intent: str) -> bool: ...


#: Extra times a short safety sentence ("it hurts", "help me") is in the language model's
#: training text: where the sound is ambiguous (a shout, a mumble) the recognizer leans
#: towards the words that must never be lost.
SAFETY_REPEATS = 3
#: Safety sentences up to this many words are emphasised (the ones people shout).
SAFETY_WORDS = 3


@dataclass(frozen=True)
class PhraseSource:
    """The phrases the coach understands and the normalisation facts needed around them."""

    templates: tuple[str, ...]
    """Normalised phrases, slots as placeholders ("let us do the {exercise}")."""
    slot_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Slot name -> the spoken values that may fill it."""
    fillers: frozenset[str] = frozenset()
    contractions: Mapping[str, str] = field(default_factory=dict)
    """Contraction -> expansion, e.g. "i'm" -> "i am"."""
    emphasis: tuple[str, ...] = ()
    """Short safety sentences, repeated SAFETY_REPEATS more times in the training text."""

    @classmethod
    def from_intents(cls, intents: PhraseData) -> PhraseSource:
        pairs = intents.templates()
        return cls(
            tuple(dict.fromkeys(t for t, _ in pairs)),
            {slot: tuple(sorted(values)) for slot, values in intents.slot_values.items()},
            frozenset(intents.fillers),
            dict(intents.contractions),
            tuple(
                dict.fromkeys(
                    t
                    for t, intent in pairs
                    if intents.safety(intent) and "{" not in t and len(t.split()) <= SAFETY_WORDS
                )
            ),
        )

    @classmethod
    def from_phrases(cls, phrases: Iterable[str]) -> PhraseSource:
        """Plain phrases without slots (tests, small experiments)."""
        return cls(tuple(dict.fromkeys(p.lower() for p in phrases)))

    def phrases(self) -> list[str]:
        """Every phrase with every slot value: what a strict grammar would accept."""
        out: list[str] = []
        for template in self.templates:
            out.extend(_expand(template, self.slot_values))
        return list(dict.fromkeys(out))

    def sentences(self, per_template: int = 3) -> list[str]:
        """LM training sentences, balanced so no intent swamps the model.

        Every template once; a slotted template with `per_template` different values
        (`carrier_fills`: expanding it with all hundred-odd exercise names would make "let
        us do the" the likeliest thing anyone says), and each value no template took on its
        own, so every value occurs. Then contracted twins ("i'm tired") and a few
        filler-wrapped single words.
        """
        fills = carrier_fills(self.templates, self.slot_values, per_template)
        base: list[str] = []
        for template in self.templates:
            if not _PLACEHOLDER.search(template):
                base.append(template)
            else:
                base.extend(_render(template, fill) for fill in fills.get(template, ()))
        taken = {
            (slot, v) for fill_list in fills.values() for f in fill_list for slot, v in f.items()
        }
        for slot, values in self.slot_values.items():
            base.extend(v for v in values if (slot, v) not in taken)
        base.extend(self.emphasis * SAFETY_REPEATS)
        return self._with_variants(base)

    def _with_variants(self, base: list[str]) -> list[str]:
        """The phrases, each followed by its contracted twin, then filler-wrapped singles."""
        out: list[str] = []
        contract = _contractor(self.contractions)
        for phrase in base:
            out.append(phrase)
            short = contract(phrase)
            if short != phrase:
                out.append(short)
        wrappers = [f for f in ("okay", "please") if f in self.fillers]
        singles = [p for p in base if " " not in p][:80]
        for filler in wrappers:
            for phrase in singles:
                out.append(f"{phrase} {filler}" if filler == "please" else f"{filler} {phrase}")
        return out

    def words(self, sentences: Iterable[str] | None = None) -> list[str]:
        """Every word of `sentences` (by default this source's LM sentences, which callers
        that have them already pass in: making them hashes every slot value against every
        slotted template), of the slot values and the fillers."""
        sentences = self.sentences() if sentences is None else sentences
        words = {w for s in sentences for w in s.split()}
        words |= {w for values in self.slot_values.values() for v in values for w in v.split()}
        return sorted(words | set(self.fillers))


_PLACEHOLDER = re.compile(r"\{(\w+)\}")

Fill = dict[str, str]
"""Slot name -> the value put in it."""


def carrier_fills(
    templates: Iterable[str], slot_values: Mapping[str, Sequence[str]], per_template: int
) -> dict[str, list[Fill]]:
    """Slotted template -> the slot fillings it is trained with, stable as templates change.

    Rendezvous (highest-random-weight) hashing on a fixed hash of (template, slot, value):
    a template takes the `per_template` values weighing most with it. A pair's weight does
    not depend on the other templates or values, so adding or removing a template changes
    only its own sentences. Handing values out in turn did not: one new template moved
    every later exercise name to another carrier sentence and flipped what PocketSphinx
    heard. Also putting each value into the template it weighs most with (no name left
    on its own) cost PocketSphinx in-grammar phrases (docs/benchmarks.md, "carrier").
    """
    fills: dict[str, list[Fill]] = {}
    for template in templates:
        slots = dict.fromkeys(_PLACEHOLDER.findall(template))
        if not slots or not all(slot_values.get(slot) for slot in slots):
            continue
        ranked = {
            slot: sorted(slot_values[slot], key=partial(_weight, template, slot), reverse=True)
            for slot in slots
        }
        count = min(per_template, max(len(values) for values in ranked.values()))
        fills[template] = [
            {slot: values[i % len(values)] for slot, values in ranked.items()} for i in range(count)
        ]
    return fills


def _weight(template: str, slot: str, value: str) -> int:
    """A pseudo-random weight of a (template, slot, value) pair, the same on every run and
    machine (Python's hash() of a string changes from process to process)."""
    key = "\x1f".join((template, slot, value)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def _render(template: str, fill: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: fill[m.group(1)], template)


def _expand(template: str, values: Mapping[str, Sequence[str]]) -> list[str]:
    slots = _PLACEHOLDER.findall(template)
    if not slots:
        return [template]
    slot = slots[0]
    filled = (template.replace("{" + slot + "}", v, 1) for v in values.get(slot, ()))
    return [p for f in filled for p in _expand(f, values)]


def _contractor(contractions: Mapping[str, str]):
    """A function that turns expansions in a phrase back into their contraction.

    One-word expansions count too: "cannot" back to "can't", which is what people say;
    without it the recognizer only knows "can", and "i can't lie down" comes out as
    "i can lie down", the opposite.
    """
    pairs = sorted(
        (
            (exp, short)
            for short, exp in contractions.items()
            if exp != short and _WORD.match(short)
        ),
        key=lambda p: -len(p[0]),
    )
    seen: set[str] = set()
    unique = []
    for exp, short in pairs:  # "will not" has one contraction, keep the first listed
        if exp not in seen:
            seen.add(exp)
            unique.append((exp, short))

    def contract(phrase: str) -> str:
        padded = f" {phrase} "
        for exp, short in unique:
            padded = padded.replace(f" {exp} ", f" {short} ")
        return padded.strip()

    return contract


def arpa_lm(sentences: Iterable[str], discount_mass: float = 0.5) -> str:
    """A trigram back-off language model (ARPA text) over `sentences`."""
    from pocketsphinx.lm import ArpaBoLM

    lm = ArpaBoLM(text="\n".join(sentences), add_start=True, discount_mass=discount_mass)
    lm.compute()
    buf = io.StringIO()
    lm.write(buf)
    return buf.getvalue()


def vosk_grammar(source: PhraseSource, known: Iterable[str] | None = None) -> str:
    """Vosk's JSON grammar: whole phrases (best accuracy), single words (so new phrasings
    of known words still come through), and "[unk]" to soak up everything else.

    `known` restricts to words the model's vocabulary has (Vosk warns and drops others).
    """
    allowed = None if known is None else set(known)
    items: list[str] = []
    lm_sentences = source.sentences()
    for sentence in dict.fromkeys([*source.phrases(), *lm_sentences]):
        if allowed is None or all(w in allowed for w in sentence.split()):
            items.append(sentence)
    for word in source.words(lm_sentences):
        if (allowed is None or word in allowed) and word not in items:
            items.append(word)
    items.append("[unk]")
    return json.dumps(items)


def write_pocketsphinx_files(
    source: PhraseSource, directory: Path, base_dict: Path
) -> tuple[Path, Path, list[str]]:
    """Write `commands.lm` and `commands.dict` into `directory`.

    Returns (lm path, dict path, words left out because nobody could pronounce them).
    """
    lm_sentences = source.sentences()
    words = source.words(lm_sentences)
    prons, missing = pronunciations(words, read_dictionary(base_dict, only=words))
    sentences = [s for s in lm_sentences if all(w in prons for w in s.split())]
    lm_path, dict_path = directory / "commands.lm", directory / "commands.dict"
    lm_path.write_text(arpa_lm(sentences))
    dict_path.write_text(dictionary_text(prons))
    if missing:
        log.warning("no pronunciation for %s; phrases with them are left out", ", ".join(missing))
    return lm_path, dict_path, missing
