"""`python -m voicecoach.bench unclear [--heldout]`: which talk that meant nothing gets a
"sorry" (voicecoach.coach.unclear).

Text level, on the development sets (where the bar is chosen; `--heldout` adds the held-out
rounds' aggregates, for reporting only): for each bar, how many commands the recogniser
misses (and does not ask about) would get silence instead of a sorry, and how many
not-commands and negations would.  A table; nothing is timed.
"""

from __future__ import annotations

import argparse

from voicecoach.bench.intents import DATA, Round, load_devs, load_rounds

BARS = (0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


def _unasked_nones(matcher, texts: list[str]) -> list[float]:
    """The confidence of each `none` that carries no guess (a sorry today)."""
    out = []
    for text in texts:
        match = matcher.match(text)
        if match.intent == "none" and not match.guess:
            out.append(match.confidence)
    return out


def table(matcher, rounds: list[Round], label: str) -> None:
    commands = [text for r in rounds for text, _, _ in r.commands]
    talk = [text for r in rounds for text in (*r.non_commands, *r.negations)]
    missed = _unasked_nones(matcher, commands)
    nones = _unasked_nones(matcher, talk)
    print(
        f"\n{label}: {len(commands)} commands ({len(missed)} missed and not asked about), "
        f"{len(talk)} not-commands and negations ({len(nones)} none and not asked about)\n"
    )
    print(
        "| bar | missed commands left unanswered | not-commands left unanswered | "
        "not-commands still answered with a sorry |"
    )
    print("|---:|---:|---:|---:|")
    for bar in BARS:
        quiet = sum(c >= bar for c in missed)
        calm = sum(c >= bar for c in nones)
        still = len(nones) - calm
        print(
            f"| {bar:.2f} | {quiet} ({quiet / len(commands):.2%} of commands) | "
            f"{calm} ({calm / len(talk):.1%}) | {still} ({still / len(talk):.1%}) |"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench unclear")
    parser.add_argument("--heldout", action="store_true", help="also the held-out aggregates")
    args = parser.parse_args(argv)

    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.intents import Matcher, load_intents

    matcher = Matcher(load_intents(None, load_catalogue()))
    table(matcher, load_devs(), "development sets")
    if args.heldout:
        table(matcher, load_rounds(DATA), "held-out rounds (aggregates only)")
    return 0
