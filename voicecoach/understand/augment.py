"""Training sentences wrapped in the talk people put around what they mean (measured, off).

People rarely say a command bare: "i think i'd like to stop", "skip this one if you don't
mind, love", "to be honest can we do the next one".  The templates say what a command is;
this module adds, for a share of the training sentences, a copy with a lead-in, a tag at the
end, both, or one small word left out, so the model learns that the talk around a sentence
does not change what it means.  Commands and not-commands get the same treatment from the
same lists, so a wrapper carries no sign of either class.

Not shipped (SHARE = 0): measured on left-out templates and the development sets it made the
model surer of everything, right answers, wrong ones and false accepts alike, instead of
better (docs/benchmarks.md, "Fifth pass (issue 9)").  `python -m voicecoach.bench
intent_policy --wrap 0.5` measures it again.

Fillers ("um", "okay so", "right", "please", "coach"...) are not listed: normalisation drops
them from transcripts and training sentences alike, so they never reach the model.  A word
said twice ("the the") counts once for the same reason.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Sequence

#: Said before a sentence: hedges, politeness, a name, asking leave.
LEAD_INS = (
    "i think",
    "i reckon",
    "to be honest",
    "can you",
    "could you",
    "could we maybe",
    "can we",
    "do you know what",
    "you know",
    "i mean",
    "i suppose",
    "honestly",
    "maybe",
    "love",
    "dear",
    "look",
    "listen",
    "i'd say",
)
#: Said after it.
TAGS = (
    "if you don't mind",
    "love",
    "dear",
    "pet",
    "mate",
    "for me",
    "i think",
    "to be honest",
    "if you can",
    "if that's okay",
    "thank you",
    "i reckon",
    "you know",
    "i suppose",
    "if possible",
)
#: Small words a speaker (or the recognizer) may leave out; never a negation.
DROPPABLE = frozenset(
    {"the", "a", "to", "it", "is", "am", "are", "of", "for", "on", "me", "my", "i", "you", "we"}
)
#: Share of training sentences that also appear wrapped (one copy each).
#: Share of training sentences that also appear wrapped (one copy each); 0: none (shipped).
SHARE = 0.0
SEED = 13
#: What a wrapped copy gets: a lead-in, a tag, both, or a small word left out.
KINDS = ("lead", "lead", "tag", "tag", "both", "drop")


def key(share: float) -> str:
    """The settings and lists that make the training set: part of the model's cache key."""
    if not share:
        return ""
    lists = repr((LEAD_INS, TAGS, sorted(DROPPABLE), KINDS))
    return f"wrap-{share}-{SEED}-{zlib.crc32(lists.encode())}"


def wrapped(
    samples: Sequence[tuple[str, str]],
    normalise: Callable[[str], str],
    share: float = SHARE,
    seed: int = SEED,
) -> list[tuple[str, str]]:
    """Wrapped copies of a `share` of `samples` (sentence, label), deterministic.  A copy
    that reads the same as any training sentence (of any class) is left out: leaving out
    "i" from one not-command must not make another class's sentence a `none`."""
    if not share:
        return []
    rng = random.Random(seed)
    known = {s for s, _ in samples}
    out: dict[tuple[str, str], None] = {}
    for sentence, label in samples:
        if rng.random() >= share:
            continue
        copy = normalise(_wrap(sentence, rng))
        if copy and copy not in known:
            out[(copy, label)] = None
    return list(out)


def _wrap(sentence: str, rng: random.Random) -> str:
    kind = rng.choice(KINDS)
    if kind == "drop":
        words = sentence.split()
        small = [i for i, w in enumerate(words) if w in DROPPABLE]
        if len(words) < 3 or not small:
            kind = "lead"
        else:
            del words[rng.choice(small)]
            return " ".join(words)
    if kind in ("lead", "both"):
        sentence = f"{rng.choice(LEAD_INS)} {sentence}"
    if kind in ("tag", "both"):
        sentence = f"{sentence} {rng.choice(TAGS)}"
    return sentence
