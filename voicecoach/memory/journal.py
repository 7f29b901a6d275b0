"""The spill journal: what the writer could not put in the database by exit is kept on disk
and written into the database at the next start.

Theory of operation
-------------------
When a session's writer starts, it reserves a small file next to the database
(`<db>.unsaved-<pid>-<ms>.jsonl`, RESERVE bytes allocated at once, or the spare the last
clean session left, so a disk that filled up between sessions still has it).  A clean
close leaves it as the spare (`<db>.unsaved-spare`, all zeros).  If entries are still
queued at close (the disk stayed full, another program held the lock), they are written
into the reserved bytes, which needs no new space on a full disk, and fsynced.  At the
next start, before the new session begins, every journal found is replayed into the
database in one transaction per file, which also records the file's name in the table
`replayed_journals`; only then is the file deleted.  So a replay interrupted at any point
is either not applied at all (and done again) or applied and marked (and the file merely
deleted): never twice.

A journal is JSON lines: a header `{"journal": 1, "session": id or null}` then one line
per entry, `{"t", "kind", "data"}` for a log or `{"t", "end": reason}` for the session's
end.  The reserved tail is zero bytes; a line cut short (power cut mid-write) is dropped.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from voicecoach.coach.events import Log

log = logging.getLogger(__name__)

#: Bytes reserved per session: about 200 entries, more than a long session leaves unsaved.
RESERVE = 64 * 1024
FORMAT = 1

Entry = tuple[float, Log | str]
"""(time, a log or the session's end reason)."""


@dataclass(frozen=True)
class Spilled:
    """One journal file as read back."""

    path: Path
    session_id: int | None
    entries: list[Entry]


def journal_glob(db_path: Path) -> str:
    return f"{db_path.name}.unsaved-*.jsonl"


class Journal:
    """The reserved file of one session's writer; see the module docstring."""

    def __init__(self, db_path: Path) -> None:
        stamp = f"{os.getpid()}-{int(time.time() * 1000)}"
        self.path = db_path.with_name(f"{db_path.name}.unsaved-{stamp}.jsonl")
        self.spare = db_path.with_name(f"{db_path.name}.unsaved-spare")
        self.reserved = 0
        try:
            # The last clean session's reservation: a disk that filled since still has it.
            os.rename(self.spare, self.path)
            if self.path.stat().st_size >= RESERVE:
                self.reserved = RESERVE
                return
        except OSError:
            pass
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, RESERVE)
                os.fsync(fd)
                self.reserved = RESERVE
            finally:
                os.close(fd)
        except OSError as err:
            # The disk may already be full; spill() will still try to write at close.
            log.warning("could not reserve %s for unsaved entries: %s", self.path, err)

    def spill(self, session_id: int | None, entries: list[Entry]) -> list[Entry]:
        """Keep `entries` in the file, fsynced; returns those that did not fit (none, unless
        they outgrow the reserved bytes on a disk with no room for more)."""
        header = json.dumps({"journal": FORMAT, "session": session_id}) + "\n"
        lines = [_line(t, what) for t, what in entries]
        data = (header + "".join(lines)).encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as err:
            log.error("could not write %s: %s", self.path, err)
            return entries
        try:
            try:
                if os.pwrite(fd, data, 0) < len(data):
                    raise OSError(errno.ENOSPC, "no room to grow the journal")
                kept = len(entries)
            except OSError:
                # No room to grow: keep as many whole lines as fit in what was reserved,
                # zeros after them, so nothing of the failed longer write is read back.
                kept, size = 0, len(header.encode())
                while kept < len(lines) and size + len(lines[kept].encode()) <= self.reserved:
                    size += len(lines[kept].encode())
                    kept += 1
                if size > self.reserved:
                    return entries
                os.ftruncate(fd, self.reserved)
                fitted = (header + "".join(lines[:kept])).encode()
                os.pwrite(fd, fitted + b"\0" * (self.reserved - len(fitted)), 0)
            os.fsync(fd)
        except OSError as err:
            log.error("could not write %s: %s", self.path, err)
            return entries
        finally:
            os.close(fd)
        _sync_folder(self.path.parent)
        log.warning(
            "%d unsaved entries kept in %s; they are written to the database at the next start",
            kept,
            self.path,
        )
        return entries[kept:]

    def discard(self) -> None:
        """Nothing was left unsaved: the reservation is kept, empty, for the next session
        (which may start on a disk that has filled up meanwhile)."""
        try:
            if self.reserved:
                os.rename(self.path, self.spare)
            else:
                self.path.unlink(missing_ok=True)
        except OSError as err:
            log.warning("could not keep or remove %s: %s", self.path, err)


def _line(t: float, what: Log | str) -> str:
    if isinstance(what, Log):
        record = {"t": t, "kind": what.kind, "data": dict(what.data)}
    else:
        record = {"t": t, "end": what}
    return json.dumps(record, default=str) + "\n"


def _sync_folder(folder: Path) -> None:
    """The new file's name survives a power cut too."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read(path: Path) -> Spilled:
    """A journal's entries; the zero tail and a last line cut short are passed over."""
    text = path.read_bytes().rstrip(b"\0").decode("utf-8", errors="replace")
    session_id: int | None = None
    entries: list[Entry] = []
    for number, line in enumerate(text.splitlines()):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            log.warning("%s line %d is cut short or damaged; passed over", path, number + 1)
            continue
        if number == 0 and "journal" in record:
            session_id = record.get("session")
        elif "end" in record:
            entries.append((float(record["t"]), str(record["end"])))
        elif "kind" in record:
            entries.append((float(record["t"]), Log(record["kind"], record.get("data", {}))))
    return Spilled(path, session_id, entries)


def pending(db_path: Path) -> list[Path]:
    """Journals left next to the database by processes that have ended, oldest first."""
    found = [p for p in db_path.parent.glob(journal_glob(db_path)) if not _owner_alive(p)]
    return sorted(found, key=lambda p: p.name.rsplit("-", 1)[-1])


def _owner_alive(path: Path) -> bool:
    """Another coach still running owns this reservation (its pid is in the name)."""
    try:
        pid = int(path.name.rsplit(".unsaved-", 1)[1].split("-")[0])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Replays(Protocol):
    """What a journal is replayed into (voicecoach.memory.store.Store)."""

    def replay(self, key: str, session_id: int | None, entries: list[Entry]) -> bool: ...


def replay_pending(store: Replays, db_path: Path) -> int:
    """Write every journal left by an earlier run into `store` (before a new session starts,
    so a session's true end is kept); returns how many entries were written.  A journal
    that cannot be written now stays for the next start."""
    written = 0
    for path in pending(db_path):
        try:
            spilled = read(path)
            if store.replay(path.name, spilled.session_id, spilled.entries):
                written += len(spilled.entries)
        except Exception as err:  # StoreError (locked, full), a damaged file: try next time
            log.error("could not write the unsaved entries in %s yet: %s", path, err)
            continue
        try:
            path.unlink()
        except OSError as err:
            log.warning("written, but could not remove %s: %s", path, err)
    if written:
        log.warning("wrote %d entries left unsaved by an earlier session", written)
    return written
