"""`voicecoach intent`: match lines of text to intents, as the coach would."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "match text (arguments, or lines of standard input) to intents"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "text", nargs="*", help="sentences to match (default: read lines from standard input)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--not-answer",
        action="store_true",
        help="treat lines as said when no question is open (yes and no then mean nothing)",
    )


def run(args: argparse.Namespace) -> int:
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.intents import Matcher, load_intents

    matcher = Matcher(load_intents(None, load_catalogue()))
    for raw in args.text or sys.stdin:
        text = raw.strip()
        if not text:
            continue
        match = matcher.match(text, expecting_answer=not args.not_answer)
        if args.json:
            print(json.dumps(match.to_json()), flush=True)
        else:
            slots = " ".join(f"{k}={v}" for k, v in match.slots.items())
            print(f"{match.intent:16} {match.confidence:4.2f}  {slots:24} {text}", flush=True)
    return 0
