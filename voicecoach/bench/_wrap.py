"""The benches' shared --wrap option: train with some sentences wrapped in everyday talk."""

from __future__ import annotations

import argparse


def add_wrap_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wrap",
        type=float,
        default=None,
        help="train with this share of sentences also wrapped in everyday talk "
        "(voicecoach/understand/augment.py; shipped: 0)",
    )


def apply_wrap(args: argparse.Namespace) -> None:
    """Set the training share the option asked for (before any model is built)."""
    if args.wrap is not None:
        from voicecoach.understand import augment

        augment.SHARE = args.wrap
