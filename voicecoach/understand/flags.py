"""Per-intent flags (`intents/flags.toml`): what interrupts the coach's voice, what is
consequential, what is an answer, what is a safety word.  The one place these live."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib.resources import files
from pathlib import Path
from typing import IO

NONE = "none"
"""The intent of anything that is not a command."""

CANONICAL = (
    "start", "next", "previous", "repeat", "pause", "resume", "stop", "skip", "easier",
    "harder", "cant_lie_down", "cant_stand", "in_bed", "seated", "pain", "tired", "slower",
    "faster", "louder", "quieter", "help", "status", "yes", "no", "choose_exercise",
    "choose_routine", "progress", "emergency", "dizzy", "overheated", "spasm", "feel_better",
    "cant_get_up", "hold_longer", "hold_shorter", "fewer_reps", "more_reps", "rest_longer",
    "rest_shorter",
)  # fmt: skip
"""Every intent the coach knows, `none` apart."""


class FlagDataError(ValueError):
    """flags.toml is broken; the message names the file, the intent and the fix."""


@dataclass(frozen=True)
class IntentFlags:
    interrupts: bool = False
    """Acts at once, even while the coach is speaking."""
    consequential: bool = False
    """A wrong act costs more: needs more certainty, never from a next-best reading."""
    confirmed: bool = False
    """Consequential, but the coach asks before acting on it: a little less certainty."""
    answer: bool = False
    """An answer to a question (yes / no)."""
    safety: bool = False
    """A way out or a brake: acted on in every phase, never dropped."""


@dataclass(frozen=True)
class Flags:
    """The flags of every intent; an unknown name has none."""

    table: Mapping[str, IntentFlags]

    def __getitem__(self, intent: str) -> IntentFlags:
        return self.table.get(intent, IntentFlags())

    def named(self, flag: str) -> frozenset[str]:
        """The intents that carry `flag`."""
        return frozenset(n for n, f in self.table.items() if getattr(f, flag))

    @property
    def interrupting(self) -> frozenset[str]:
        return self.named("interrupts")

    @property
    def answers(self) -> frozenset[str]:
        return self.named("answer")

    @property
    def consequential(self) -> frozenset[str]:
        return self.named("consequential")


def load_flags(source: IO[bytes] | Path | None = None) -> Flags:
    """Read flags.toml (default: the packaged one); refuse it with the reason if broken."""
    name = "flags.toml"
    try:
        if source is None:
            data = tomllib.loads(files("voicecoach.phrases").joinpath(name).read_text("utf-8"))
        elif isinstance(source, Path):
            name = str(source)
            data = tomllib.loads(source.read_text("utf-8"))
        else:
            name = getattr(source, "name", "<stream>")
            data = tomllib.load(source)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise FlagDataError(f"{name}: not valid UTF-8 TOML: {err}") from err
    known = {f.name for f in fields(IntentFlags)}
    table: dict[str, IntentFlags] = {}
    for intent, entry in data.items():
        if intent not in (*CANONICAL, NONE):
            raise FlagDataError(f"{name}: [{intent}] is not an intent the coach knows")
        if not isinstance(entry, dict) or not set(entry) <= known:
            raise FlagDataError(
                f"{name}: [{intent}] may only set {', '.join(sorted(known))} (true or false)"
            )
        if not all(isinstance(v, bool) for v in entry.values()):
            raise FlagDataError(f"{name}: [{intent}]: flags are true or false")
        if entry.get("confirmed") and not entry.get("consequential"):
            raise FlagDataError(f"{name}: [{intent}]: confirmed is for consequential intents")
        table[intent] = IntentFlags(**entry)
    missing = [i for i in CANONICAL if i not in table]
    if missing:
        raise FlagDataError(f"{name}: no entry for {', '.join(missing)}; add an empty [name]")
    return Flags(table)
