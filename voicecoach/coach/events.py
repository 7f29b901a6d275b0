"""The coach's vocabulary: events in, actions out.

Everything that crosses the boundary of the pure dialogue core is one of these frozen
dataclasses.  Events carry the time `t` (seconds, from whatever clock the caller injects)
so the coach can tell how much of a hold is left without reading a clock itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Begin:
    """The session starts (the runtime is ready to listen)."""

    t: float = 0.0


@dataclass(frozen=True)
class Heard:
    """An utterance, already matched to an intent (`none` when it is not a command)."""

    intent: str
    t: float = 0.0
    slots: dict[str, str] = field(default_factory=dict)
    confidence: float = 1.0
    text: str = ""
    guess: str = ""
    """For `none`: the command the words most likely meant, too unsure to act on (the
    coach may ask about it); else empty."""
    guess_slots: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TimerExpired:
    """A timer the coach started has run out."""

    timer: str
    t: float = 0.0


@dataclass(frozen=True)
class InputEnded:
    """No more input will come (end of a typed script or an audio file)."""

    t: float = 0.0


@dataclass(frozen=True)
class DeviceTrouble:
    """The runtime lost (ok=False) or got back (ok=True) an audio device."""

    what: str
    ok: bool
    t: float = 0.0


Event = Begin | Heard | TimerExpired | InputEnded | DeviceTrouble

# --- actions ------------------------------------------------------------------------------

#: Say.kind values: how a line is used, so the runtime and tests can tell them apart.
SAY_KINDS = ("instruction", "cue", "count", "question", "info", "safety", "error")

#: Tone.name values: short cues generated in code (see voicecoach.voice.tones).
TONES = ("hold_start", "countdown", "release", "rep", "rest_over")


@dataclass(frozen=True)
class Say:
    """Speak a line.  `kind` is one of SAY_KINDS."""

    text: str
    kind: str = "info"


@dataclass(frozen=True)
class Tone:
    """Play a short cue tone.  `name` is one of TONES."""

    name: str


@dataclass(frozen=True)
class StartTimer:
    """Ask for TimerExpired(timer) after `seconds`; a timer with the same id is replaced."""

    timer: str
    seconds: float
    after_speech: bool = True
    """Count from when the speech and tones asked for so far have been heard (a rest, a
    re-prompt, the wait after a step); False counts from the event's own time (the cues
    inside a hold, kept on the hold's clock whatever their words take to say)."""


@dataclass(frozen=True)
class CancelTimer:
    """Forget a timer started earlier (no TimerExpired will be wanted)."""

    timer: str


@dataclass(frozen=True)
class SetVoice:
    """Change the speaking rate (words per minute) and volume (0..1) from now on."""

    rate: int
    volume: float


@dataclass(frozen=True)
class Log:
    """Something worth remembering happened (see LOG_KINDS); the store records it."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


#: Log.kind values and the keys of their data.
LOG_KINDS = {
    "session_start": ("routine",),
    "routine": ("routine", "exercises"),
    "routine_done": ("routine", "done"),  # the routine's last exercise is over
    "exercise_start": (
        "exercise",
        "index",
        "total",
        "routine",
        "planned_reps",
        "planned_hold_seconds",
    ),  # index: queue position from 0; routine None: an exercise chosen on its own;
    # planned: at the person's own dose (coach.dose)
    "exercise_done": ("exercise", "reps", "hold_seconds"),
    "exercise_stopped": ("exercise", "outcome", "reps", "hold_seconds"),  # outcome: pain,
    # emergency, cant_get_up or tired: cut short, so not done
    "exercise_skipped": ("exercise", "reason", "index"),
    # A choice misheard, undone before it began: the exercise introduced (at queue position
    # index) was never attempted, the routine (None: an exercise was chosen) never done.
    "choice_undone": ("exercise", "index", "routine"),
    "swapped": ("exercise", "to", "reason", "index"),
    "constraint": ("constraint", "active"),  # constraint None: the set was confirmed or cleared
    "pain": ("exercise", "side", "said"),
    "emergency": ("exercise", "side", "said"),
    "symptom": ("symptom", "exercise", "side", "said"),  # symptom: dizzy, overheated, spasm
    "cant_get_up": ("exercise",),
    "tired": ("exercise",),
    "voice": ("rate", "volume"),
    # The person's own dose of an exercise changed (coach.dose): change is the intent
    # (hold_longer ...), reason "asked" or "progression"; the dose from now on, and the
    # parts that differ from the catalogue's (`personal`).
    "dose": ("exercise", "change", "reason", "hold_seconds", "reps", "rest_seconds", "personal"),
    "step_up_declined": ("exercise",),  # the weekly step up offered, and not taken
    "device": ("what",),
    "session_end": ("reason",),
    "check_in": ("energy",),  # energy: ok or low
    "bookend": ("part", "bookend", "seconds"),  # a warm-up or cool-down begins; part:
    # warm_up or cool_down, seconds: how long today
    "bookend_done": ("part",),
    "bookend_skipped": ("part",),
    # Words most likely meant a command the coach was unsure of: it asked "did you mean ...?"
    # (guess), and the answer, yes (taken) or no (guess_answer).
    "guess": ("intent", "slots", "said"),
    "guess_answer": ("intent", "taken"),
    # A check-in answer only half heard, taken as tired or unwell (a gentle day).
    "check_in_guess": ("intent", "said"),
}


@dataclass(frozen=True)
class End:
    """The session is over; the runtime may stop."""

    reason: str


Action = Say | Tone | StartTimer | CancelTimer | SetVoice | Log | End
