"""Write-behind: the coach's logs reach the store on a thread of their own.

Theory of operation
-------------------
Nothing between hearing "it hurts" and answering may wait for a disk.  `record(entry)`
stamps the log with the time and queues it; it never blocks and never raises.  One thread
writes the queue, in order, a batch per transaction.  The store runs SQLite in WAL mode
with synchronous=FULL, so every commit (a safety event's, the session's end) is fsynced
before the writer moves on.

When a write fails nothing is dropped and the order is kept:

- locked by another program: wait a little and try again (backoff up to `retry_seconds`);
- disk full: keep everything in memory, try again every `retry_seconds`, and set a notice
  once (`take_notice()`, which the runtime speaks) and log it; when space returns the queue
  is written and that is logged too;
- the database could not be opened when the session began: keep trying to open it, and
  start the session's row when it opens;
- anything else: logged, and retried the same way.

At `close` whatever can be written within `timeout` is; what still cannot be is spilled to
the session's journal (voicecoach.memory.journal: bytes reserved next to the database when
the writer started, so a full disk still takes it) and written into the database at the
next start.  Only what the journal cannot take either is lost, and that is logged at ERROR,
one JSON line per entry, so the system journal keeps it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from voicecoach.coach.events import Log
from voicecoach.memory.journal import Journal
from voicecoach.memory.store import Store, StoreError

log = logging.getLogger(__name__)

#: Longest wait between tries while the database is locked, full or missing.
RETRY_SECONDS = 2.0
#: First wait after a failure (doubled each time up to RETRY_SECONDS).
FIRST_RETRY_SECONDS = 0.1
#: Logs written per transaction at most.
BATCH = 200


@dataclass(frozen=True)
class _EndSession:
    reason: str


@dataclass(frozen=True)
class _Item:
    t: float
    what: Log | _EndSession


Opener = Callable[[], tuple[Store, int]]
"""Opens the store and starts the session's row: (store, session id)."""


