"""`python -m voicecoach.bench intent_policy`: choose the recogniser's acceptance policy
(thresholds and top-two margins, ordinary and consequential) on data that is not held out.

Two sources, neither from tests/data:
1. wordings no template of the model has: the templates are split into folds, a model is
   trained without one fold, and the left-out templates' sentences (slots filled with
   catalogue names) are recognised; the not-command templates are split the same way, and
   the tuning corpus's written not-commands (bench/_tuning.py) are added;
2. the development set (tests/data_dev), with the full model.
For each policy on a grid it prints right / wrong / consequential wrong / false accepts on
both, best first by a cost that weighs a wrong act (worse, a wrong stop/skip/choose) and a
false accept above a miss.
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace

from voicecoach.bench._wrap import add_wrap_option, apply_wrap
from voicecoach.understand import templates as tpl
from voicecoach.understand.flags import NONE
from voicecoach.understand.intents import (
    Candidate,
    IntentSet,
    Matcher,
    Policy,
    training_samples,
)
from voicecoach.understand.model import train

FOLDS = 4
PER_TEMPLATE = 6
CONSEQUENTIAL = ("stop", "skip", "choose_exercise", "choose_routine")
#: Cost of each outcome, against 1 for a miss.
WRONG = 4.0
CONSEQUENTIAL_WRONG = 12.0
FALSE_ACCEPT = 4.0
#: A safety word missed (pain, dizzy, emergency...) costs this many misses.
SAFETY_MISSED = 3.0


@dataclass(frozen=True)
class Case:
    intent: str
    slots: dict[str, str]
    candidate: Candidate


def fold_set(intents: IntentSet, fold: int) -> IntentSet:
    """`intents` without the templates of `fold` (an intent with one template keeps it)."""
    kept = {
        name: replace(i, trees=tuple(t for n, t in enumerate(i.trees) if n % FOLDS != fold))
        if len(i.trees) > 1
        else i
        for name, i in intents.intents.items()
    }
    negatives = tuple(t for n, t in enumerate(intents.negatives) if n % FOLDS != fold)
    return replace(intents, intents=kept, negatives=negatives, digest=f"{intents.digest}-{fold}")


def left_out(intents: IntentSet, fold: int) -> Iterable[tuple[str, str, dict[str, str]]]:
    """(sentence, intent, slots) from the templates of `fold`, slots filled at random."""
    rng = random.Random(fold)
    values = {s: sorted(v.items()) for s, v in intents.slot_values.items()}
    groups = [(n, i.trees) for n, i in intents.intents.items() if len(i.trees) > 1]
    for name, trees in [*groups, (NONE, intents.negatives)]:
        for n, tree in enumerate(trees):
            if n % FOLDS != fold:
                continue
            for sentence in tpl.sample(tree, intents.rules, PER_TEMPLATE, seed=f"{name}{n}"):
                slots: dict[str, str] = {}
                for slot in ("exercise", "routine"):
                    while "{" + slot + "}" in sentence:
                        spoken, ident = rng.choice(values[slot])
                        sentence = sentence.replace("{" + slot + "}", spoken, 1)
                        slots[slot] = ident
                yield sentence, name, slots


def unseen_cases(intents: IntentSet, written_none: Iterable[str]) -> list[Case]:
    cases: list[Case] = []
    for fold in range(FOLDS):
        subset = fold_set(intents, fold)
        model = train(training_samples(subset), (*subset.intents, NONE))
        matcher = Matcher(subset, model)
        for sentence, intent, slots in left_out(intents, fold):
            cases.append(Case(intent, slots, matcher.consider(sentence)))
        if fold == 0:
            cases += [Case(NONE, {}, matcher.consider(s)) for s in written_none]
    return cases


@dataclass
class Tally:
    commands: int = 0
    right: int = 0
    wrong: int = 0
    consequential_wrong: int = 0
    safety_missed: int = 0
    others: int = 0
    false_accepts: int = 0

    def cost(self) -> float:
        return (
            (self.commands - self.right - self.wrong)
            + WRONG * self.wrong
            + CONSEQUENTIAL_WRONG * self.consequential_wrong
            + (SAFETY_MISSED - 1) * self.safety_missed
        ) / max(1, self.commands) + FALSE_ACCEPT * self.false_accepts / max(1, self.others)

    def row(self) -> str:
        c, o = max(1, self.commands), max(1, self.others)
        return (
            f"{self.right / c:6.1%} {self.wrong / c:6.1%} {self.consequential_wrong / c:6.1%} "
            f"{self.false_accepts / o:6.1%}"
        )


def tally(matcher: Matcher, cases: list[Case], policy: Policy) -> Tally:
    t = Tally()
    for case in cases:
        m = matcher.decide(case.candidate, policy)
        if case.intent == NONE:
            t.others += 1
            t.false_accepts += m.intent != NONE
            continue
        t.commands += 1
        if m.intent == case.intent and m.slots == case.slots:
            t.right += 1
        elif m.intent != NONE:
            t.wrong += 1
            t.consequential_wrong += m.intent in CONSEQUENTIAL
        else:
            t.safety_missed += matcher.intents.safety(case.intent)
    return t


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench intent_policy")
    parser.add_argument("--top", type=int, default=15, help="policies to print")
    add_wrap_option(parser)
    args = parser.parse_args(argv)
    apply_wrap(args)

    from voicecoach.bench._tuning import NON_COMMANDS
    from voicecoach.bench.intents import leave_out_unknown, load_devs
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.intents import load_intents

    intents = load_intents(None, load_catalogue())
    unseen = unseen_cases(intents, NON_COMMANDS)
    full = Matcher(intents)
    devs = load_devs()
    leave_out_unknown(devs, set(intents.intents))
    dev_cases = [Case(i, s, full.consider(t)) for d in devs for t, i, s in d.commands]
    dev_cases += [
        Case(NONE, {}, full.consider(t)) for d in devs for t in d.non_commands + d.negations
    ]
    grid = itertools.product(
        (0.55, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9),
        (0.75, 0.8, 0.85, 0.9, 0.95),
        (0.45, 0.55, 0.65, 0.75, 0.85),
    )
    rows = []
    for accept, accept_c, accept_s in grid:
        if accept_c < accept:
            continue
        policy = Policy(accept, accept_c, accept_s)
        u, d = tally(full, unseen, policy), tally(full, dev_cases, policy)
        rows.append((u.cost() + d.cost(), policy, u, d))
    rows.sort(key=lambda r: r[0])
    print(f"unseen templates: {len(unseen)} sentences; dev: {len(dev_cases)}")
    print(
        "ordinary consequential safety | unseen right wrong c_wrong fa | dev right wrong c_wrong fa"
    )
    current = Policy()
    for cost, p, u, d in [r for r in rows if r[1] == current] + rows[: args.top]:
        print(
            f"{p.accept:8.2f} {p.accept_consequential:13.2f} {p.accept_safety:6.2f} | "
            f"{u.row()} | {d.row()} | {cost:.3f}"
        )
    return 0
