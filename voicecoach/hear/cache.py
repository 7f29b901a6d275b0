"""Where files derived from the installed data are kept between runs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/voicecoach, or ~/.cache/voicecoach: the learned intent model and the
    int8 copy of the speech model live here; deleting it only costs a slower next start."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "voicecoach"
