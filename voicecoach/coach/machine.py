"""The dialogue core: a pure state machine from events to actions.

Theory of operation
-------------------
`Coach.handle(event) -> list[Action]` is the only entry point.  The coach never reads a
clock, never sleeps and does no I/O: time arrives inside events (`event.t`), and waiting
is an action (`StartTimer`) whose expiry comes back as a `TimerExpired` event.  At most
one timer is live at a time; every timer gets a fresh id, so a late expiry of a cancelled
timer is recognised and ignored.

A session moves through phases:

    choosing ──► steps ──► ready ──► active (holds / reps / rests / switches) ──► next exercise
        ▲                                 │                                        │
        └──────── routine done ◄──────────┴────────────────────────────────────────┘

and, from anywhere, into the side phases paused, confirm_stop, pain, emergency, fall_check
and tired, which remember where they came from.  Pain, an emergency and a possible fall
("I can't get up") put the session on hold (`hold`): from then on nothing restarts
until the person says resume (and then gently, from the start of the hold); cancelling a
stop, a device coming back or carrying on after tiredness return to the hold, not to the
exercise.  TABLE below says, for each phase, which method answers
each intent; intents missing there fall back to GLOBAL, so "stop", "it hurts" and "help"
work in every phase.  Everything that affects transitions lives in this file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from voicecoach.coach import script
from voicecoach.coach.adapt import adapt, fits, order_routine
from voicecoach.coach.catalogue import Catalogue, Exercise, Routine
from voicecoach.coach.events import (
    Action,
    Begin,
    CancelTimer,
    DeviceTrouble,
    End,
    Event,
    Heard,
    InputEnded,
    Log,
    Say,
    SetVoice,
    StartTimer,
    TimerExpired,
    Tone,
)
from voicecoach.coach.profile import (
    MAX_RATE,
    MAX_VOLUME,
    MIN_RATE,
    MIN_VOLUME,
    RATE_STEP,
    VOLUME_STEP,
    Profile,
    Progress,
    ResumePoint,
)
from voicecoach.understand.flags import load_flags

#: Per-intent flags (intents/flags.toml): which intents are answers, which interrupt.
FLAGS = load_flags()

# Phases.  Waiting phases expect the person to say something; the others run on timers.
IDLE, CHOOSING, STEPS, READY, ACTIVE = "idle", "choosing", "steps", "ready", "active"
PAUSED, CONFIRM_STOP, PAIN, TIRED = "paused", "confirm_stop", "pain", "tired"
EMERGENCY, FALL_CHECK = "emergency", "fall_check"
UNWELL = "unwell"
"""After dizziness, overheating or a spasm: waiting until the person feels better."""
CONFIRM_CONSTRAINTS, RESUME_OFFER, ENDED = "confirm_constraints", "resume_offer", "ended"
CHECK_READY = "check_ready"
CHECK_IN = "check_in"
"""How are you feeling today?, asked before a routine given at start-up: a short timed wait
for "tired" (a gentler session); anything else, or nothing, starts the routine as usual."""
SIDE_PHASES = frozenset({PAUSED, CONFIRM_STOP, PAIN, EMERGENCY, FALL_CHECK, TIRED, UNWELL})
WAITING = frozenset(
    {CHOOSING, READY, CONFIRM_CONSTRAINTS, RESUME_OFFER, ENDED, CHECK_READY} | SIDE_PHASES
)

#: phase -> the script.HELP line for it (help, and the "sorry" after a miss); the other
#: phases ask a question, so their line is "question".
HELP_KEY = {
    CHOOSING: "choosing", IDLE: "choosing", STEPS: "steps", READY: "ready", ACTIVE: "active",
    PAUSED: "paused", PAIN: "pain", EMERGENCY: "emergency", FALL_CHECK: "emergency",
    ENDED: "ended", UNWELL: "unwell",
}  # fmt: skip

#: Seconds of silence before a gentle re-prompt, and again before pausing.
REPROMPT_SECONDS = 15.0

#: phase -> intent -> handler name.  Intents not listed fall through to GLOBAL.
TABLE: dict[str, dict[str, str]] = {
    CHOOSING: {
        "start": "start_default", "yes": "start_default", "next": "start_default",
        "resume": "start_default", "no": "not_ready", "tired": "low_energy",
        "feel_better": "feeling_fine",
    },
    CHECK_IN: {
        "tired": "low_energy", "no": "low_energy", "yes": "feeling_fine",
        "feel_better": "feeling_fine", "start": "feeling_fine", "resume": "feeling_fine",
        "next": "feeling_fine", "none": "feeling_fine",
    },
    STEPS: {
        "next": "next_step", "previous": "previous_step", "start": "begin_segments",
        "yes": "begin_segments",
    },
    READY: {
        "start": "begin_segments", "yes": "begin_segments", "next": "begin_segments",
        "resume": "begin_segments", "no": "not_ready", "previous": "previous_exercise",
    },
    ACTIVE: {"next": "next_exercise", "previous": "previous_exercise", "start": "ready_now",
             "yes": "ready_now", "resume": "ready_now"},
    PAUSED: {
        "resume": "resume", "start": "resume", "yes": "resume", "next": "next_exercise",
        "previous": "previous_exercise", "pause": "already_paused",
    },
    CONFIRM_STOP: {
        "yes": "end_by_request", "stop": "end_by_request", "no": "cancel_stop",
        "resume": "cancel_stop", "start": "cancel_stop",
    },
    PAIN: {
        "resume": "resume_after_pain", "start": "resume_after_pain", "next": "skip",
        "no": "skip", "yes": "easier",
    },
    EMERGENCY: {
        "resume": "resume_after_emergency", "start": "resume_after_emergency",
        "yes": "emergency_wait", "help": "emergency", "pause": "emergency_wait",
    },
    FALL_CHECK: {"yes": "emergency", "no": "not_fallen", "help": "emergency"},
    TIRED: {
        "yes": "end_tired", "stop": "end_tired", "no": "carry_on_tired",
        "resume": "carry_on_tired", "start": "carry_on_tired",
    },
    CONFIRM_CONSTRAINTS: {"yes": "keep_constraints", "no": "drop_constraints"},
    UNWELL: {"feel_better": "feel_better", "resume": "feel_better", "start": "feel_better"},
    CHECK_READY: {"yes": "steady", "no": "not_steady", "skip": "not_steady",
                  "next": "not_steady", "easier": "not_steady"},
    RESUME_OFFER: {"yes": "accept_resume", "resume": "accept_resume", "no": "decline_resume"},
    ENDED: {"start": "restart", "yes": "restart", "choose_routine": "restart_with",
            "choose_exercise": "restart_with", "stop": "already_ended"},
}  # fmt: skip

GLOBAL: dict[str, str] = {
    "stop": "ask_stop", "pain": "pain", "emergency": "emergency", "help": "help",
    "cant_get_up": "cant_get_up",
    "status": "status",
    "repeat": "repeat", "pause": "pause", "resume": "not_paused", "tired": "tired",
    "dizzy": "symptom", "overheated": "symptom", "spasm": "symptom", "feel_better": "glad",
    "slower": "voice", "faster": "voice", "louder": "voice", "quieter": "voice",
    "cant_lie_down": "constraint", "cant_stand": "constraint", "in_bed": "constraint",
    "seated": "constraint", "easier": "easier", "harder": "harder", "skip": "skip",
    "next": "next_exercise", "previous": "previous_exercise",
    "choose_routine": "choose_routine", "choose_exercise": "choose_exercise",
    "progress": "progress", "start": "not_now", "yes": "not_now", "no": "not_now",
    "none": "sorry",
}  # fmt: skip

INTENT_CONSTRAINT = {
    "cant_lie_down": "no_lying",
    "cant_stand": "no_standing",
    "in_bed": "in_bed",
    "seated": "seated",
}


@dataclass(frozen=True)
class Running:
    """Progress through the current timed segment."""

    segment: int
    """Index into the exercise plan."""
    started: float | None
    """When the segment's clock started (its opening line heard, its tone played), shifted
    back by time already done; None while the opening line is still being said."""
    fired: int = 0
    """How many of the segment's cues have been given."""
    done_before: float = 0.0
    """Seconds already done when the segment (re)started (a resumed hold)."""


