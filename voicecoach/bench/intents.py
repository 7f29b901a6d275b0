"""`python -m voicecoach.bench intents`: the old phrase matcher and the learned recogniser,
side by side, on both rounds of held-out data.

Held-out phrasings (tests/data/heldout*.toml) were written blind and are never copied into
intents/ nor trained on: accuracy on them is what people will get.  Non-command sentences
(tests/data/non_commands*.toml) measure false accepts; round 2's `negations` ("please don't
pause") are counted apart.  Round 2's `[symptoms]` keys score as their intent, and a
`tired` item answered `dizzy` or `overheated` counts as right (the same thing, handled more
specifically).

Commands are asked context-free for the recogniser; the old matcher needed to be told an
answer was expected, so it is (that is how it ran in a conversation).  Timing runs pinned
to one core; memory is the growth in resident set size while each one is built.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from voicecoach.bench._wrap import add_wrap_option, apply_wrap

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
#: Development data (tests/data_dev/): ours to tune thresholds on and read the misses of,
#: never trained on.  Round 3's development set was written blind with held-out round 3.
DEV_DIR = Path(__file__).resolve().parents[2] / "tests" / "data_dev"
DEV = DEV_DIR / "dev.toml"
DEV_ROUND3 = DEV_DIR / "dev_round3.toml"
DEV_ROUND4 = DEV_DIR / "dev_round4.toml"
DEV_ROUND5 = DEV_DIR / "dev_round5.toml"
DEV_ROUND6 = DEV_DIR / "dev_round6.toml"
DEV_ROUND7 = DEV_DIR / "dev_round7.toml"
DEV_ROUND8 = DEV_DIR / "dev_round8.toml"
DEV_ROUND9 = DEV_DIR / "dev_round9.toml"
DEV_ROUND10 = DEV_DIR / "dev_round10.toml"
DEV_ROUND11 = DEV_DIR / "dev_round11.toml"
CONSEQUENTIAL = ("stop", "skip", "choose_exercise", "choose_routine")
#: A more specific answer that counts as right: (expected, answered).
ALSO_RIGHT = {("tired", "dizzy"), ("tired", "overheated")}


@dataclass
class Round:
    name: str
    commands: list[tuple[str, str, dict[str, str]]]
    non_commands: list[str]
    negations: list[str] = field(default_factory=list)


def load_rounds(data: Path) -> list[Round]:
    rounds = []
    for name, commands_file, others_file in (
        ("round 1", "heldout.toml", "non_commands.toml"),
        ("round 2", "heldout_round2.toml", "non_commands_round2.toml"),
        ("round 3", "heldout_round3.toml", "non_commands_round3.toml"),
        ("round 4", "heldout_round4.toml", "non_commands_round4.toml"),
        ("round 5", "heldout_round5.toml", "non_commands_round5.toml"),
        ("round 6", "heldout_round6.toml", "non_commands_round6.toml"),
    ):
        if not (data / commands_file).exists():
            continue
        held = tomllib.loads((data / commands_file).read_text())
        others = tomllib.loads((data / others_file).read_text())
        cases: list[tuple[str, str, dict[str, str]]] = [
            (t, intent, {})
            for section in ("heldout", "symptoms")
            for intent, texts in held.get(section, {}).items()
            for t in texts
        ]
        for item in held.get("slotted", []):
            slots = {k: item[k] for k in ("exercise", "routine") if k in item}
            cases.append((item["text"], item["intent"], slots))
        rounds.append(
            Round(name, cases, others["core"] + others["sentences"], others.get("negations", []))
        )
    return rounds


def load_devs() -> list[Round]:
    """Every development round there is."""
    rounds = (
        (DEV, "dev"),
        (DEV_ROUND3, "dev round 3"),
        (DEV_ROUND4, "dev round 4"),
        (DEV_ROUND5, "dev round 5"),
        (DEV_ROUND6, "dev round 6"),
        (DEV_ROUND7, "dev round 7"),
        (DEV_ROUND8, "dev round 8"),
        (DEV_ROUND9, "dev round 9"),
        (DEV_ROUND10, "dev round 10"),
        (DEV_ROUND11, "dev round 11"),
    )
    return [load_dev(p, n) for p, n in rounds if p.exists()]


def load_dev(path: Path = DEV, name: str = "dev") -> Round:
    """A development round: same shape as the held-out rounds, in one file (a round may
    hold only choices of exercises and routines: no `[commands]`)."""
    dev = tomllib.loads(path.read_text())
    cases: list[tuple[str, str, dict[str, str]]] = [
        (t, intent, {}) for intent, texts in dev.get("commands", {}).items() for t in texts
    ]
    for item in dev.get("slotted", []):
        slots = {k: item[k] for k in ("exercise", "routine") if k in item}
        cases.append((item["text"], item["intent"], slots))
    others = dev["others"]
    talk = others["core"] + others.get("sentences", [])
    return Round(name, cases, talk, others.get("negations", []))


def leave_out_unknown(rounds: list[Round], known: set[str]) -> None:
    """Commands of intents this recogniser does not have yet (the data may be ahead of the
    code) are set apart and reported, not scored as misses."""
    for r in rounds:
        unknown = Counter(i for _, i, _ in r.commands if i not in known)
        if unknown:
            r.commands = [c for c in r.commands if c[1] in known]
            print(
                f"{r.name}: {sum(unknown.values())} commands of intents not in intents/ "
                f"left out ({', '.join(sorted(unknown))})"
            )


@dataclass
class Score:
    right: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    consequential_wrong: int = 0
    total: int = 0
    false_accepts: list[str] = field(default_factory=list)
    negation_accepts: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    accepted: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind: non-command or negation, intent given, sentence) for every false accept."""
    asked_right: int = 0
    asked_wrong: int = 0
    """Missed commands the coach would ask about ("did you mean ...?"): the right command
    (a yes does it) or another (a no lets it go)."""
    talk_asked: int = 0
    """Not-commands and negations asked about instead of given a "sorry"."""


