"""Where files derived from the installed data are kept between runs."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/voicecoach, or ~/.cache/voicecoach: the learned intent model and the
    int8 copy of the speech model live here; deleting it only costs a slower next start."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "voicecoach"


#: A derived file not used for this long is deleted when a new one of its kind is made
#: (each change to the intent data makes a new model and tables: ~11 MB on an SD card).
STALE_DAYS = 30.0


def mark_used(path: Path) -> None:
    """Note that `path` was used now (its mtime), so pruning keeps it."""
    # A read-only cache: nothing will be pruned from it either.
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(folder: Path, pattern: str, keep: Path, days: float = STALE_DAYS) -> list[Path]:
    """Delete the files in `folder` matching `pattern`, other than `keep`, unused for
    `days`; the ones deleted.  Files made by other versions of the coach on this machine
    (another checkout, yesterday's data) stay while they are in use."""
    cutoff = time.time() - days * 86400
    gone = []
    for path in folder.glob(pattern):
        try:
            if path != keep and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                gone.append(path)
        except OSError:
            continue
    return gone
