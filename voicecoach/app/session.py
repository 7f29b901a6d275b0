"""Start a session: the coach, with what the store remembers, and a recorder for its logs.

Shared by `voicecoach run` and `voicecoach text --db`.  The recorder writes behind the
coach (voicecoach.memory.writer): the coach answers first, whatever the disk is doing.  A
store that cannot be opened never stops the session: the coach says so once, the session
goes on, and the writer keeps trying to open it and writes the log when it can.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from voicecoach.coach import script
from voicecoach.coach.catalogue import Catalogue
from voicecoach.coach.events import Log
from voicecoach.coach.machine import Coach
from voicecoach.coach.profile import resolve
from voicecoach.coach.unclear import UnclearTalk

if TYPE_CHECKING:
    from voicecoach.memory.store import Store
    from voicecoach.memory.writer import StoreWriter

log = logging.getLogger(__name__)


class SessionRecorder(Protocol):
    """What the runtime hands the coach's Log actions to (the store, behind the coach)."""

    def __call__(self, entry: Log) -> None:
        """Keep `entry`; never blocks, never raises."""
        ...

    def take_notice(self) -> str | None:
        """A sentence for the coach to say once (the disk filled up), else None."""
        ...


@dataclass
class Recorder(SessionRecorder):
    """Hands the coach's Log actions to the store's writer; never blocks, never raises."""

    writer: StoreWriter | None = None

    def __call__(self, entry: Log) -> None:
        if self.writer is not None:
            self.writer.record(entry)

    @property
    def store(self) -> Store | None:
        return self.writer.store if self.writer is not None else None

    @property
    def session_id(self) -> int | None:
        return self.writer.session_id if self.writer is not None else None

    def follow(self, session_now: Callable[[], float]) -> None:
        """Time the session's records by its own clock (see StoreWriter.follow)."""
        if self.writer is not None:
            self.writer.follow(session_now)

    def take_notice(self) -> str | None:
        """A sentence for the coach to say once (the disk filled up), else None."""
        return self.writer.take_notice() if self.writer is not None else None

    def close(self, reason: str | None = None, timeout: float = 10.0) -> None:
        """End the session with `reason` unless the coach ended it, write what is queued
        (waiting up to `timeout` s for a lock or a full disk), close the store."""
        if self.writer is None:
            return
        if reason is not None:
            self.writer.end_session(reason)
        self.writer.close(timeout)


def start_session(
    catalogue: Catalogue,
    db_path: Path | None,
    routine: str | None = None,
    rate: int | None = None,
    volume: float | None = None,
    warnings: tuple[str, ...] = (),
    unclear: UnclearTalk | None = None,
) -> tuple[Coach, Recorder]:
    """A coach primed from the store at `db_path` (None: no store at all); `warnings` are
    said at the start, with any trouble the store has; `unclear`: how talk that meant
    nothing is answered (the coach's default: every line, as typed).

    Its profile (`coach.profile`) is the one resolved profile: `rate` and `volume` from
    the config, then what the person said last time; open the speaker with it."""
    said: list[str] = list(warnings)
    recorder = Recorder()
    profile, progress, resume = resolve(rate, volume), None, None
    if db_path is not None:
        db_path = Path(db_path).expanduser()
        from voicecoach.memory.journal import Journal, replay_pending
        from voicecoach.memory.store import Store, StoreError
        from voicecoach.memory.writer import StoreWriter

        store: Store | None = None
        try:
            store = Store.open(db_path)
            if store.spoken_warning:
                log.warning("%s", store.warning)
                said.append(store.spoken_warning)
            # Before this session's row, so a spilled session keeps its true end.
            if replay_pending(store, db_path):
                said.append(script.NOTEBOOK_CAUGHT_UP)
            # The config gives starting values; what the person asked for since wins.
            profile = resolve(rate, volume, store.profile(resolve(rate, volume)))
            profile = replace(profile, step_ups=store.step_ups())
            progress = store.progress()
            resume = store.interrupted()
            writer = StoreWriter(
                store,
                store.start_session(routine),
                full_notice=script.NOTEBOOK_FULL,
                journal=Journal(db_path),
            )
        except StoreError as err:
            log.error("database %s: %s; the session goes on, and its log is kept", db_path, err)
            said.append(script.NOTEBOOK_UNAVAILABLE)
            if store is not None:
                _close_quietly(store)

            def opener() -> tuple[Store, int]:
                again = Store.open(db_path)
                return again, again.start_session(routine)

            writer = StoreWriter(
                opener=opener, full_notice=script.NOTEBOOK_FULL, journal=Journal(db_path)
            )
        recorder = Recorder(writer)
    coach = Coach(
        catalogue,
        profile=profile,
        progress=progress,
        resume_point=None if routine else resume,
        routine=routine,
        warnings=tuple(said),
        unclear=unclear,
    )
    return coach, recorder


def _close_quietly(store: Store) -> None:
    from voicecoach.memory.store import StoreError

    try:
        store.close()
    except StoreError as err:
        log.debug("closing the database after an error: %s", err)
