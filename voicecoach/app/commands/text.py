"""`voicecoach text`: type what you would say; read what the coach would say, and when."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "type what you would say, one line at a time; see what the coach says and when"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fast", action="store_true", help="virtual clock: timers elapse at once")
    parser.add_argument("--json", action="store_true", help="one JSON object per action")
    parser.add_argument("--routine", metavar="ID", help="start this routine straight away")
    parser.add_argument(
        "--all", action="store_true", help="also show internal actions (timers, log records)"
    )
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="remember this session in the database at PATH (default: remember nothing)",
    )


def run(args: argparse.Namespace) -> int:
    from voicecoach.app.actionjson import action_json, action_line
    from voicecoach.app.session import start_session
    from voicecoach.app.textsession import TypedSession, run_fast, run_realtime
    from voicecoach.app.timers import MonotonicClock, VirtualClock
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.coach.events import Action, Log
    from voicecoach.understand.intents import Match, Matcher, load_intents

    catalogue = load_catalogue()
    if args.routine and args.routine not in catalogue.routines:
        known = ", ".join(catalogue.routines)
        print(f"voicecoach: unknown routine '{args.routine}' (known: {known})", file=sys.stderr)
        return 2
    matcher = Matcher(load_intents(None, catalogue))
    coach, recorder = start_session(catalogue, args.db, args.routine)
    last_heard: list[Match | None] = [None]

    def emit(t: float, action: Action, heard: Match | None) -> None:
        if isinstance(action, Log):
            recorder(action)
        if args.json:
            record = action_json(t, action, coach.current_id, heard)
            print(json.dumps(record), flush=True)
            return
        if heard is not None and heard is not last_heard[0]:
            last_heard[0] = heard
            print(f"[{t:7.1f}s] you:   {heard.text}   -> {heard.intent}", flush=True)
        line = action_line(t, action)
        if line is None and args.all:
            line = f"[{t:7.1f}s] ({action})"
        if line is not None:
            print(line, flush=True)

    clock = VirtualClock() if args.fast else MonotonicClock()
    session = TypedSession(coach, matcher, clock, emit)
    recorder.follow(clock.now)  # --fast: the virtual clock's minutes, not the wall's
    try:
        (run_fast if args.fast else run_realtime)(session, sys.stdin)
    finally:
        recorder.close(None if session.ended else "interrupted")
    return 0