@dataclass(frozen=True)
class Suspended:
    """What a side phase (paused, confirm_stop, pain, tired) returns to."""

    phase: str
    elapsed: float | None = None
    """Seconds already done of the running segment, if one was running."""


class Coach:
    """One session.  Feed it events; carry out the actions it returns."""

    def __init__(
        self,
        catalogue: Catalogue,
        profile: Profile | None = None,
        progress: Progress | None = None,
        resume_point: ResumePoint | None = None,
        routine: str | None = None,
        default_routine: str = "morning",
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.catalogue = catalogue
        self.profile = profile or Profile()
        self.progress_summary = progress
        self.resume_point = resume_point
        self.start_routine = routine
        self.default_routine = catalogue.routine(default_routine)
        self.warnings = warnings
        self.rate = self.profile.rate
        self.volume = self.profile.volume
        # Remembered limits hold from the first word: only the person lifts them ("no").
        self.constraints: set[str] = set(self.profile.constraints)
        self.preferred = dict(self.profile.preferred)
        self.phase = IDLE
        self.routine: Routine | None = None
        self.queue: list[str] = []
        self.index = 0
        self.exercise: Exercise | None = None
        self.plan: list[script.Segment] = []
        self.step = 0
        self.running: Running | None = None
        self.suspended: Suspended | None = None
        self.rest_scale = 1.0
        self.reps_done = 0
        self.hold_done = 0.0
        self.last_instruction = ""
        self.silences = 0
        self.finished_routine = False
        # What has been said this session, so nothing is said twice.
        self.introduced: set[str] = set()
        self.said_cautions: set[str] = set()
        self.equipment_said: set[str] = set()
        self.done_versions: list[str] = []
        """Versions done (or under way) in the current routine, so none is done twice."""
        self.pending: Exercise | None = None
        """An exercise waiting on a readiness question (CHECK_READY)."""
        self.cleared: set[str] = set()
        """Exercises the person said they are steady enough for, this session."""
        self.checked_in = False
        """Asked and answered "how are you feeling today?" (or started without it)."""
        self.gentle = False
        """Low energy today: a shorter, gentler session."""
        self.routine_started = 0.0
        self.routine_count = 0
        """Exercises finished in the current routine, and in the whole session."""
        self.session_count = 0
        self.resume_elapsed: float | None = None
        """Seconds done of the segment a symptom interrupted, to carry on from on "ready"."""
        self.hold: str | None = None
        """PAIN, EMERGENCY, FALL_CHECK or PAUSED while the session is on hold for safety:
        where asides return to, until an explicit resume."""
        self.now = 0.0
        self._timer: str | None = None
        self._serial = 0
        self._out: list[Action] = []

    # --- the one entry point --------------------------------------------------------------

    def handle(self, event: Event) -> list[Action]:
        self._out = []
        self.now = max(self.now, event.t)
        if isinstance(event, Begin):
            self._begin()
        elif isinstance(event, Heard):
            self._heard(event)
        elif isinstance(event, TimerExpired):
            if event.timer == self._timer:
                self._timer = None
                self._timer_expired()
        elif isinstance(event, InputEnded):
            if self.phase != ENDED:
                self._end("input ended")
        elif isinstance(event, DeviceTrouble):
            self._device(event)
        return self._out

    @property
    def waiting(self) -> bool:
        """True when the coach is waiting for the person (no activity timer is running)."""
        return self.phase in WAITING or self.phase == IDLE

    @property
    def expects_answer(self) -> bool:
        """True when a yes or no would mean something."""
        return self.phase in WAITING and self.phase != ENDED

    @property
    def current_id(self) -> str | None:
        return self.exercise.id if self.exercise else None

    # --- output helpers --------------------------------------------------------------------

    def _say(self, text: str, kind: str = "info") -> None:
        if not text:
            return
        self._out.append(Say(text, kind))
        if kind in {"instruction", "question", "safety"}:
            self.last_instruction = text

    def _tone(self, name: str) -> None:
        self._out.append(Tone(name))

    def _log(self, kind: str, **data: object) -> None:
        self._out.append(Log(kind, dict(data)))

    def _start_timer(self, seconds: float, after_speech: bool = True) -> None:
        """One live timer.  It counts from when what was said so far has been heard, or
        (after_speech False) from now: a hold's cues keep the hold's own clock."""
        self._cancel_timer()
        self._serial += 1
        self._timer = f"t{self._serial}"
        self._out.append(StartTimer(self._timer, max(0.0, seconds), after_speech))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._out.append(CancelTimer(self._timer))
            self._timer = None

    def _wait_for_user(self, phase: str) -> None:
        """Enter a waiting phase: a re-prompt timer runs so silence is never a dead end."""
        self.phase = phase
        self.silences = 0
        # Silence counts from when the coach stops talking (timers start after speech).
        self._start_timer(REPROMPT_SECONDS)

    # --- session start ---------------------------------------------------------------------

    def _begin(self) -> None:
        if self.phase != IDLE:
            return
        self._log("session_start", routine=self.start_routine)
        if (self.rate, self.volume) != (Profile().rate, Profile().volume):
            self._out.append(SetVoice(self.rate, self.volume))
        if self.progress_summary is not None and self.progress_summary.sessions_total > 0:
            # Someone who knows the coach: a short hello, the safety reminder in one line.
            self._say(script.WELCOME_BACK)
            self._say(script.SAFETY_REMINDER, "safety")
        else:
            self._say(script.WELCOME)
            self._say(script.SAFETY_NOTE, "safety")
        for warning in self.warnings:
            self._say(warning, "error")
        remembered = sorted(self.profile.constraints)
        if remembered:
            self._say(script.constraints_question(remembered), "question")
            self._wait_for_user(CONFIRM_CONSTRAINTS)
        else:
            self._after_constraints()

    def _after_constraints(self) -> None:
        if self.start_routine:
            self._say(script.CHECK_IN_QUESTION, "question")
            self.phase = CHECK_IN
            self._start_timer(script.CHECK_IN_SECONDS)
        elif self._resume_target() is not None:
            routine, exercise = self._resume_target()  # type: ignore[misc]
            self._say(script.resume_offer(routine, exercise), "question")
            self._wait_for_user(RESUME_OFFER)
        else:
            self._ask_choice()

    def _resume_target(self) -> tuple[Routine, Exercise] | None:
        point = self.resume_point
        if point is None:
            return None
        try:
            return self.catalogue.routine(point.routine), self.catalogue.exercise(point.exercise)
        except KeyError:
            return None  # the catalogue changed since; nothing sensible to resume

    def _ask_choice(self) -> None:
        if not self.checked_in:
            self._say(script.CHECK_IN_CHOOSING, "question")
        self._say(script.choose_prompt(self.default_routine), "question")
        self._wait_for_user(CHOOSING)

    def _on_low_energy(self, event: Heard) -> None:
        """Low energy today (before any routine): fewer exercises, one set, longer rests."""
        if self.checked_in or self.finished_routine:
            self._on_tired(event)
            return
        self.checked_in, self.gentle = True, True
        self.rest_scale = max(self.rest_scale, script.GENTLE_REST_SCALE)
        self._log("check_in", energy="low")
        self._say(script.GENTLE_TODAY)
        self._after_check_in()

    def _on_feeling_fine(self, event: Heard) -> None:
        if self.checked_in:
            self._on_glad(event)
            return
        self.checked_in = True
        self._log("check_in", energy="ok")
        self._say(script.GOOD_TO_GO)
        self._after_check_in()

    def _after_check_in(self) -> None:
        if self.phase == CHECK_IN and self.start_routine:
            self._cancel_timer()
            self._start_routine(self.catalogue.routine(self.start_routine))
        else:
            self._say(script.choose_prompt(self.default_routine), "question")
            self._wait_for_user(CHOOSING)

    # --- dispatch --------------------------------------------------------------------------

    def _heard(self, event: Heard) -> None:
        if self.phase == IDLE:
            self._begin()
        name = TABLE.get(self.phase, {}).get(event.intent) or GLOBAL.get(event.intent, "sorry")
        if self.phase == ENDED and name not in TABLE[ENDED].values():
            if event.intent == "none":
                return  # listening quietly for "start": talk in the room gets no answer
            name = {"pain": "pain", "emergency": "emergency", "help": "help",
                    "cant_get_up": "cant_get_up", "dizzy": "symptom", "overheated": "symptom",
                    "spasm": "symptom"}.get(event.intent, "ended_hint")
        handler: Callable[[Heard], None] = getattr(self, f"_on_{name}")
        handler(event)

    def _timer_expired(self) -> None:
        if self.phase == CHECK_IN:
            self._on_feeling_fine(Heard("none", self.now))  # no answer: the usual session
        elif self.phase == STEPS:
            self._advance_step()
        elif self.phase == ACTIVE:
            self._cue()
        elif self.phase in WAITING:
            self._silence()

    def _silence(self) -> None:
        self.silences += 1
        if self.phase == UNWELL:
            # One reminder, then wait: someone dizzy or in spasm is not hurried along.
            if self.silences == 1:
                self._say(self.last_instruction, "question")
            return
        if self.phase in (EMERGENCY, FALL_CHECK):
            # One reminder of how to get help, then wait as long as it takes: whoever is on
            # the floor must not be talked at, nor left with a session that ended itself.
            if self.silences == 1:
                self._say(script.EMERGENCY_HELP, "safety")
                wait = script.EMERGENCY_WAIT if self.phase == EMERGENCY else script.FALL_QUESTION
                self._say(wait, "question")
            return
        if self.phase == CHOOSING and self.finished_routine:
            if self.silences == 1:
                self._say(script.ANOTHER, "question")
                self._start_timer(REPROMPT_SECONDS)
            else:
                self._say(script.FINISHED_SILENCE)
                self._end("finished")
            return
        if self.silences == 1 and self.phase != PAUSED:
            self._say(self._reprompt(), "question")
            self._start_timer(REPROMPT_SECONDS)
        elif self.phase != PAUSED:
            self._suspend(PAUSED)
            self._say(script.SILENCE_PAUSE, "instruction")

    def _reprompt(self) -> str:
        if self.phase == READY:
            return script.READY_AGAIN
        if self.phase == CHOOSING:
            return script.choose_again(self.default_routine)
        return self.last_instruction or script.HELP["question"]

    # --- choosing --------------------------------------------------------------------------

    def _on_start_default(self, _: Heard) -> None:
        if self.finished_routine:
            # "Ready" or "I'm all right" after a whole routine is not a wish for another.
            self._say(script.WHICH_NEXT, "question")
            self._keep_waiting()
            return
        self._start_routine(self.default_routine)

    def _on_choose_routine(self, event: Heard) -> None:
        routine = self.catalogue.routines.get(event.slots.get("routine", ""))
        if routine is None:
            self._on_sorry(event)
            return
        self._leave_exercise()
        self._start_routine(routine)

    def _on_choose_exercise(self, event: Heard) -> None:
        ident = event.slots.get("exercise", "")
        if ident not in self.catalogue.exercises:
            self._on_sorry(event)
            return
        self._leave_exercise()
        if ident in self.queue[self.index :]:
            self.index = self.queue.index(ident, self.index)
        elif self.queue and self.phase != CHOOSING:
            self.queue.insert(self.index, ident)
        else:
            self.queue, self.index, self.routine = [ident], 0, None
        self.finished_routine = False
        self._enter_exercise()

    def _start_routine(self, routine: Routine) -> None:
        self.routine = routine
        self.done_versions = []
        self.queue = order_routine(
            self.catalogue, routine.exercises, self.constraints, self.preferred
        )
        if self.gentle:
            self.queue = self.queue[: script.GENTLE_EXERCISES]
        self.checked_in = True
        self.routine_started, self.routine_count = self.now, 0
        self.index = 0
        self.finished_routine = False
        self._log("routine", routine=routine.id, exercises=list(self.queue))
        self._say(script.routine_intro(routine, len(self.queue)), "instruction")
        self._say(script.have_ready(self._new_equipment(self._versions(self.queue))))
        self._enter_exercise()

    def _versions(self, ids: list[str]) -> list[Exercise]:
        """The versions of these exercises the person will do, given their constraints."""
        out = []
        for ident in ids:
            wanted = self.preferred.get(ident, ident)
            version = adapt(self.catalogue, wanted if wanted in self.catalogue.exercises
                            else ident, self.constraints).exercise
            if version is not None:
                out.append(version)
        return out

    def _new_equipment(self, exercises: list[Exercise]) -> list[str]:
        """Equipment not mentioned yet this session; no chair for someone already sitting
        in theirs, no bed for someone in it."""
        skip = set(self.equipment_said)
        if self.constraints & {"seated", "in_bed"}:
            skip.add("chair")
        if "in_bed" in self.constraints:
            skip.add("bed")
        items = [item for e in exercises for item in e.equipment if item not in skip]
        items = list(dict.fromkeys(items))
        self.equipment_said.update(items)
        return items

    def _cautions(self, exercise: Exercise) -> list[str]:
        """Every caution the first time an exercise comes up this session, and the ones a
        limit makes matter whenever it is on; never the same words twice in a session."""
        lines = list(exercise.cautions) if exercise.id not in self.introduced else []
        lines += [text for c, text in exercise.limit_cautions.items() if c in self.constraints]
        fresh = [text for text in dict.fromkeys(lines) if text not in self.said_cautions]
        self.said_cautions.update(fresh)
        return fresh

    # --- exercises -------------------------------------------------------------------------

    def _enter_exercise(self) -> None:
        """Introduce queue[index], adapted to the person's constraints, or skip it."""
        while self.index < len(self.queue):
            original = self.catalogue.exercise(self.queue[self.index])
            wanted = self.preferred.get(original.id, original.id)
            if wanted not in self.catalogue.exercises:
                wanted = original.id  # a remembered version that no longer exists
            adaptation = adapt(self.catalogue, wanted, self.constraints)
            if adaptation.exercise is None:
                self._say(script.skip_reason(original, adaptation.reason), "instruction")
                self._log("exercise_skipped", exercise=original.id, reason=adaptation.reason)
                self.index += 1
                continue
            exercise = adaptation.exercise
            if exercise.requires and exercise.id not in self.cleared:
                self._ask_if_steady(exercise)
                return
            if wanted != original.id:
                self._log("swapped", exercise=original.id, to=wanted, reason="preferred")
            if adaptation.swapped:
                why = ",".join(sorted(self.constraints))
                self._log("swapped", exercise=wanted, to=exercise.id, reason=why)
            if exercise.id != original.id:
                reason = adaptation.reason or script.PREFERRED
                self._say(script.swap_line(original, exercise, reason))
            self._introduce(exercise)
            return
        self._routine_done()

    def _introduce(self, exercise: Exercise) -> None:
        self.exercise = exercise
        dosed = exercise
        if self.gentle and exercise.dose.sets > 1:
            dosed = replace(exercise, dose=replace(exercise.dose, sets=1))  # one set today
        self.plan = script.plan(dosed, self.rest_scale)
        self.running = None
        self.reps_done, self.hold_done = 0, 0.0
        total = len(self.queue)
        self._log("exercise_start", exercise=exercise.id, index=self.index, total=total)
        self._say(script.exercise_intro(exercise, self.index, total), "instruction")
        if exercise.id not in self.introduced:
            self._say(exercise.intro)
        self._say(script.have_ready(self._new_equipment([exercise]), for_exercise=True))
        for caution in self._cautions(exercise):
            self._say(caution, "safety")
        self.introduced.add(exercise.id)
        if exercise.id not in self.done_versions:
            self.done_versions.append(exercise.id)
        self.step = 0
        self.phase = STEPS
        self._say_step()

    def _ask_if_steady(self, exercise: Exercise) -> None:
        """Before an exercise that builds on another (the lunge on the single leg stand)."""
        assert exercise.requires is not None
        first = self.catalogue.exercise(exercise.requires)
        self.pending = exercise
        self._say(script.steady_question(exercise, first, first.id in self.done_versions),
                  "question")
        self._wait_for_user(CHECK_READY)

    def _on_steady(self, _: Heard) -> None:
        assert self.pending is not None
        self.cleared.add(self.pending.id)
        self.pending = None
        self._enter_exercise()

    def _on_not_steady(self, _: Heard) -> None:
        assert self.pending is not None
        exercise, self.pending = self.pending, None
        first = self.catalogue.exercise(exercise.requires or exercise.id)
        self._say(script.not_steady(exercise, first))
        self._log("exercise_skipped", exercise=self.queue[self.index], reason="balance first")
        self.index += 1
        self._enter_exercise()

    def _say_step(self) -> None:
        assert self.exercise is not None
        self._say(self.exercise.steps[self.step], "instruction")
        self._start_timer(script.STEP_GAP_SECONDS)

    def _advance_step(self) -> None:
        assert self.exercise is not None
        if self.step + 1 < len(self.exercise.steps):
            self.step += 1
            self._say_step()
        else:
            self._say(script.READY, "question")
            self._wait_for_user(READY)

    def _on_next_step(self, _: Heard) -> None:
        self._cancel_timer()
        self._advance_step()

    def _on_previous_step(self, _: Heard) -> None:
        self.step = max(0, self.step - 1)
        self._say_step()

    def _finish_exercise(self) -> None:
        assert self.exercise is not None
        self._log(
            "exercise_done",
            exercise=self.exercise.id,
            reps=self.reps_done,
            hold_seconds=round(self.hold_done, 1),
        )
        self._say(script.exercise_done(self.exercise))
        self.routine_count += 1
        self.session_count += 1
        self.exercise = None
        self.index += 1
        self._enter_exercise()

    def _leave_exercise(self) -> None:
        """Stop whatever runs, noting progress, before jumping elsewhere."""
        self._cancel_timer()
        self.running = None
        self.suspended = None
        self.resume_elapsed = None
        self.hold = None

    def _routine_done(self) -> None:
        self.exercise = None
        self.finished_routine = True
        minutes = (self.now - self.routine_started) / 60
        self._say(script.routine_summary(self.routine_count, minutes))
        self._say(script.ANOTHER, "question")
        self._wait_for_user(CHOOSING)

    def _on_next_exercise(self, _: Heard) -> None:
        if self.exercise is None:
            self._on_start_default(_)
            return
        self._leave_exercise()
        self._say("Moving on.")
        self._finish_exercise()

    def _on_previous_exercise(self, _: Heard) -> None:
        if not self.queue:
            self._on_not_now(_)
            return
        if self.index == 0:
            self._say(script.FIRST_EXERCISE)
        self._leave_exercise()
        self.index = max(0, self.index - 1)
        self.finished_routine = False
        self._enter_exercise()

    def _on_skip(self, event: Heard) -> None:
        if self.exercise is None:
            self._on_not_now(event)
            return
        reason = self._held_outcome() or "asked to skip"
        self._leave_exercise()
        self._log("exercise_skipped", exercise=self.exercise.id, reason=reason)
        self._say(f"Okay, skipping {self.exercise.name}.")
        self.exercise = None
        self.index += 1
        self._enter_exercise()

    # --- timed segments --------------------------------------------------------------------

    def _on_begin_segments(self, _: Heard) -> None:
        if self.resume_elapsed is not None and self.running is not None:
            # Back after a symptom: carry on from where the person was.
            elapsed, self.resume_elapsed = self.resume_elapsed, None
            segment = self.plan[self.running.segment]
            if segment.kind == "reps" and elapsed > script.REPS_LEAD_IN:
                # From the start of the rep that was cut short, with its count.
                done = (elapsed - script.REPS_LEAD_IN + 1e-6) // segment.rep_seconds
                elapsed = max(0.0, script.REPS_LEAD_IN + done * segment.rep_seconds - 0.001)
            left = segment.seconds - elapsed
            self._say(script.resumed(left if segment.kind in {"hold", "rest"} else None))
            self._start_segment(self.running.segment, elapsed)
            return
        self._start_segment(0 if self.running is None else self.running.segment)

    def _start_segment(self, index: int, elapsed: float = 0.0) -> None:
        assert self.exercise is not None
        if index >= len(self.plan):
            self._finish_exercise()
            return
        self.phase = ACTIVE
        segment = self.plan[index]
        cues = self._cues(segment)
        fired = sum(1 for offset, _ in cues if offset <= elapsed and elapsed > 0)
        self.running = Running(index, None, fired, elapsed)
        if elapsed == 0:
            self._say(script.segment_start(self.exercise, segment), "instruction")
        # The segment's clock starts once its opening line has been heard: a timer of
        # nothing, after speech (see _start_clock).
        self._start_timer(0.0)

    def _start_clock(self) -> None:
        """The opening line has been heard: the hold tone, and the segment's clock runs."""
        assert self.running is not None
        segment = self.plan[self.running.segment]
        if segment.kind == "hold" and self.running.done_before == 0:
            self._tone("hold_start")
        self.running = replace(self.running, started=self.now - self.running.done_before)
        self._schedule_next_cue()

    @staticmethod
    def _cues(segment: script.Segment) -> list[tuple[float, str]]:
        if segment.kind == "hold":
            return script.hold_cues(segment.seconds)
        if segment.kind == "reps":
            return script.rep_cues(segment)
        if segment.kind == "rest":
            return script.rest_cues(segment)
        return [(segment.seconds, "switch_done")]

    def _schedule_next_cue(self) -> None:
        assert self.running is not None
        assert self.running.started is not None
        cues = self._cues(self.plan[self.running.segment])
        offset, _ = cues[self.running.fired]
        self._start_timer(offset - (self.now - self.running.started), after_speech=False)

    def _cue(self) -> None:
        assert self.running is not None
        if self.running.started is None:
            self._start_clock()
            return
        segment = self.plan[self.running.segment]
        cues = self._cues(segment)
        elapsed = self.now - self.running.started
        while self.running.fired < len(cues) and cues[self.running.fired][0] <= elapsed + 1e-6:
            _, cue = cues[self.running.fired]
            self.running = replace(self.running, fired=self.running.fired + 1)
            self._give_cue(cue, segment)
        if self.running.fired >= len(cues):
            self._segment_done(segment)
        else:
            self._schedule_next_cue()

    def _give_cue(self, cue: str, segment: script.Segment) -> None:
        if cue == "halfway":
            self._say(script.HALFWAY, "cue")
        elif cue == "ten_left":
            self._say(script.TEN_LEFT, "cue")
        elif cue.startswith("count_"):
            self._tone("countdown")
            self._say(script.number(int(cue.removeprefix("count_"))), "count")
        elif cue == "release":
            self._tone("release")
            self._say(script.RELEASE, "cue")
        elif cue.startswith("rep_"):
            self._tone("rep")
            self._say(script.rep_line(segment, int(cue.removeprefix("rep_"))), "count")
        elif cue.startswith("move_"):
            self._say(segment.moves[int(cue.removeprefix("move_"))][1], "cue")
        elif cue == "rest_ten_left":
            self._say(script.REST_TEN_LEFT, "cue")
        elif cue == "rest_over":
            self._tone("rest_over")
            if segment.seconds >= script.SHORT_REST:  # after a short rest the next line is enough
                self._say(script.REST_OVER, "cue")

    def _segment_done(self, segment: script.Segment) -> None:
        assert self.running is not None
        if segment.kind == "hold":
            self.hold_done += segment.seconds
        elif segment.kind == "reps":
            self.reps_done += segment.reps
        following = self.running.segment + 1
        if segment.then_ready:
            self.running = Running(following, None)
            self._say(script.READY, "question")
            self._wait_for_user(READY)
            return
        self._start_segment(following)

    def _elapsed(self) -> float | None:
        if self.phase != ACTIVE or self.running is None:
            return None
        if self.running.started is None:
            return self.running.done_before
        return self.now - self.running.started

    # --- pausing and side phases ------------------------------------------------------------

    def _suspend(self, phase: str) -> None:
        """Stop the clock of whatever runs and remember it, then enter a side phase."""
        if self.phase not in SIDE_PHASES:
            self.suspended = Suspended(self.phase, self._elapsed())
        self._cancel_timer()
        if phase == PAUSED:
            self.phase = PAUSED  # no re-prompt: a pause waits as long as it takes
        else:
            self._wait_for_user(phase)

    def _restore(self) -> None:
        """Go back to the suspended phase; a hold carries on with the time it had left.
        On hold for safety, go back to the hold instead: only "resume" leaves it."""
        if self.hold is not None:
            self._back_to_hold()
            return
        back = self.suspended or Suspended(CHOOSING)
        self.suspended = None
        if back.phase == ACTIVE and self.running is not None:
            segment = self.plan[self.running.segment]
            left = segment.seconds - (back.elapsed or 0.0)
            self._say(script.resumed(left if segment.kind in {"hold", "rest"} else None))
            self._start_segment(self.running.segment, back.elapsed or 0.0)
        elif back.phase == ENDED:  # a possible fall after the end: back to the end, quietly
            self.phase = ENDED
            self._say(script.ENDED)
        elif back.phase == STEPS and self.exercise is not None:
            self.phase = STEPS
            self._say_step()
        elif back.phase == READY:
            self._say(script.READY, "question")
            self._wait_for_user(READY)
        elif back.phase == CHOOSING or self.exercise is None:
            if self.finished_routine:
                self._say(script.ANOTHER, "question")
                self._wait_for_user(CHOOSING)
            else:
                self._ask_choice()
        else:
            self._say(self.last_instruction, "question")
            self._wait_for_user(back.phase)

    def _on_pause(self, _: Heard) -> None:
        self._suspend(PAUSED)
        self._say(script.PAUSED, "instruction")

    def _on_already_paused(self, _: Heard) -> None:
        self._say(script.PAUSED, "instruction")

    def _on_resume(self, event: Heard) -> None:
        if self.hold is not None and event.intent in {"resume", "start"}:
            line = script.RESUME_CAREFUL if self.hold == PAIN else script.RESUME_AFTER_EMERGENCY
            self._resume_gently(line)
            return
        self._restore()

    def _on_not_paused(self, event: Heard) -> None:
        if self.phase == STEPS:
            self._say("We're going through the steps.")
            return
        self._on_already_going(event)

    def _on_ready_now(self, event: Heard) -> None:
        """"Ready" while changing sides ends the get-ready pause; otherwise we're going."""
        running = self.running
        if running is not None and self.plan[running.segment].kind == "switch":
            self._cancel_timer()
            self._start_segment(running.segment + 1)
        elif event.intent in FLAGS.answers:
            self._on_sorry(event)  # nothing was asked
        else:
            self._on_already_going(event)

    def _on_already_going(self, _: Heard) -> None:
        self._say("We're already going. Say pause if you need a break.")

    def _on_not_ready(self, _: Heard) -> None:
        self._say(script.NOT_READY)
        self._wait_for_user(self.phase)

    def _on_ask_stop(self, _: Heard) -> None:
        self._suspend(CONFIRM_STOP)
        self._say(script.STOP_QUESTION, "question")

    def _on_cancel_stop(self, _: Heard) -> None:
        self._say(script.STOP_CANCELLED_ON_HOLD if self.hold else script.STOP_CANCELLED)
        self._restore()

    def _on_end_by_request(self, _: Heard) -> None:
        self._end("asked to stop")

    def _end(self, reason: str) -> None:
        self._cancel_timer()
        outcome = self._held_outcome() or ("tired" if reason == "tired" else None)
        if self.exercise is not None and (self.running is not None or outcome):
            # Only an exercise that was going and was not cut short by pain, a fall or
            # tiredness counts as done (history, weekly progress and the carers' report).
            self._log(
                "exercise_stopped" if outcome else "exercise_done",
                exercise=self.exercise.id,
                reps=self.reps_done,
                hold_seconds=round(self.hold_done, 1),
                **({"outcome": outcome} if outcome else {}),
            )
        self._say(script.goodbye(self.session_count))
        self._log("session_end", reason=reason)
        self.phase = ENDED
        self.exercise = None
        self._out.append(End(reason))

    # --- safety --------------------------------------------------------------------------

    def _held_outcome(self) -> str | None:
        """Why the exercise in hand was cut short, for the log: None if it was not."""
        if self.hold is None or self.exercise is None:
            return None
        return {PAIN: "pain", PAUSED: "cant_get_up"}.get(self.hold, "emergency")

    def _back_to_hold(self) -> None:
        """An aside is over but the session is on hold: say so again and keep waiting."""
        hold = self.hold
        assert hold is not None
        if hold == PAUSED:
            self.phase = PAUSED
            self._cancel_timer()
            self._say(script.PAUSED, "instruction")
            return
        question = {
            PAIN: script.PAIN_OFFER, EMERGENCY: script.EMERGENCY_WAIT,
            FALL_CHECK: script.FALL_QUESTION,
        }[hold]  # fmt: skip
        self._say(question, "question")
        self._wait_for_user(hold)

    def _on_cant_get_up(self, _: Heard) -> None:
        # Maybe a fall, maybe a hard chair: stop everything and ask, never assume.
        self._cancel_timer()
        self._log("cant_get_up", exercise=self.current_id)
        if self.phase != FALL_CHECK:
            self._say(script.EMERGENCY_STOP, "safety")
        self._suspend(FALL_CHECK)
        self.hold = FALL_CHECK
        self._say(script.FALL_QUESTION, "question")

    def _on_not_fallen(self, _: Heard) -> None:
        """Not on the floor: how to get up or sit safely, then a pause until they resume."""
        self._say(script.GET_UP_HELP, "safety")
        if self.suspended is not None and self.suspended.phase == ENDED:
            self.hold, self.suspended = None, None
            self.phase = ENDED
            self._cancel_timer()
            return
        self.hold = PAUSED
        self._back_to_hold()

    def _on_pain(self, _: Heard) -> None:
        # Pain always stops the clock first; nothing resumes until the person says so.
        self._cancel_timer()
        self._log("pain", exercise=self.current_id)
        self._say(script.PAIN_STOP, "safety")
        self._say(script.PAIN_ADVICE, "safety")
        if self.phase == ENDED:
            return
        if self.exercise is None:
            self.hold = None
            self._say(script.PAIN_IDLE, "question")
            self._wait_for_user(CHOOSING)
            return
        self._suspend(PAIN)
        self.hold = PAIN
        self._say(script.PAIN_OFFER, "question")

    def _on_emergency(self, event: Heard) -> None:
        # Like pain, everything stops at once; then how to get help, since the coach
        # cannot call anyone, advice that fits what was said (chest pain is not a fall),
        # and a wait with no time limit.
        self._cancel_timer()
        self._log("emergency", exercise=self.current_id)
        self._say(script.EMERGENCY_STOP, "safety")
        self._say(script.EMERGENCY_HELP, "safety")
        for line in script.emergency_advice(event.text):
            self._say(line, "safety")
        if self.phase == ENDED:
            return
        self._suspend(EMERGENCY)
        self.hold = EMERGENCY
        self._say(script.EMERGENCY_WAIT, "question")

    def _on_emergency_wait(self, _: Heard) -> None:
        self._say(script.EMERGENCY_WAIT, "question")
        self._wait_for_user(EMERGENCY)

    def _on_resume_after_emergency(self, _: Heard) -> None:
        self._resume_gently(script.RESUME_AFTER_EMERGENCY)

    def _on_resume_after_pain(self, _: Heard) -> None:
        self._resume_gently(script.RESUME_CAREFUL)

    def _resume_gently(self, line: str) -> None:
        """Back from pain or an emergency: a hold starts again from its beginning."""
        self.hold = None
        self._say(line, "safety")
        back = self.suspended
        self.suspended = None
        if back is not None and back.phase == ACTIVE and self.running is not None:
            self._start_segment(self.running.segment)  # from the start of the segment
        else:
            self.suspended = back
            self._restore()

    def _on_symptom(self, event: Heard) -> None:
        """Dizzy, too hot or a spasm: stop at once, say what helps, wait until it passes."""
        self._cancel_timer()
        self._log("symptom", symptom=event.intent, exercise=self.current_id)
        for line in script.SYMPTOM_ADVICE[event.intent]:
            self._say(line, "safety")
        if event.intent == "overheated":
            self._lengthen_rests()
        if self.phase == ENDED:
            return
        self._suspend(UNWELL)
        self._say(script.SYMPTOM_OFFER[event.intent], "question")

    def _lengthen_rests(self) -> None:
        """Longer rests for the rest of today, this exercise's remaining ones included."""
        if self.rest_scale >= script.HOT_REST_SCALE:
            return
        factor = script.HOT_REST_SCALE / self.rest_scale
        self.rest_scale = script.HOT_REST_SCALE
        current = self.running.segment if self.running is not None else -1
        self.plan = [
            replace(seg, seconds=round(seg.seconds * factor))
            if i > current and seg.kind == "rest" else seg
            for i, seg in enumerate(self.plan)
        ]

    def _on_feel_better(self, _: Heard) -> None:
        if self.hold is not None:
            # The symptom came while on hold after pain or an emergency: only "resume"
            # goes on from that.
            self._say(script.GLAD)
            self._back_to_hold()
            return
        self._say(script.FEEL_BETTER)
        suspended = self.suspended
        if suspended is not None and suspended.phase == ACTIVE and self.running is not None:
            self.suspended = None
            self.resume_elapsed = suspended.elapsed or 0.0
            self._say(script.BACK_IN_POSITION, "question")
            self._wait_for_user(READY)
        else:
            self._restore()

    def _on_glad(self, _: Heard) -> None:
        """ "I'm fine now" outside a symptom: welcome, but it restarts nothing."""
        self._say(script.GLAD)
        if self.phase in {PAIN, EMERGENCY, FALL_CHECK}:
            self._say(script.HELP[HELP_KEY[self.phase]], "question")
        self._keep_waiting()

    def _on_tired(self, _: Heard) -> None:
        self._log("tired", exercise=self.current_id)
        self.rest_scale = 1.5  # rests stay longer for the rest of the session
        self._suspend(TIRED)
        self._say(script.TIRED_REST)
        self._say(script.TIRED_OFFER, "question")

    def _on_end_tired(self, _: Heard) -> None:
        self._end("tired")

    def _on_carry_on_tired(self, _: Heard) -> None:
        if self.hold is not None:
            self._back_to_hold()
            return
        back = self.suspended
        self.suspended = None
        if self.exercise is None or back is None or back.phase not in {ACTIVE, READY, STEPS}:
            self.suspended = back
            self._restore()
            return
        self._say(script.TIRED_CARRY_ON)
        resume_at = self.running.segment if self.running is not None else 0
        rest = script.Segment("rest", script.TIRED_REST_SECONDS, then_ready=True)
        self.plan.insert(resume_at, rest)
        self._start_segment(resume_at)

    # --- adapting --------------------------------------------------------------------------

    def _on_constraint(self, event: Heard) -> None:
        constraint = INTENT_CONSTRAINT[event.intent]
        if constraint in self.constraints:
            self._say(script.CONSTRAINT_ALREADY[constraint])
            return
        self.constraints.add(constraint)
        self._log("constraint", constraint=constraint, active=sorted(self.constraints))
        self._say(script.CONSTRAINT_ACK[constraint])
        self._replan()
        if self.phase == CHECK_READY:
            self.pending = None
            self._enter_exercise()  # the exercise asked about may no longer be the one
            return
        if self.exercise is None or fits(self.exercise, self.constraints):
            return
        original = self.exercise
        adaptation = adapt(self.catalogue, original.id, self.constraints)
        self._leave_exercise()
        if adaptation.exercise is None:
            self._say(script.skip_reason(original, adaptation.reason), "instruction")
            self._log("exercise_skipped", exercise=original.id, reason=adaptation.reason)
            self.exercise = None
            self.index += 1
            self._enter_exercise()
            return
        self._log("swapped", exercise=original.id, to=adaptation.exercise.id, reason=constraint)
        self._say(script.swap_line(original, adaptation.exercise, adaptation.reason))
        self._introduce(adaptation.exercise)

    def _replan(self) -> None:
        """After a new limit: the rest of the routine again, with no version done twice and
        positions kept together."""
        if self.routine is None or not self.queue:
            return
        start = self.index + (1 if self.exercise is not None else 0)
        done = list(self.done_versions)
        if self.exercise is not None:
            current = adapt(self.catalogue, self.exercise.id, self.constraints).exercise
            done += [current.id] if current is not None else []
        rest = order_routine(
            self.catalogue, self.queue[start:], self.constraints, self.preferred, done
        )
        if rest != self.queue[start:]:
            self.queue = self.queue[:start] + rest
            self._log("routine", routine=self.routine.id, exercises=list(self.queue))

    def _on_easier(self, event: Heard) -> None:
        self._swap_level(event, "easier")

    def _on_harder(self, event: Heard) -> None:
        self._swap_level(event, "harder")

    def _swap_level(self, event: Heard, direction: str) -> None:
        if self.exercise is None:
            self._say(script.NO_EXERCISE)
            return
        linked = self.exercise.easier if direction == "easier" else self.exercise.harder
        target = None
        if linked is not None:
            target = adapt(self.catalogue, linked, self.constraints).exercise
        if target is None or target.id == self.exercise.id:
            self._say(script.ALREADY_EASIEST if direction == "easier" else script.ALREADY_HARDEST)
            if self.phase == PAIN:
                self._say(script.PAIN_OFFER, "question")
            return
        original = self.exercise
        self._leave_exercise()
        self.preferred[self.queue[self.index] if self.queue else original.id] = target.id
        self._log("swapped", exercise=original.id, to=target.id, reason=direction)
        line = script.easier_line if direction == "easier" else script.harder_line
        self._say(line(target))
        self._introduce(target)

    # --- information -----------------------------------------------------------------------

    def _on_help(self, _: Heard) -> None:
        key = HELP_KEY.get(self.phase, "question")
        self._say(script.HELP[key])
        if key != "ended":
            self._say(script.ALWAYS)
        self._keep_waiting()

    def _on_status(self, _: Heard) -> None:
        self._say(self._status())
        self._keep_waiting()

    def _status(self) -> str:
        if self.exercise is None:
            if self.finished_routine:
                return "We've finished the routine."
            return "We haven't started yet."
        parts = [script.exercise_intro(self.exercise, self.index, len(self.queue))]
        running, elapsed = self.running, self._elapsed()
        if self.suspended is not None and self.suspended.elapsed is not None:
            elapsed = self.suspended.elapsed
        if running is not None and elapsed is not None:
            segment = self.plan[running.segment]
            left = max(0.0, segment.seconds - elapsed)
            if segment.kind == "reps":
                done = max(0, running.fired - (1 if running.fired > segment.reps else 0))
                left_reps = segment.reps - min(done, segment.reps)
                unit = "rep" if left_reps == 1 else "reps"
                parts.append(f"{script.number(left_reps).capitalize()} {unit} left.")
            else:
                what = {"hold": "in this hold", "rest": "of rest"}.get(segment.kind, "")
                parts.append(f"{script.about_seconds(left).capitalize()} left {what}.".strip())
            if segment.sets > 1:
                of = f"{script.number(segment.set_no)} of {script.number(segment.sets)}"
                parts.append(f"Set {of}.")
        elif self.phase == STEPS:
            parts.append(
                f"Step {script.number(self.step + 1)} of {script.number(len(self.exercise.steps))}."
            )
        return " ".join(parts)

    def _on_repeat(self, _: Heard) -> None:
        if not self.last_instruction:
            self._say(script.NOTHING_TO_REPEAT)
            return
        self._out.append(Say(self.last_instruction, "instruction"))
        if self.phase == STEPS:
            self._start_timer(script.STEP_GAP_SECONDS)
        else:
            self._keep_waiting()

    def _on_progress(self, _: Heard) -> None:
        p = self.progress_summary
        if p is None or p.sessions_total == 0:
            self._say(script.FIRST_SESSION)
        else:
            sessions = (
                "one session"
                if p.sessions_this_week == 1
                else (f"{script.number(p.sessions_this_week)} sessions")
            )
            days = p.days_active_last_14
            self._say(
                f"This week you've done {sessions} and {script.number(p.exercises_this_week)} "
                f"exercises, and you've been active on {script.number(days)} of the last "
                "fourteen days. Keep it up."
            )
        self._keep_waiting()

    def _on_voice(self, event: Heard) -> None:
        rate, volume = self.rate, self.volume
        if event.intent == "slower":
            rate = max(MIN_RATE, rate - RATE_STEP)
        elif event.intent == "faster":
            rate = min(MAX_RATE, rate + RATE_STEP)
        elif event.intent == "louder":
            volume = min(MAX_VOLUME, round(volume + VOLUME_STEP, 2))
        else:
            volume = max(MIN_VOLUME, round(volume - VOLUME_STEP, 2))
        if (rate, volume) == (self.rate, self.volume):
            self._say(script.VOICE_LIMIT[event.intent])
        else:
            self.rate, self.volume = rate, volume
            self._out.append(SetVoice(rate, volume))
            self._log("voice", rate=rate, volume=volume)
            self._say(script.VOICE_CHANGED[event.intent])
        self._keep_waiting()

    def _keep_waiting(self) -> None:
        """An aside while waiting restarts the silence clock rather than using it up."""
        if self.phase in WAITING and self.phase not in {PAUSED, ENDED}:
            self._wait_for_user(self.phase)

    def _on_sorry(self, _: Heard) -> None:
        self._say(script.sorry(script.HELP[HELP_KEY.get(self.phase, "question")]), "error")
        self._keep_waiting()

    def _on_not_now(self, event: Heard) -> None:
        if event.intent in FLAGS.answers:
            self._on_sorry(event)  # an answer when nothing was asked
            return
        self._say(script.NOT_NOW)
        self._keep_waiting()

    # --- remembered state at the start -------------------------------------------------------

    def _on_keep_constraints(self, _: Heard) -> None:
        self.constraints = set(self.profile.constraints)
        self._log("constraint", constraint=None, active=sorted(self.constraints))
        self._say("Okay, I'll keep that in mind.")
        self._after_constraints()

    def _on_drop_constraints(self, _: Heard) -> None:
        self.constraints = set()
        self._log("constraint", constraint=None, active=[])
        self._say("Good to hear. I'll use the usual exercises.")
        self._after_constraints()

    def _on_accept_resume(self, _: Heard) -> None:
        target = self._resume_target()
        assert target is not None
        assert self.resume_point is not None
        routine, _exercise = target
        self.routine = routine
        self.queue = list(routine.exercises)
        self.index = min(self.resume_point.index, len(self.queue) - 1)
        self._log("routine", routine=routine.id, exercises=self.queue)
        self._say(f"Okay, back to {script.routine_name(routine)}.")
        self._enter_exercise()

    def _on_decline_resume(self, _: Heard) -> None:
        self._ask_choice()

    # --- after the end -------------------------------------------------------------------------

    def _on_restart(self, _: Heard) -> None:
        self.phase = CHOOSING
        self._log("session_start", routine=None)
        self._start_routine(self.default_routine)

    def _on_restart_with(self, event: Heard) -> None:
        self.phase = CHOOSING
        self._log("session_start", routine=event.slots.get("routine"))
        self.queue, self.index = [], 0
        if event.intent == "choose_routine":
            self._on_choose_routine(event)
        else:
            self._on_choose_exercise(event)

    def _on_already_ended(self, _: Heard) -> None:
        self._say(script.ENDED)

    def _on_ended_hint(self, _: Heard) -> None:
        self._say(script.ENDED)

    # --- devices -----------------------------------------------------------------------------

    def _device(self, event: DeviceTrouble) -> None:
        if event.ok:
            if self.phase == PAUSED:
                self._say(f"The {event.what} is back.")
                self._restore()
            return
        if self.phase not in {PAUSED, ENDED, IDLE}:
            self._suspend(PAUSED)
        self._log("device", what=event.what)
        self._say(f"I've lost the {event.what}, so I've paused. I'll carry on when it's back.")
