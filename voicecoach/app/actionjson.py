"""Actions as JSON objects and as readable lines (for `text`, logs and tests)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from voicecoach.coach.events import Action, End, Say, SetVoice, Tone
from voicecoach.understand.intents import Match


def action_name(action: Action) -> str:
    """StartTimer -> start_timer."""
    name = type(action).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def action_json(
    t: float, action: Action, exercise: str | None, heard: Match | None
) -> dict[str, Any]:
    """{"t", "action", "text", "exercise", "intent", ...the action's own fields}."""
    fields = asdict(action)
    out: dict[str, Any] = {"t": round(t, 3), "action": action_name(action)}
    out["text"] = fields.pop("text", None)
    out["exercise"] = exercise
    out["intent"] = heard.intent if heard is not None else None
    if heard is not None:
        out["heard"] = heard.text
        out["confidence"] = round(heard.confidence, 3)
    out.update(fields)
    return out


def action_line(t: float, action: Action) -> str | None:
    """A readable line for what a person would hear; None for internal actions."""
    stamp = f"[{t:7.1f}s]"
    if isinstance(action, Say):
        return f"{stamp} coach: {action.text}"
    if isinstance(action, Tone):
        return f"{stamp} ({action.name.replace('_', ' ')} tone)"
    if isinstance(action, SetVoice):
        return f"{stamp} (voice: rate {action.rate}, volume {action.volume})"
    if isinstance(action, End):
        return f"{stamp} (session ended: {action.reason})"
    return None