class StoreWriter:
    """Writes Log actions behind the coach; see the module docstring."""

    def __init__(
        self,
        store: Store | None = None,
        session_id: int | None = None,
        opener: Opener | None = None,
        *,
        clock: Callable[[], float] = time.time,
        retry_seconds: float = RETRY_SECONDS,
        full_notice: str = "",
        journal: Journal | None = None,
    ) -> None:
        if (store is None or session_id is None) and opener is None:
            raise ValueError("a StoreWriter needs a store and session, or a way to open them")
        self.store = store
        self.session_id = session_id
        self._opener = opener
        self._clock = clock
        self._retry = retry_seconds
        self._full_notice = full_notice
        self.journal = journal
        self._items: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._give_up_at: float | None = None
        self._notice: str | None = None
        self._noticed = False
        self.trouble: StoreError | None = None
        """The failure the writer is waiting out, None while all is well."""
        self.failures = 0
        """Failed attempts so far (each one logged)."""
        self.written = 0
        self.spilled: list[tuple[float, Log | _EndSession]] = []
        """What close() kept in the journal for the next start."""
        self.unsaved: list[tuple[float, Log | _EndSession]] = []
        """What could not be written by the time of close, nor kept in the journal (logged)."""
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    # --- the coach's side: never blocks ---------------------------------------------------

    def follow(self, session_now: Callable[[], float]) -> None:
        """Stamp logs by the session's own clock from now on, anchored at this moment's
        stamp: a recording played faster than real time keeps its true durations."""
        anchor, start = self._clock(), session_now()
        self._clock = lambda: anchor + (session_now() - start)

    def record(self, entry: Log) -> None:
        """Queue one log; it is written behind the coach."""
        self._put(_Item(self._clock(), entry))

    def end_session(self, reason: str) -> None:
        """Queue the session's end (a no-op in the store if the coach already ended it)."""
        self._put(_Item(self._clock(), _EndSession(reason)))

    def _put(self, item: _Item) -> None:
        with self._cond:
            if self._closing and not self._thread.is_alive():
                self._keep_unsaved([item])
                return
            self._items.append(item)
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._items)

    def take_notice(self) -> str | None:
        """A sentence to say once (the disk is full), then None."""
        with self._cond:
            notice, self._notice = self._notice, None
            return notice

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written; False if `timeout` ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._items and self._thread.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return not self._items

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (waiting up to `timeout` seconds for a lock or full disk),
        then close the store.  What could not be written goes to the journal (`spilled`),
        or, failing that, is logged and kept in `unsaved`."""
        with self._cond:
            self._closing = True
            self._give_up_at = time.monotonic() + timeout
            self._cond.notify_all()
        self._thread.join(timeout + 1.0)
        with self._cond:
            left = list(self._items)
            self._items.clear()
        left = self._spill(left)
        if left:
            with self._cond:
                self._keep_unsaved(left)
        if self.store is not None:
            try:
                self.store.close()
            except StoreError as err:
                log.error("closing the database: %s", err)

    def _spill(self, items: list[_Item]) -> list[_Item]:
        """Keep `items` in the journal; returns those it could not take."""
        if self.journal is None:
            return items
        if not items:
            self.journal.discard()
            return []
        sid = self.session_id
        if self.store is not None and sid is not None:
            sid = self.store.session_now(sid)
        entries = [(i.t, i.what if isinstance(i.what, Log) else i.what.reason) for i in items]
        missed = len(self.journal.spill(sid, entries))
        kept = items[: len(items) - missed]
        self.spilled += [(i.t, i.what) for i in kept]
        return items[len(kept) :]

    def _keep_unsaved(self, items: list[_Item]) -> None:
        for item in items:
            self.unsaved.append((item.t, item.what))
            what = item.what
            record = (
                {"t": item.t, "kind": what.kind, "data": what.data}
                if isinstance(what, Log)
                else {"t": item.t, "kind": "end_session", "data": {"reason": what.reason}}
            )
            log.error("not saved: %s", json.dumps(record, default=str))

    # --- the writer's thread ----------------------------------------------------------------

    def _run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            with self._cond:
                while not self._items and not self._closing:
                    self._cond.wait()
                if not self._items:
                    return
                batch = self._next_batch()
            try:
                self._write(batch)
            except Exception as err:  # StoreError, or a bug: never let the thread die
                self._failed(err)
                if not self._wait(delay):
                    return
                delay = min(self._retry, delay * 2)
                continue
            delay = FIRST_RETRY_SECONDS
            with self._cond:
                for _ in batch:
                    self._items.popleft()
                self.written += len(batch)
                self._cond.notify_all()
            if self.trouble is not None:
                log.warning("the database works again; %d entries written", len(batch))
                self.trouble = None

    def _next_batch(self) -> list[_Item]:
        """Logs up to the next end-of-session (alone), so a batch is one kind of write."""
        first = self._items[0]
        if isinstance(first.what, _EndSession):
            return [first]
        batch: list[_Item] = []
        for item in self._items:
            if isinstance(item.what, _EndSession) or len(batch) >= BATCH:
                break
            batch.append(item)
        return batch

    def _write(self, batch: list[_Item]) -> None:
        if self.store is None or self.session_id is None:
            assert self._opener is not None
            self.store, self.session_id = self._opener()
            log.warning("the database opened; writing this session's log")
        first = batch[0].what
        if isinstance(first, _EndSession):
            self.store.end_session(self.session_id, first.reason, batch[0].t)
            return
        sid = self.session_id
        self.store.write([(sid, item.t, item.what) for item in batch])  # type: ignore[misc]

    def _failed(self, err: Exception) -> None:
        self.failures += 1
        cause = err.cause if isinstance(err, StoreError) else "bug"
        if isinstance(err, StoreError):
            self.trouble = err
        else:
            self.trouble = StoreError(f"unexpected error writing the database: {err}")
        if self.failures == 1 or self.failures % 30 == 0:
            log.error("could not write the session log (%d waiting): %s", self.pending, err)
        if cause == "full" and not self._noticed:
            self._noticed = True
            with self._cond:
                self._notice = self._full_notice or None
            log.error("disk full: keeping the session log in memory until there is room")

    def _wait(self, seconds: float) -> bool:
        """Sleep before the next try; False when closing and out of time."""
        with self._cond:
            was_closing = self._closing
            end = time.monotonic() + seconds
            while True:
                if self._closing and self._give_up_at is not None:
                    hopeless = self.trouble is not None and not self.trouble.passing
                    if hopeless or self._give_up_at <= time.monotonic():
                        return False
                    if not was_closing:
                        return True  # close() just came: one more try at once
                    end = min(end, self._give_up_at)
                left = end - time.monotonic()
                if left <= 0:
                    return True
                # New logs wake this too; they wait for the backoff like the rest.
                self._cond.wait(left)
