"""`voicecoach report FILE.html [--db PATH]`: a page for a therapist or carer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write an HTML report (adherence chart, swaps and skips, pain) for a therapist or carer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from voicecoach.app.config import add_common_arguments

    parser.add_argument("file", type=Path, metavar="FILE.html", help="where to write the page")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from voicecoach.app.commands.history import open_existing_store
    from voicecoach.memory.report import write_report
    from voicecoach.memory.store import StoreError

    store = open_existing_store(args)
    if isinstance(store, int):
        return store
    try:
        with store:
            write_report(store, str(args.file))
    except StoreError as e:
        print(f"voicecoach: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"voicecoach: cannot write {args.file}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"Wrote {args.file}")
    return 0