#: Text, is it a command -> intent, slots, and for `none` the guess and its slots.
Answer = Callable[[str, bool], tuple[str, dict[str, str], str, dict[str, str]]]


def score(answer: Answer, rnd: Round) -> Score:
    s = Score()
    for text, intent, slots in rnd.commands:
        started = time.perf_counter()
        got, got_slots, guess, guess_slots = answer(text, True)
        s.times.append(time.perf_counter() - started)
        s.total += 1
        if (got == intent or (intent, got) in ALSO_RIGHT) and got_slots == slots:
            s.right[intent] += 1
            continue
        (s.missed if got == "none" else s.wrong)[intent] += 1
        if guess:
            right = (guess == intent or (intent, guess) in ALSO_RIGHT) and guess_slots == slots
            s.asked_right += right
            s.asked_wrong += not right
        if got in CONSEQUENTIAL:
            s.consequential_wrong += 1
        s.misses.append((intent, got, text))
    for text in rnd.non_commands:
        started = time.perf_counter()
        got, _, guess, _ = answer(text, False)
        s.times.append(time.perf_counter() - started)
        s.talk_asked += bool(guess)
        if got != "none":
            s.false_accepts.append(text)
            s.accepted.append(("non-command", got, text))
    for text in rnd.negations:
        got, _, guess, _ = answer(text, False)
        s.talk_asked += bool(guess)
        if got != "none":
            s.negation_accepts.append(text)
            s.accepted.append(("negation", got, text))
    return s


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def pct(n: int, d: int) -> str:
    return f"{n / d:.1%}" if d else "-"


