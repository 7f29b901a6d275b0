"""What the coach knows about the person when a session starts (loaded from the store)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from voicecoach.coach.dose import Remembered

DEFAULT_RATE = 150
"""Speaking rate, words per minute."""
MIN_RATE, MAX_RATE, RATE_STEP = 90, 220, 20
DEFAULT_VOLUME = 0.8
MIN_VOLUME, MAX_VOLUME, VOLUME_STEP = 0.3, 1.0, 0.15


@dataclass(frozen=True)
class Profile:
    """Remembered settings and abilities; all optional, the defaults suit a first session."""

    rate: int = DEFAULT_RATE
    """Speaking rate, words per minute."""
    volume: float = DEFAULT_VOLUME
    """Speaking volume, 0..1."""
    constraints: frozenset[str] = frozenset()
    """Standing constraints from earlier sessions (to confirm once at the start)."""
    preferred: dict[str, str] = field(default_factory=dict)
    """exercise id -> the alternative id the person settled on (e.g. an easier version)."""
    doses: dict[str, Remembered] = field(default_factory=dict)
    """exercise id -> the dose the person settled on ("hold shorter", a step up)."""
    step_ups: frozenset[str] = frozenset()
    """Exercises that earned a weekly step up (coach.progression), to offer at their start."""


def resolve(
    rate: int | None = None, volume: float | None = None, remembered: Profile | None = None
) -> Profile:
    """The one profile a session starts with: the config's starting values (`rate`,
    `volume`), then what the person asked for last time (`remembered`), clamped here and
    only here.  It opens the speaker and seeds the coach, so they cannot disagree."""
    base = remembered or Profile(
        rate=DEFAULT_RATE if rate is None else rate,
        volume=DEFAULT_VOLUME if volume is None else volume,
    )
    return replace(
        base,
        rate=int(min(MAX_RATE, max(MIN_RATE, base.rate))),
        volume=round(min(MAX_VOLUME, max(MIN_VOLUME, base.volume)), 2),
    )


@dataclass(frozen=True)
class Progress:
    """A short summary of past sessions, for the `progress` intent."""

    sessions_this_week: int = 0
    sessions_total: int = 0
    exercises_this_week: int = 0
    days_active_last_14: int = 0
    pain_reports_this_week: int = 0
    familiar: frozenset[str] = frozenset()
    """Exercises done (finished) in the last fourteen days: their steps need not be told
    in full again."""


@dataclass(frozen=True)
class ResumePoint:
    """Where an interrupted session stopped, so the coach can offer to carry on."""

    routine: str
    exercise: str
    index: int
