"""`python -m voicecoach.bench coaching`: how much the coach talks, and does it say what matters.

Runs every routine as a typed session on a virtual clock, once as someone with no limits and
once as a wheelchair user ("i'm in my wheelchair" before choosing), answering whatever the
coach asks the obvious way (ready, yes, the routine's name).  Prints, per run: lines and
words spoken, seconds of speech before the first movement starts, the session's length,
cautions said of those the exercises done carry, exercises done in a position the person
ruled out, exercises done twice, and lines that tell a seated person to fetch a chair.

A second table (`--start`) measures the start of each routine given at start-up, as
`voicecoach text --routine ID` does, for a first-timer and for a returning user who has done
the routine's exercises recently, nobody answering the check-in: seconds of speech before
the first movement, and when (on the audio timeline) the first movement (a warm-up counts)
and the first exercise's first hold or rep begin; "moving after start" counts from the moment
the routine starts (after the check-in), as from saying "start".
"""

from __future__ import annotations

import argparse

from voicecoach.app.textsession import TypedSession
from voicecoach.app.timers import VirtualClock
from voicecoach.coach import script
from voicecoach.coach.adapt import fits
from voicecoach.coach.catalogue import Catalogue, load_catalogue
from voicecoach.coach.events import Action, Begin, Log, Say, Tone
from voicecoach.coach.machine import Coach
from voicecoach.coach.profile import Progress
from voicecoach.understand.intents import Match, Matcher, load_intents

#: What a person answers in each waiting phase (anything not listed: "yes").
ANSWERS = {"ready": "ready", "paused": "resume", "check_in": "i'm fine"}


def run(catalogue: Catalogue, matcher: Matcher, routine: str, wheelchair: bool) -> dict:
    coach = Coach(catalogue)
    actions: list[tuple[float, Action]] = []

    def emit(t: float, action: Action, _heard: Match | None) -> None:
        actions.append((t, action))

    session = TypedSession(coach, matcher, VirtualClock(), emit)
    session.loop.feed(Begin(0.0))
    lines = (["i'm in my wheelchair"] if wheelchair else []) + [f"the {routine} routine"]
    for _ in range(400):
        session.fire_until_waiting()
        if session.ended:
            break
        if coach.finished_routine:
            lines += ["stop", "yes"]
        line = lines.pop(0) if lines else ANSWERS.get(coach.phase, "yes")
        session.say(line)
    if not session.ended:
        session.loop.finish(session.clock.now())
    return measure(catalogue, actions, coach.rate, wheelchair)


def measure(
    catalogue: Catalogue, actions: list[tuple[float, Action]], rate: int, wheelchair: bool
) -> dict:
    says = [a.text for _, a in actions if isinstance(a, Say)]
    first_move = next(
        (t for t, a in actions if isinstance(a, Tone) and a.name in {"hold_start", "rep"}), 0.0
    )
    before = [a.text for t, a in actions if isinstance(a, Say) and t <= first_move]
    done = [
        a.data["exercise"] for _, a in actions if isinstance(a, Log) and a.kind == "exercise_done"
    ]
    cautions = [c for ident in dict.fromkeys(done) for c in catalogue.exercise(ident).cautions]
    spoken = " ".join(says)
    wrong = [i for i in done if wheelchair and not fits(catalogue.exercise(i), {"seated"})]
    return {
        "lines": len(says),
        "words": len(spoken.split()),
        "talk_before_move_s": round(script.speaking_seconds(" ".join(before), rate), 1),
        "minutes": round(actions[-1][0] / 60, 1) if actions else 0.0,
        "cautions": f"{sum(1 for c in cautions if c in spoken)}/{len(cautions)}",
        "wrong_position": len(wrong),
        "repeated": len(done) - len(set(done)),
        "chair_to_seated": sum(1 for s in says if "sturdy chair" in s) if wheelchair else 0,
    }


MOVE_TONES = frozenset({"hold_start", "rep"})


def returning(catalogue: Catalogue) -> Progress:
    """Someone with five sessions behind them who has done every exercise lately."""
    return Progress(
        sessions_this_week=2,
        sessions_total=5,
        exercises_this_week=10,
        days_active_last_14=4,
        familiar=frozenset(catalogue.exercises),
    )


def run_start(catalogue: Catalogue, matcher: Matcher, routine: str, known: bool) -> dict:
    """A routine given at start-up, up to the first exercise's first hold or rep."""
    coach = Coach(catalogue, routine=routine, progress=returning(catalogue) if known else None)
    actions: list[tuple[float, Action]] = []

    def emit(t: float, action: Action, _heard: Match | None) -> None:
        actions.append((t, action))

    session = TypedSession(coach, matcher, VirtualClock(), emit)
    session.loop.feed(Begin(0.0))
    for _ in range(50):
        session.fire_until_waiting()
        if session.ended or coach.running is not None:
            break
        session.say(ANSWERS.get(coach.phase, "yes"))
    session.fire_until(session.clock.now() + 60.0)
    return measure_start(actions, coach.rate)


def measure_start(actions: list[tuple[float, Action]], rate: int) -> dict:
    moves = [t for t, a in actions if isinstance(a, Tone) and a.name in MOVE_TONES]
    first_move = moves[0] if moves else 0.0
    started = next(
        (t for t, a in actions if isinstance(a, Log) and a.kind == "exercise_start"), 0.0
    )
    exercise = next((t for t in moves if t >= started), 0.0)
    routine = next((t for t, a in actions if isinstance(a, Log) and a.kind == "routine"), 0.0)
    before = [a.text for t, a in actions if isinstance(a, Say) and t < first_move]
    return {
        "talk_before_move_s": round(script.speaking_seconds(" ".join(before), rate), 1),
        "first_move_at_s": round(first_move, 1),
        "moving_after_start_s": round(first_move - routine, 1),
        "first_exercise_at_s": round(exercise, 1),
    }


def print_start(catalogue: Catalogue, matcher: Matcher) -> None:
    columns = [
        "talk_before_move_s",
        "first_move_at_s",
        "moving_after_start_s",
        "first_exercise_at_s",
    ]
    print_header(columns)
    for routine in catalogue.routines:
        for known in (False, True):
            row = run_start(catalogue, matcher, routine, known)
            print_row(routine, "returning" if known else "first time", row, columns)


def print_header(columns: list[str]) -> None:
    print("| routine | who | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))


def print_row(routine: str, who: str, row: dict[str, object], columns: list[str]) -> None:
    print(f"| {routine} | {who} | " + " | ".join(str(row[c]) for c in columns) + " |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench coaching")
    parser.add_argument(
        "--start",
        action="store_true",
        help="only the start of each routine: first-timer and returning user",
    )
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    matcher = Matcher(load_intents(None, catalogue))
    if args.start:
        print_start(catalogue, matcher)
        return 0
    columns = [
        "lines",
        "words",
        "talk_before_move_s",
        "minutes",
        "cautions",
        "wrong_position",
        "repeated",
        "chair_to_seated",
    ]
    print_header(columns)
    for routine in catalogue.routines:
        for wheelchair in (False, True):
            row = run(catalogue, matcher, routine, wheelchair)
            print_row(routine, "wheelchair" if wheelchair else "no limits", row, columns)
    return 0
