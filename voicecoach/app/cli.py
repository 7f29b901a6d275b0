"""The `voicecoach` command line: one subcommand per module in voicecoach.app.commands.

Each module in voicecoach/app/commands/ defines HELP (one line), add_arguments(parser) and
run(args) -> int.  Heavy imports (recognizers, audio) stay inside run() so that
`voicecoach --help` and the coach start fast.  With no subcommand, `run` starts the coach.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

import voicecoach.app.commands

DEFAULT_COMMAND = "run"


def command_names() -> list[str]:
    """Names of the available subcommands (module names, underscores as dashes)."""
    return sorted(
        m.name.replace("_", "-")
        for m in pkgutil.iter_modules(voicecoach.app.commands.__path__)
        if not m.name.startswith("_")
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voicecoach", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_names():
        module = importlib.import_module(f"voicecoach.app.commands.{name.replace('-', '_')}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    names = set(command_names())
    # `voicecoach` alone (or with only run options) starts the coach.
    if (
        DEFAULT_COMMAND in names
        and not any(a in names for a in argv)
        and not ({"-h", "--help"} & set(argv))
    ):
        argv = [DEFAULT_COMMAND, *argv]
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not hasattr(args, "_run"):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
