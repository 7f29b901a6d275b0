"""`voicecoach catalogue`: list (or check) the exercises and routines, as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voicecoach.coach.catalogue import Catalogue, CatalogueError, Dose, load_catalogue
from voicecoach.coach.constraints import CONSTRAINTS

HELP = "list the exercises and routines (--json for everything), or check edited data files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="only these exercises or routines")
    parser.add_argument("--json", action="store_true", help="the whole catalogue as JSON")
    parser.add_argument("--exercises", type=Path, help="exercises TOML (default: packaged)")
    parser.add_argument("--routines", type=Path, help="routines TOML (default: packaged)")
    parser.add_argument(
        "--constraints",
        default="",
        help=f"comma-separated constraints ({','.join(CONSTRAINTS)}): "
        "show what each exercise becomes",
    )


def run(args: argparse.Namespace) -> int:
    try:
        catalogue = load_catalogue(args.exercises, args.routines)
    except CatalogueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    unknown = [i for i in args.ids if i not in catalogue.exercises and i not in catalogue.routines]
    if unknown:
        print(f"error: unknown id(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    constraints = [c for c in args.constraints.split(",") if c]
    if args.json:
        data = catalogue.to_json()
        if args.ids:
            data = {k: [x for x in v if x["id"] in args.ids] for k, v in data.items()}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    try:
        print("\n".join(_text_lines(catalogue, args.ids, constraints)))
    except ValueError as e:  # an unknown constraint
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def _text_lines(catalogue: Catalogue, ids: list[str], constraints: list[str]) -> list[str]:
    from voicecoach.coach.adapt import adapt

    lines: list[str] = []
    for e in catalogue.exercises.values():
        if ids and e.id not in ids:
            continue
        lines.append(
            f'{e.id}  "{e.name}"  [{e.source}] {e.kind}, {e.position}, '
            f"sides {e.sides}: {dose_summary(e.dose)}"
        )
        if e.aliases:
            lines.append(f"    also: {', '.join(e.aliases)}")
        links = [f"{k} -> {v}" for k, v in (("easier", e.easier), ("harder", e.harder)) if v]
        links += [f"{k} -> {v}" for k, v in e.alternatives.items()]
        links += [f"{k}: skip" for k in e.not_adaptable]
        if links:
            lines.append(f"    {'; '.join(links)}")
        if constraints:
            a = adapt(catalogue, e.id, constraints)
            result = a.exercise.id if a.exercise else "SKIP"
            lines.append(f"    with {'+'.join(constraints)}: {result}  {a.reason}".rstrip())
    lines.append("")
    for r in catalogue.routines.values():
        if ids and r.id not in ids:
            continue
        lines.append(f'routine {r.id}  "{r.name}": {", ".join(r.exercises)}')
        lines.append(f"    {r.description}")
    return lines


def dose_summary(dose: Dose) -> str:
    """E.g. "hold 30 s x 1, 1 set (30-60 s each side)"."""
    if dose.mode == "hold":
        core = f"hold {dose.hold_seconds} s x {dose.reps}"
    else:
        pause = f", pause {dose.hold_seconds} s" if dose.hold_seconds else ""
        core = f"{dose.reps} reps at {dose.rep_seconds:g} s{pause}"
    sets = f", {dose.sets} sets, rest {dose.rest_seconds} s" if dose.sets > 1 else ""
    note = f" ({dose.note})" if dose.note else ""
    return core + sets + note
