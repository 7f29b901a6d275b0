"""Start a session: the coach, with what the store remembers, and a recorder for its logs.

Shared by `voicecoach run` and `voicecoach text --db`.  A store that cannot be used (a
locked or unwritable database) never stops the session: the coach says so once, and
the session goes on unrecorded rather than lost in a crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from voicecoach.coach.catalogue import Catalogue
from voicecoach.coach.events import Log
from voicecoach.coach.machine import Coach
from voicecoach.coach.profile import resolve

log = logging.getLogger(__name__)

NO_STORE = (
    "I can't open my notebook right now, so I won't remember today's session. "
    "The exercises work just the same."
)
STORE_TROUBLE = "I couldn't write that down, but we can carry on."


@dataclass
class Recorder:
    """Hands the coach's Log actions to the store, as they happen."""

    store: object | None = None
    session_id: int | None = None
    failed: bool = False

    def __call__(self, entry: Log) -> None:
        if self.store is None or self.session_id is None:
            return
        from voicecoach.memory.store import StoreError

        try:
            # A session_end record ends the session in the store as well.
            self.store.record(self.session_id, entry)  # type: ignore[attr-defined]
        except StoreError as err:
            # Logged every time; the store keeps what it could not write for the next try.
            log.error("could not record %s: %s", entry.kind, err)
            self.failed = True

    def close(self) -> None:
        if self.store is not None:
            self.store.close()  # type: ignore[attr-defined]


def start_session(
    catalogue: Catalogue,
    db_path: Path | None,
    routine: str | None = None,
    rate: int | None = None,
    volume: float | None = None,
) -> tuple[Coach, Recorder]:
    """A coach primed from the store at `db_path` (None: no store at all).

    Its profile (`coach.profile`) is the one resolved profile: `rate` and `volume` from
    the config, then what the person said last time; open the speaker with it."""
    warnings: list[str] = []
    recorder = Recorder()
    profile, progress, resume = resolve(rate, volume), None, None
    if db_path is not None:
        from voicecoach.memory.store import Store, StoreError

        try:
            store = Store.open(db_path)
            if store.spoken_warning:
                log.warning("%s", store.warning)
                warnings.append(store.spoken_warning)
            # The config gives starting values; what the person asked for since wins.
            profile = resolve(rate, volume, store.profile(resolve(rate, volume)))
            progress = store.progress()
            resume = store.interrupted()
            recorder = Recorder(store, store.start_session(routine))
        except StoreError as err:
            log.error("database %s: %s", db_path, err)
            warnings.append(NO_STORE)
    coach = Coach(
        catalogue,
        profile=profile,
        progress=progress,
        resume_point=None if routine else resume,
        routine=routine,
        warnings=tuple(warnings),
    )
    return coach, recorder

