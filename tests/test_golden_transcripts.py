"""Typed whole sessions, compared byte for byte with transcripts recorded before.

Each `tests/data/golden/NAME.txt` is what a person types into `voicecoach text --fast`
(a `# routine: ID` comment starts that routine, as `--routine ID` does); NAME.golden is
what came out, with the log records (what the store keeps) and without the timer
bookkeeping.  A change to what the coach says, when, or what it logs shows up here as a
diff.  After an intended change, look at the diff, then record again with
`VOICECOACH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden_transcripts.py`.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from voicecoach.app.actionjson import action_line
from voicecoach.app.session import start_session
from voicecoach.app.textsession import TypedSession, run_fast
from voicecoach.app.timers import VirtualClock
from voicecoach.coach.catalogue import Catalogue
from voicecoach.coach.events import Action, CancelTimer, StartTimer
from voicecoach.understand.intents import Match, Matcher

GOLDEN = Path(__file__).parent / "data" / "golden"
SESSIONS = sorted(GOLDEN.glob("*.txt"))
_ROUTINE = re.compile(r"^#\s*routine:\s*(\S+)", re.MULTILINE)


def transcript(script: str, catalogue: Catalogue, matcher: Matcher, *, timers: bool = False) -> str:
    """What `voicecoach text --fast --all` prints for `script` (timers left out unless
    asked): the command's own pieces, with the catalogue and matcher loaded once."""
    routine = _ROUTINE.search(script)
    coach, _recorder = start_session(catalogue, None, routine.group(1) if routine else None)
    out: list[str] = []
    last_heard: list[Match | None] = [None]

    def emit(t: float, action: Action, heard: Match | None) -> None:
        if heard is not None and heard is not last_heard[0]:
            last_heard[0] = heard
            out.append(f"[{t:7.1f}s] you:   {heard.text}   -> {heard.intent}")
        line = action_line(t, action)
        if line is None and (timers or not isinstance(action, StartTimer | CancelTimer)):
            line = f"[{t:7.1f}s] ({action})"
        if line is not None:
            out.append(line)

    run_fast(TypedSession(coach, matcher, VirtualClock(), emit), io.StringIO(script))
    return "".join(line + "\n" for line in out)


@pytest.mark.parametrize("path", SESSIONS, ids=[p.stem for p in SESSIONS])
def test_session_matches_its_golden_transcript(
    path: Path, catalogue: Catalogue, matcher: Matcher
) -> None:
    got = transcript(path.read_text(), catalogue, matcher)
    golden = path.with_suffix(".golden")
    if os.environ.get("VOICECOACH_UPDATE_GOLDEN"):
        golden.write_text(got)
    assert golden.exists(), f"no golden transcript for {path.name}: record it (see above)"
    assert got == golden.read_text()


def test_every_session_says_something_and_ends() -> None:
    assert len(SESSIONS) >= 18
    for path in SESSIONS:
        text = path.with_suffix(".golden").read_text()
        assert "coach:" in text, path.name
        assert "session_end" in text, path.name