def ms(times: list[float], q: float) -> str:
    ordered = sorted(times)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.2f}"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench intents")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the held-out files")
    parser.add_argument("--per-intent", action="store_true", help="a table per intent")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="list every miss (for reading results, never for tuning the data)",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="score the development set (tests/data_dev) instead of the "
        "held-out rounds; --misses then lists its misses, which is allowed",
    )
    parser.add_argument(
        "--false-accepts",
        action="store_true",
        help="with --dev only: list the development not-commands and negations accepted, "
        "with the intent each became (never for the held-out rounds)",
    )
    parser.add_argument("--new-only", action="store_true", help="skip the old matcher")
    add_wrap_option(parser)
    args = parser.parse_args(argv)
    if args.false_accepts and not args.dev:
        parser.error("--false-accepts lists development data only: add --dev")
    return args


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    apply_wrap(args)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.fuzzy import PhraseMatcher
    from voicecoach.understand.intents import Matcher, load_intents

    rounds = load_devs() if args.dev else load_rounds(args.data)
    intents = load_intents(None, load_catalogue())
    leave_out_unknown(rounds, set(intents.intents))
    gc.collect()
    before = rss_kb()
    old = PhraseMatcher(intents)
    old_kb = rss_kb() - before
    started = time.perf_counter()
    new = Matcher(intents)
    build_s = time.perf_counter() - started
    new_kb = rss_kb() - before - old_kb

    def ask_old(text: str, command: bool) -> tuple[str, dict[str, str], str, dict[str, str]]:
        m = old.match(text, expecting_answer=command)
        return m.intent, m.slots, m.guess, m.guess_slots

    def ask_new(text: str, _command: bool) -> tuple[str, dict[str, str], str, dict[str, str]]:
        m = new.match(text)
        return m.intent, m.slots, m.guess, m.guess_slots

    askers = [("new", ask_new)] if args.new_only else [("old", ask_old), ("new", ask_new)]
    whos = [who for who, _ in askers]
    results = {(r.name, who): score(ask, r) for r in rounds for who, ask in askers}
    print("| measure | " + " | ".join(f"{who} {r.name}" for r in rounds for who in whos) + " |")
    print("|---|" + "---:|" * (len(whos) * len(rounds)))
    rows: list[tuple[str, Callable[[Score], str]]] = [
        ("held-out commands", lambda s: str(s.total)),
        ("right intent and slots", lambda s: pct(sum(s.right.values()), s.total)),
        ("wrong intent (acted on wrongly)", lambda s: pct(sum(s.wrong.values()), s.total)),
        ("stop / skip / choose_* wrongly", lambda s: pct(s.consequential_wrong, s.total)),
        ("missed (none)", lambda s: pct(sum(s.missed.values()), s.total)),
        ("missed, asked about: the right command", lambda s: pct(s.asked_right, s.total)),
        ("missed, asked about: another command", lambda s: pct(s.asked_wrong, s.total)),
        (
            "not-commands and negations asked about (else a sorry)",
            lambda s: pct(s.talk_asked, len(r.non_commands) + len(r.negations)),
        ),
        (
            "false accepts on non-commands",
            lambda s: f"{pct(len(s.false_accepts), len(r.non_commands))} of {len(r.non_commands)}",
        ),
        (
            "false accepts on negations",
            lambda s: (
                f"{pct(len(s.negation_accepts), len(r.negations))} of {len(r.negations)}"
                if r.negations
                else "-"
            ),
        ),
        ("ms per sentence p50 (one core)", lambda s: ms(s.times, 0.5)),
        ("ms per sentence p95 (one core)", lambda s: ms(s.times, 0.95)),
    ]
    for label, cell in rows:
        cells = []
        for r in rounds:
            for who in whos:
                cells.append(cell(results[(r.name, who)]))
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    print(
        f"Memory added (RSS): old matcher {old_kb / 1024:.1f} MB, new recogniser "
        f"{new_kb / 1024:.1f} MB (model weights {new.model.nbytes / 1e6:.1f} MB); "
        f"building the recogniser took {build_s:.2f} s (trained or from the cache)."
    )
    print_lists(args, rounds, results, whos[0])
    return 0


def print_lists(
    args: argparse.Namespace,
    rounds: list[Round],
    results: dict[tuple[str, str], Score],
    baseline: str,
) -> None:
    """The tables and lists asked for beside the main table."""
    if args.per_intent:
        print_per_intent(rounds, results, baseline)
    if args.misses:
        print_misses(rounds, results)
    if args.false_accepts:
        print_false_accepts(rounds, results)


def print_false_accepts(rounds: list[Round], results: dict[tuple[str, str], Score]) -> None:
    """The development not-commands and negations accepted, and as what."""
    for r in rounds:
        for kind, got, text in results[(r.name, "new")].accepted:
            print(f"{r.name} {kind:11} -> {got:16} {text}")


def print_per_intent(
    rounds: list[Round], results: dict[tuple[str, str], Score], baseline: str
) -> None:
    for r in rounds:
        print(f"\n{r.name}\n\n| intent | n | {baseline} right | new right | new wrong | new none |")
        print("|---|---:|---:|---:|---:|---:|")
        o, n = results[(r.name, baseline)], results[(r.name, "new")]
        for intent in sorted({c[1] for c in r.commands}):
            size = n.right[intent] + n.wrong[intent] + n.missed[intent]
            print(
                f"| {intent} | {size} | {pct(o.right[intent], size)} | "
                f"{pct(n.right[intent], size)} | {pct(n.wrong[intent], size)} | "
                f"{pct(n.missed[intent], size)} |"
            )


def print_misses(rounds: list[Round], results: dict[tuple[str, str], Score]) -> None:
    for r in rounds:
        n = results[(r.name, "new")]
        for expected, got, text in n.misses:
            print(f"{r.name} {expected:16} -> {got:16} {text}")
        for text in n.false_accepts + n.negation_accepts:
            print(f"{r.name} {'none':16} -> accepted         {text}")
