"""`voicecoach config [--path]`: the settings in effect and where they come from."""

from __future__ import annotations

import argparse
import sys

HELP = "show the settings in effect and which file they come from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from voicecoach.app.config import add_common_arguments

    add_common_arguments(parser)
    parser.add_argument(
        "--path", action="store_true", help="print only the path of the settings file"
    )


def run(args: argparse.Namespace) -> int:
    from voicecoach.app.config import ConfigError, default_config_path, describe, settings_from_args

    try:
        settings = settings_from_args(args)
    except ConfigError as e:
        print(f"voicecoach: {e}", file=sys.stderr)
        return 2
    path = args.config or default_config_path()
    if args.path:
        print(path)
        return 0
    if settings.source is None:
        print(f"# no settings file at {path}: these are the defaults")
        print("# (an example to copy: deploy/config.example.toml in the voicecoach sources)")
    else:
        print(f"# settings from {settings.source}")
    for key, value in describe(settings):
        note = "   # from --db" if key == "db_path" and args.db is not None else ""
        print(f"{key} = {value}{note}")
    return 0
