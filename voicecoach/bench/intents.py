"""`python -m voicecoach.bench intents`: the text matcher on held-out phrasings.

Held-out phrasings (tests/data/heldout.toml) were written blind, before any tuning, and
are never copied into intents/: accuracy on them is what people will get.  Non-command
sentences (tests/data/non_commands.toml) measure false accepts.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench intents")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the held-out files")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)

    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.intents import Matcher, load_intents

    heldout = tomllib.loads((args.data / "heldout.toml").read_text())
    negatives = tomllib.loads((args.data / "non_commands.toml").read_text())
    matcher = Matcher(load_intents(None, load_catalogue()))
    cases = [(text, intent, {}) for intent, texts in heldout["heldout"].items() for text in texts]
    for item in heldout.get("slotted", []):
        slots = {k: item[k] for k in ("exercise", "routine") if k in item}
        cases.append((item["text"], item["intent"], slots))

    started = time.perf_counter()
    right, wrong, missed = Counter(), Counter(), Counter()
    misses = []
    for text, intent, slots in cases:
        match = matcher.match(text, expecting_answer=True)
        if match.intent == intent and match.slots == slots:
            right[intent] += 1
        else:
            (missed if match.intent == "none" else wrong)[intent] += 1
            misses.append((intent, match.intent, text))
    sentences = negatives["core"] + negatives["sentences"]
    false_accepts = [s for s in sentences if matcher.match(s).intent != "none"]
    per_call = (time.perf_counter() - started) / (len(cases) + len(sentences)) * 1000

    print("| intent | held-out | right | wrong intent | none |")
    print("|---|---:|---:|---:|---:|")
    for intent in sorted({c[1] for c in cases}):
        n = right[intent] + wrong[intent] + missed[intent]
        print(f"| {intent} | {n} | {right[intent]} | {wrong[intent]} | {missed[intent]} |")
    total = len(cases)
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| held-out accuracy (intent and slots) | {sum(right.values()) / total:.1%} ({total}) |")
    print(f"| wrong intent (acted on wrongly) | {sum(wrong.values()) / total:.1%} |")
    print(f"| missed (none) | {sum(missed.values()) / total:.1%} |")
    fa = len(false_accepts) / len(sentences)
    print(f"| false accepts on non-commands | {fa:.1%} ({len(sentences)}) |")
    print(f"| time per match | {per_call:.3f} ms |")
    if args.misses:
        print()
        for expected, got, text in misses:
            print(f"{expected:16} -> {got:16} {text}")
        for text in false_accepts:
            print(f"{'none':16} -> accepted         {text}")
    return 0
