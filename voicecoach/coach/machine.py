"""The dialogue core: a pure state machine from events to actions.

Everything that affects transitions lives in this file: the phases, the triggers, and
`Coach._transitions`, one literal table from (phase, trigger) to (handler, next phase).

Theory of operation
-------------------
`Coach.handle(event) -> list[Action]` is the only entry point.  The coach never reads a
clock, never sleeps and does no I/O: time arrives inside events (`event.t`), and waiting
is an action (`StartTimer`) whose expiry comes back as a `TimerExpired` event.  At most
one timer is live at a time; every timer gets a fresh id and a kind, so a late expiry of
a cancelled timer is recognised and ignored, and a live one becomes the trigger of its
kind (the gap after a step, a segment's clock starting, a cue falling due, silence, the
check-in's wait).

Each event becomes one trigger: an intent's name, a timer's kind, or BEGIN, INPUT_ENDED,
DEVICE_LOST, DEVICE_BACK.  The table gives the handler and the next phase for the phase
the session is in; a trigger missing there falls back to the rows that hold everywhere
(EVERYWHERE), so "stop", "it hurts" and "help" work in every phase.  A phase with an
OTHERWISE row (the ended session) is closed: it takes no fallback.  A trigger with no row
is not for this phase: it changes nothing and says nothing.

A session moves through phases:

    choosing ──► bookend (warm-up) ──► steps ──► ready ──► active (holds / reps / rests /
        ▲                                ▲            switches) ──► next exercise ─┐
        │                                └──────────────────────────────────────────┤
        └──────── routine done ◄──── bookend (cool-down) ◄── after the last one ◄───┘

and, from anywhere, into the side phases paused, confirm_stop, pain, emergency, fall_check,
unwell and tired, which remember where they came from (`Suspended`): the RETURN marker
goes back there.  Pain, an emergency and a possible fall ("I can't get up") put the
session on hold (`hold`): from then on nothing restarts until the person says resume
(and then gently, from the start of the hold); cancelling a stop, a device coming back or
carrying on after tiredness return to the hold, not to the exercise.

Where the next phase depends on the session's plan (the next exercise may need a
readiness question, or the routine may be over) the row says so with a marker: EXERCISE
(into the exercise in hand, `_enter_exercise`), RETURN (`_return`), or FLOW (the handler
works it out and returns it).  Only `_fire` writes the phase.  Entering a waiting phase
starts its silence clock (`_listen`) at the point where the question has been asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum, StrEnum

from voicecoach.coach import dose, script
from voicecoach.coach.adapt import adapt, fits, order_routine
from voicecoach.coach.catalogue import Bookend, Catalogue, Exercise, Routine
from voicecoach.coach.clock import SegmentClock, from_rep_start
from voicecoach.coach.constraints import INTENT_CONSTRAINT, fits_position
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
from voicecoach.coach.unclear import Reply, UnclearTalk
from voicecoach.understand.flags import NONE, load_flags

#: Per-intent flags (intents/flags.toml): which intents are answers, which interrupt.
FLAGS = load_flags()


class Phase(StrEnum):
    """Where a session is.  A StrEnum, so logs and stored values keep their plain strings.
    Waiting phases expect the person to say something; the others run on timers."""

    IDLE = "idle"
    CHOOSING = "choosing"
    CHECK_IN = "check_in"
    """How are you feeling today?, asked before a routine given at start-up: a short timed
    wait for "tired" (a gentler session); anything else, or nothing, starts the routine."""
    STEPS = "steps"
    READY = "ready"
    ACTIVE = "active"
    PAUSED = "paused"
    CONFIRM_STOP = "confirm_stop"
    PAIN = "pain"
    TIRED = "tired"
    EMERGENCY = "emergency"
    FALL_CHECK = "fall_check"
    UNWELL = "unwell"
    """After dizziness, overheating or a spasm: waiting until the person feels better."""
    CONFIRM_CONSTRAINTS = "confirm_constraints"
    RESUME_OFFER = "resume_offer"
    CHECK_READY = "check_ready"
    STEP_UP = "step_up"
    """At the start of an exercise that has gone well all week: a small step up, yes or no."""
    BOOKEND = "bookend"
    """A warm-up before a routine's first exercise or a cool-down after its last: timed
    moves, each said and then given its time."""
    ENDED = "ended"


class Trigger(StrEnum):
    """Triggers other than intents (an intent's trigger is its name).  The brackets keep
    them apart from any intent name."""

    BEGIN = "<begin>"
    INPUT_ENDED = "<input ended>"
    DEVICE_LOST = "<device lost>"
    DEVICE_BACK = "<device back>"
    # Timer kinds: a live timer's expiry is the trigger of its kind.
    STEP_GAP = "<step gap over>"
    SEGMENT_START = "<segment clock starts>"
    CUE = "<cue due>"
    SILENCE = "<silence>"
    CHECK_IN_OVER = "<check-in unanswered>"
    MOVE_START = "<warm-up or cool-down move starts>"
    MOVE_OVER = "<warm-up or cool-down move over>"
    OTHERWISE = "<any other intent>"
    """Not a trigger: the row for intents a phase has no row for."""


class Next(Enum):
    """Next phases that depend on the session, each resolved in one place."""

    STAY = "stay"
    """The phase does not change."""
    RETURN = "return"
    """Back to where the side phase came from, or to the safety hold (`_return`)."""
    EXERCISE = "exercise"
    """Into the exercise in hand: its steps, a readiness question, or the routine's end
    (`_enter_exercise`)."""
    FLOW = "flow"
    """The handler works it out from the plan and the queue, and returns it."""


_NOT_INTENTS = frozenset(Trigger)

Handler = Callable[[Event], "Phase | None"]
Row = tuple[Handler, "Phase | Next"]

SIDE_PHASES = frozenset({
    Phase.PAUSED, Phase.CONFIRM_STOP, Phase.PAIN, Phase.EMERGENCY, Phase.FALL_CHECK, Phase.TIRED,
    Phase.UNWELL,
})  # fmt: skip
#: Phases where the coach has asked a yes-or-no question ("Do you want to end the session?",
#: "Have you fallen?"): there an utterance it could not read may be heard as the answer on
#: the audio itself (voicecoach.understand.answers); not in READY or CHOOSING, where a TV's
#: "yes" would start something the person never asked for.
YES_NO_QUESTIONS = frozenset({
    Phase.CONFIRM_STOP, Phase.TIRED, Phase.FALL_CHECK, Phase.CONFIRM_CONSTRAINTS,
    Phase.RESUME_OFFER, Phase.CHECK_READY, Phase.STEP_UP,
})  # fmt: skip
WAITING = frozenset(
    {
        Phase.CHOOSING,
        Phase.READY,
        Phase.CONFIRM_CONSTRAINTS,
        Phase.RESUME_OFFER,
        Phase.ENDED,
        Phase.CHECK_READY,
        Phase.STEP_UP,
    }
    | SIDE_PHASES
)

#: phase -> the script.HELP line for it (help, and the "sorry" after a miss); the other
#: phases ask a question, so their line is "question".
HELP_KEY = {
    Phase.CHOOSING: "choosing", Phase.IDLE: "choosing", Phase.STEPS: "steps",
    Phase.READY: "ready", Phase.ACTIVE: "active", Phase.PAUSED: "paused", Phase.PAIN: "pain",
    Phase.EMERGENCY: "emergency", Phase.FALL_CHECK: "emergency",
    Phase.ENDED: "ended", Phase.UNWELL: "unwell", Phase.BOOKEND: "bookend",
}  # fmt: skip

#: Seconds of silence before a gentle re-prompt, and again before pausing.
REPROMPT_SECONDS = 15.0
#: A hold or rest under way takes a new length only if this much of it is still to run.
MIN_LEFT_SECONDS = 3.0


def _said(event: Event) -> Heard:
    """The utterance behind an intent's row (only intents reach those handlers)."""
    assert isinstance(event, Heard), event
    return event


#: A "no" this soon after a choice, before it begins, says the choice was misheard.
MISHEARD_CHOICE_SECONDS = 30.0
#: A yes this long after "did you want to move on?" is no longer taken as its answer.
OFFER_SECONDS = 20.0
#: What is still asked about while the coach holds for safety or waits for its own yes or
#: no: a call for help and being stuck only make the answer safer.
ESCALATIONS = frozenset({"emergency", "cant_get_up"})
#: Half-heard at the check-in, these make it a gentle day rather than the usual one.
LOW_DAY_GUESSES = frozenset({"tired", "dizzy", "overheated", "spasm", "pain"})


@dataclass(frozen=True)
class Offer:
    """A command the coach asked about because it was unsure of the words ("did you want to
    move on?"): a yes in the same phase, soon enough, does it."""

    intent: str
    slots: dict[str, str]
    where: tuple[object, ...]
    """Where the session was when asked (phase, exercise, segment, warm-up move): a yes
    anywhere else is not to this question."""
    t: float

    def answered_by(self, event: Heard, where: tuple[object, ...]) -> bool:
        return where == self.where and event.t - self.t <= OFFER_SECONDS


@dataclass(frozen=True)
class BeforeChoice:
    """Where the session stood before an exercise or routine was chosen by voice."""

    queue: list[str]
    index: int
    routine: Routine | None
    finished_routine: bool
    phase: Phase
    t: float
    """When the choice was heard."""
    routine_started: float
    routine_count: int
    done_versions: list[str]
    bookends_done: set[str]
    """A warm-up begun for a routine chosen by mistake is still to come."""


@dataclass(frozen=True)
class Suspended:
    """What a side phase (paused, confirm_stop, pain, tired) returns to."""

    phase: Phase
    elapsed: float | None = None
    """Seconds already done of the running segment, if one was running."""


class Coach:
    """One session.  Feed it events; carry out the actions it returns."""

    def _transitions(self) -> tuple[dict[Phase, dict[str, Row]], dict[str, Row]]:
        """The transition table: phase -> trigger -> (handler, next phase), and the rows
        that hold in every phase that has no row of its own for the trigger."""
        P, T, N = Phase, Trigger, Next
        stay, flow = N.STAY, N.FLOW
        everywhere: dict[str, Row] = {
            # Safety first: these work in every phase, whatever is going on.
            "stop": (self._on_ask_stop, P.CONFIRM_STOP),
            "pain": (self._on_pain, flow),
            "emergency": (self._on_emergency, flow),
            "cant_get_up": (self._on_cant_get_up, P.FALL_CHECK),
            "help": (self._on_help, stay),
            "pause": (self._on_pause, P.PAUSED),
            "tired": (self._on_tired, P.TIRED),
            "dizzy": (self._on_symptom, flow),
            "overheated": (self._on_symptom, flow),
            "spasm": (self._on_symptom, flow),
            # Asides: answered, and the session carries on where it was.
            "status": (self._on_status, stay),
            "repeat": (self._on_repeat, stay),
            "progress": (self._on_progress, stay),
            "resume": (self._on_not_paused, stay),
            "feel_better": (self._on_glad, stay),
            "slower": (self._on_voice, stay),
            "faster": (self._on_voice, stay),
            "louder": (self._on_voice, stay),
            "quieter": (self._on_voice, stay),
            "start": (self._on_not_now, stay),
            "yes": (self._on_not_now, stay),
            "no": (self._on_not_now, stay),
            "none": (self._on_sorry, stay),
            T.OTHERWISE: (self._on_sorry, stay),
            # Changing what is done.
            "cant_lie_down": (self._on_constraint, flow),
            "cant_stand": (self._on_constraint, flow),
            "in_bed": (self._on_constraint, flow),
            "seated": (self._on_constraint, flow),
            "easier": (self._on_easier, flow),
            "harder": (self._on_harder, flow),
            "skip": (self._on_skip, flow),
            "next": (self._on_next_exercise, flow),
            "previous": (self._on_previous_exercise, flow),
            "choose_routine": (self._on_choose_routine, flow),
            "choose_exercise": (self._on_choose_exercise, flow),
            # The dose, where no exercise is in hand to change: a short answer why.
            **dict.fromkeys(dose.CHANGES, (self._on_dose_elsewhere, stay)),
            # Events from the runtime.
            T.INPUT_ENDED: (self._on_input_ended, P.ENDED),
            T.DEVICE_LOST: (self._on_device_lost, P.PAUSED),
        }
        listen_on = (self._on_reprompt, flow)  # re-prompt once, then pause
        # The person's own dose: changed where an exercise is in hand (coach.dose).
        adjust_dose: dict[str, Row] = dict.fromkeys(dose.CHANGES, (self._on_dose, stay))
        device_noted = (self._on_device_noted, stay)  # nothing to pause
        table: dict[Phase, dict[str, Row]] = {
            P.IDLE: {T.BEGIN: (self._on_begin, flow), T.DEVICE_LOST: device_noted},
            P.CONFIRM_CONSTRAINTS: {
                "yes": (self._on_keep_constraints, flow),
                "no": (self._on_drop_constraints, flow),
                T.SILENCE: listen_on,
            },
            P.RESUME_OFFER: {
                "yes": (self._on_accept_resume, N.EXERCISE),
                "resume": (self._on_accept_resume, N.EXERCISE),
                "no": (self._on_decline_resume, P.CHOOSING),
                T.SILENCE: listen_on,
            },
            P.CHECK_IN: {
                "tired": (self._on_low_energy, flow), "no": (self._on_low_energy, flow),
                "yes": (self._on_feeling_fine, flow),
                "feel_better": (self._on_feeling_fine, flow),
                "start": (self._on_feeling_fine, flow), "resume": (self._on_feeling_fine, flow),
                "next": (self._on_feeling_fine, flow), "none": (self._on_unclear_check_in, flow),
                # No answer: the usual session.
                T.CHECK_IN_OVER: (self._on_feeling_fine, flow),
                T.SILENCE: (self._on_feeling_fine, flow),
            },
            P.CHOOSING: {
                "start": (self._on_start_default, flow), "yes": (self._on_start_default, flow),
                "next": (self._on_start_default, flow),
                "resume": (self._on_start_default, flow),
                "no": (self._on_not_ready, P.CHOOSING),
                "tired": (self._on_low_energy, flow),
                "feel_better": (self._on_feeling_fine, flow),
                T.SILENCE: (self._on_choosing_silence, flow),
            },
            P.CHECK_READY: {
                "yes": (self._on_steady, N.EXERCISE), "no": (self._on_not_steady, N.EXERCISE),
                "skip": (self._on_not_steady, N.EXERCISE),
                "next": (self._on_not_steady, N.EXERCISE),
                "easier": (self._on_not_steady, N.EXERCISE),
                **adjust_dose,
                T.SILENCE: listen_on,
            },
            P.STEP_UP: {
                "yes": (self._on_step_up, P.STEPS),
                # Only a yes takes the step: "ready" or "next" carry on as it was.
                "no": (self._on_keep_dose, P.STEPS), "start": (self._on_keep_dose, P.STEPS),
                "next": (self._on_keep_dose, P.STEPS),
                # A dose of their own choosing answers the offer too.
                **dict.fromkeys(dose.CHANGES, (self._on_own_dose_instead, P.STEPS)),
                T.SILENCE: (self._on_keep_dose, P.STEPS),  # never imposed
            },
            P.STEPS: {
                "next": (self._on_next_step, flow), "previous": (self._on_previous_step, P.STEPS),
                "no": (self._on_no, flow),
                "start": (self._on_begin_segments, flow),
                "yes": (self._on_begin_segments, flow),
                "resume": (self._on_going_through_steps, stay),
                **adjust_dose,
                T.STEP_GAP: (self._on_step_gap, flow),
            },
            P.READY: {
                "repeat": (self._on_repeat_ready, flow),
                "start": (self._on_begin_segments, flow), "yes": (self._on_begin_segments, flow),
                "next": (self._on_begin_segments, flow),
                "resume": (self._on_begin_segments, flow),
                "no": (self._on_no, flow),
                "previous": (self._on_previous_exercise, flow),
                **adjust_dose,
                T.SILENCE: listen_on,
            },
            P.ACTIVE: {
                "next": (self._on_next_exercise, flow),
                "previous": (self._on_previous_exercise, flow),
                "start": (self._on_ready_now, flow), "yes": (self._on_ready_now, flow),
                "resume": (self._on_ready_now, flow),
                T.SEGMENT_START: (self._on_segment_start, P.ACTIVE),
                T.CUE: (self._on_cue, flow),
                **adjust_dose,
            },
            P.BOOKEND: {
                T.MOVE_START: (self._on_move_start, stay),
                T.MOVE_OVER: (self._on_move_over, flow),
                "next": (self._on_next_move, flow), "previous": (self._on_previous_move, flow),
                "start": (self._on_not_paused, stay), "resume": (self._on_not_paused, stay),
                "tired": (self._on_bookend_tired, flow),
                "no": (self._on_no, flow),
                "cant_lie_down": (self._on_bookend_constraint, flow),
                "cant_stand": (self._on_bookend_constraint, flow),
                "in_bed": (self._on_bookend_constraint, flow),
                "seated": (self._on_bookend_constraint, flow),
            },
            P.PAUSED: {
                "resume": (self._on_resume, flow), "start": (self._on_resume, flow),
                "yes": (self._on_resume, flow), "next": (self._on_next_exercise, flow),
                "previous": (self._on_previous_exercise, flow),
                "pause": (self._on_already_paused, stay),
                **adjust_dose,
                T.DEVICE_BACK: (self._on_device_back, N.RETURN),
                T.DEVICE_LOST: device_noted,
            },
            P.CONFIRM_STOP: {
                "yes": (self._on_end_by_request, P.ENDED),
                "stop": (self._on_end_by_request, P.ENDED),
                "no": (self._on_cancel_stop, N.RETURN), "resume": (self._on_cancel_stop, N.RETURN),
                "start": (self._on_cancel_stop, N.RETURN),
                T.SILENCE: listen_on,
            },
            P.PAIN: {
                "resume": (self._on_resume_after_pain, flow),
                "start": (self._on_resume_after_pain, flow),
                "next": (self._on_skip, flow), "no": (self._on_skip, flow),
                "yes": (self._on_ask_which_after_pain, P.PAIN),
                T.SILENCE: listen_on,
            },
            P.EMERGENCY: {
                "resume": (self._on_resume_after_emergency, flow),
                "start": (self._on_resume_after_emergency, flow),
                "yes": (self._on_emergency_wait, P.EMERGENCY),
                "pause": (self._on_emergency_wait, P.EMERGENCY),
                "help": (self._on_emergency, flow),
                T.SILENCE: (self._on_remind_help, stay),
            },
            P.FALL_CHECK: {
                "yes": (self._on_emergency, flow), "no": (self._on_not_fallen, flow),
                "help": (self._on_emergency, flow),
                "cant_get_up": (self._on_ask_if_fallen, P.FALL_CHECK),
                T.SILENCE: (self._on_remind_help, stay),
            },
            P.TIRED: {
                "yes": (self._on_end_tired, P.ENDED), "stop": (self._on_end_tired, P.ENDED),
                "no": (self._on_carry_on_tired, flow), "resume": (self._on_carry_on_tired, flow),
                "start": (self._on_carry_on_tired, flow),
                T.SILENCE: listen_on,
            },
            P.UNWELL: {
                "feel_better": (self._on_feel_better, flow),
                "resume": (self._on_feel_better, flow), "start": (self._on_feel_better, flow),
                T.SILENCE: (self._on_remind_once, stay),
            },
            P.ENDED: {
                # Listening quietly for "start"; safety words are still answered.
                "start": (self._on_restart, flow), "yes": (self._on_restart, flow),
                "choose_routine": (self._on_restart_with, flow),
                "choose_exercise": (self._on_restart_with, flow),
                "stop": (self._on_ended_hint, stay),
                "pain": (self._on_pain_advice, stay),
                "emergency": (self._on_emergency_advice, stay),
                "dizzy": (self._on_symptom_advice, stay),
                "overheated": (self._on_symptom_advice, stay),
                "spasm": (self._on_symptom_advice, stay),
                "help": everywhere["help"],
                "cant_get_up": everywhere["cant_get_up"],
                "none": (self._on_room_talk, stay),  # talk in the room gets no answer
                T.OTHERWISE: (self._on_ended_hint, stay),
                T.DEVICE_LOST: device_noted,
            },
        }  # fmt: skip
        return table, everywhere

    def __init__(
        self,
        catalogue: Catalogue,
        profile: Profile | None = None,
        progress: Progress | None = None,
        resume_point: ResumePoint | None = None,
        routine: str | None = None,
        default_routine: str = "morning",
        warnings: tuple[str, ...] = (),
        unclear: UnclearTalk | None = None,
    ) -> None:
        """`unclear`: how talk that meant nothing is answered (default: every line gets a
        sorry, as typed; spoken sessions pass `UnclearTalk()`)."""
        self.catalogue = catalogue
        self.unclear = unclear or UnclearTalk.typed()
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
        self.doses = {
            ident: dose.clamp(catalogue.exercise(ident), remembered.personal)
            for ident, remembered in self.profile.doses.items()
            if ident in catalogue.exercises
        }
        """exercise id -> the person's own dose (coach.dose), remembered and asked for."""
        self.dose_told: set[str] = set()
        self.unsettled_today = False
        """Pain, tiredness, a symptom or an emergency said this session: no step up today."""
        """Exercises whose remembered dose has been said this session."""
        self.offered_step_up: set[str] = set()
        """Exercises offered a step up this session (once, whatever the answer)."""
        self.phase: Phase = Phase.IDLE
        self.routine: Routine | None = None
        self.queue: list[str] = []
        self.index = 0
        self.exercise: Exercise | None = None
        self.plan: list[script.Segment] = []
        self.rep_pace = 1.0
        """How long each rep takes against the catalogue's ("slower" stretches it)."""
        self.step = 0
        self.steps_said = 0
        """How many of the exercise's steps are said before "ready?" (fewer when familiar)."""
        self.bookend: Bookend | None = None
        """The warm-up or cool-down under way, and its move in hand."""
        self.move = 0
        self.bookends_done: set[str] = set()
        """Kinds of bookend begun: the warm-up this session, the cool-down this routine."""
        self.running: SegmentClock | None = None
        """The segment in hand: running in ACTIVE, or the one to start on "ready"."""
        self.suspended: Suspended | None = None
        self.rest_scale = 1.0
        self.reps_done = 0
        self.hold_done = 0.0
        self.announced: set[tuple[str | None, float]] = set()
        """(side, seconds) of the holds announced in full in the exercise in hand."""
        self.tired_in: str | None = None
        """The exercise the person said they were tired in: moving on from it is logged as
        stopped for tiredness, not done."""
        self.last_instruction = ""
        self.silences = 0
        self.finished_routine = False
        self.before_choice: BeforeChoice | None = None
        """Where things stood before the exercise or routine just chosen by voice, until it
        begins: a "no" then means the choice was misheard, and puts things back."""
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
        self.asked_check_in = False
        """Asked "how are you feeling today?" while choosing: once a session is enough."""
        self.gentle = False
        """Low energy today: a shorter, gentler session."""
        self.routine_started = 0.0
        self.routine_count = 0
        """Exercises finished in the current routine, and in the whole session."""
        self.session_count = 0
        self.resume_elapsed: float | None = None
        """Seconds done of the segment a symptom interrupted, to carry on from on "ready"."""
        self.offer: Offer | None = None
        """The command asked about in the last "did you mean ...?", until the next word."""
        self.hold: Phase | None = None
        """PAIN, EMERGENCY, FALL_CHECK or PAUSED while the session is on hold for safety:
        where asides return to, until an explicit resume."""
        self.now = 0.0
        self._timer: str | None = None
        self._timer_kind = Trigger.SILENCE
        self._serial = 0
        self._out: list[Action] = []
        self.table, self.everywhere = self._transitions()

    # --- the one entry point --------------------------------------------------------------

    def handle(self, event: Event) -> list[Action]:
        self._out = []
        if isinstance(event, Heard):
            if self.phase == Phase.IDLE:
                self._fire(Trigger.BEGIN, Begin(event.t))  # a word before Begin starts it
            self._heard(event)
        elif isinstance(event, TimerExpired):
            if event.timer == self._timer:  # else a cancelled timer's late expiry
                if self._timer_kind == Trigger.SILENCE:
                    # The phase's own question is asked again: a yes now answers that.
                    self.offer = None
                self._fire(self._timer_kind, event)
        elif isinstance(event, Begin):
            self._fire(Trigger.BEGIN, event)
        elif isinstance(event, InputEnded):
            self._fire(Trigger.INPUT_ENDED, event)
        elif isinstance(event, DeviceTrouble):
            self._fire(Trigger.DEVICE_BACK if event.ok else Trigger.DEVICE_LOST, event)
        if self.offer is not None and self.offer.where != self._where():
            self.offer = None  # the session moved on: a yes now is not to that question
        return self._out

    def _heard(self, event: Heard) -> None:
        """An utterance: the answer to a "did you mean ...?", a new one to ask, or the
        intent's own row."""
        offer, self.offer = self.offer, None
        if event.intent != NONE:
            self.unclear.understood()
        if offer is not None and offer.answered_by(event, self._where()):
            if event.intent in ("yes", "no"):
                self._log("guess_answer", intent=offer.intent, taken=event.intent == "yes")
            if event.intent == "yes":
                event = replace(event, intent=offer.intent, slots=dict(offer.slots))
            elif event.intent == "no":
                self._say(script.NOT_THAT)
                self._keep_waiting()
                return
        if event.intent == NONE and event.guess and self._ask_about(event):
            return
        self._fire(event.intent, event)

    def _ask_about(self, event: Heard) -> bool:
        """Ask "did you mean ...?" instead of saying sorry, where a sorry would be said and
        the guessed command would do something here.  False: not asked."""
        answer, wanted = self.row(NONE), self.row(event.guess)
        if answer is None or wanted is None:
            return False
        if answer[0] == self._on_unclear_check_in and event.guess in ESCALATIONS:
            # At the check-in an unclear answer starts the session; a half-heard fall must
            # not, so it is asked about, with the check-in's wait begun again for the yes.
            self._start_timer(script.CHECK_IN_SECONDS, Trigger.CHECK_IN_OVER)
        elif answer[0] != self._on_sorry:
            return False
        if wanted[0] == self._on_ask_stop:
            # A half-heard stop goes to the stop question itself, which asks before ending.
            self._fire(event.guess, replace(event, intent=event.guess))
            return True
        # Rows that only say why not ("we're already going") have nothing to offer.
        why_not = (
            self._on_sorry, self._on_not_now, self._on_already_paused, self._on_not_paused,
            self._on_going_through_steps, self._on_ready_now, self._on_dose_elsewhere,
            self._on_glad,
        )  # fmt: skip
        if wanted[0] in why_not or FLAGS[event.guess].confirmed:
            return False
        if self._held_or_asking() and event.guess not in ESCALATIONS:
            # After pain, a fall, a symptom or tiredness the coach never proposes to carry
            # on, and its own open question (end the session? have you fallen?) stays open.
            return False
        question = script.did_you_mean(event.guess, self._named(event.guess_slots))
        if question is None:
            return False
        self._say(question)
        self._keep_waiting()
        self.offer = Offer(event.guess, dict(event.guess_slots), self._where(), event.t)
        self._log("guess", intent=event.guess, slots=dict(event.guess_slots), said=event.text)
        return True

    def _held_or_asking(self) -> bool:
        """Stopped for pain, a fall, a symptom or tiredness until the person says go on, or
        waiting for the answer to a yes-or-no question of its own."""
        held = {Phase.PAIN, Phase.EMERGENCY, Phase.FALL_CHECK, Phase.UNWELL, Phase.TIRED}
        return self.phase in held or self.hold in held or self.phase in YES_NO_QUESTIONS

    def _where(self) -> tuple[object, ...]:
        """The phase, exercise, segment and warm-up move: what a question was asked in."""
        segment = self.running.index if self.running is not None else None
        return (self.phase, self.current_id, segment, self.move)

    def _named(self, slots: dict[str, str]) -> str | None:
        """How the coach says the exercise or routine a choice names, if any."""
        exercise = self.catalogue.exercises.get(slots.get("exercise", ""))
        if exercise is not None:
            return exercise.name
        routine = self.catalogue.routines.get(slots.get("routine", ""))
        return script.routine_name(routine) if routine is not None else None

    def row(self, trigger: str) -> Row | None:
        """The table's row for `trigger` in the current phase; None: not for this phase."""
        rows = self.table.get(self.phase, {})
        intent = trigger not in _NOT_INTENTS
        if trigger in rows:
            return rows[trigger]
        if Trigger.OTHERWISE in rows:  # a closed phase: no fallback
            return rows[Trigger.OTHERWISE] if intent else None
        if trigger in self.everywhere:
            return self.everywhere[trigger]
        return self.everywhere[Trigger.OTHERWISE] if intent else None

    def _fire(self, trigger: str, event: Event) -> None:
        """Run the row for `trigger`, then move to its next phase.  No row: nothing."""
        row = self.row(trigger)
        if row is None:
            return
        self.now = max(self.now, event.t)
        if isinstance(event, TimerExpired):
            self._timer = None
        handler, target = row
        decided = handler(event)
        if target is Next.FLOW:
            assert decided is not None, handler
            self.phase = decided
        elif isinstance(target, Phase):
            assert decided in (None, target), (handler, decided)
            self.phase = target
        else:
            assert decided is None, handler
            self.phase = {
                Next.STAY: lambda: self.phase,
                Next.RETURN: self._return,
                Next.EXERCISE: self._enter_exercise,
            }[target]()

    @property
    def waiting(self) -> bool:
        """True when the coach is waiting for the person (no activity timer is running)."""
        return self.phase in WAITING or self.phase == Phase.IDLE

    @property
    def expects_answer(self) -> bool:
        """True when a yes or no would mean something."""
        return (self.phase in WAITING and self.phase != Phase.ENDED) or self.offer is not None

    @property
    def asks_yes_no(self) -> bool:
        """True when the coach's question wants a yes or a no (not a choice or a ready).
        A "did you mean ...?" counts only for a safety word, where a yes heard wrongly on the
        audio errs on the safe side; for any other it could start what nobody asked for."""
        offer = self.offer
        return self.phase in YES_NO_QUESTIONS or (offer is not None and FLAGS[offer.intent].safety)

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

    def _log_report(self, kind: str, event: Event, **data: object) -> None:
        """A report of how the person is, with what was in hand and the words they said."""
        side = self.running.segment.side if self.exercise and self.running else None
        self.unsettled_today = True
        self._log(kind, **data, exercise=self.current_id, side=side, said=_said(event).text)

    def _start_timer(self, seconds: float, kind: Trigger, after_speech: bool = True) -> None:
        """One live timer; its expiry is the trigger `kind`.  It counts from when what was
        said so far has been heard, or (after_speech False) from now: a hold's cues keep
        the hold's own clock."""
        self._cancel_timer()
        self._serial += 1
        self._timer, self._timer_kind = f"t{self._serial}", kind
        self._out.append(StartTimer(self._timer, max(0.0, seconds), after_speech))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._out.append(CancelTimer(self._timer))
            self._timer = None

    def _listen(self) -> None:
        """A question has been asked: the silence clock starts (counting from when the coach
        stops talking), so silence is never a dead end."""
        self.silences = 0
        self._start_timer(REPROMPT_SECONDS, Trigger.SILENCE)

    def _keep_waiting(self) -> None:
        """An aside while waiting restarts the silence clock rather than using it up."""
        if self.phase in WAITING and self.phase not in {Phase.PAUSED, Phase.ENDED}:
            self._listen()

    # --- session start ---------------------------------------------------------------------

    def _on_begin(self, _: Event) -> Phase:
        self._log("session_start", routine=self.start_routine)
        if (self.rate, self.volume) != (Profile().rate, Profile().volume):
            self._out.append(SetVoice(self.rate, self.volume))
        if self._knows_coach:
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
            self._listen()
            return Phase.CONFIRM_CONSTRAINTS
        return self._after_constraints()

    def _after_constraints(self) -> Phase:
        if self.start_routine:
            known = self._knows_coach
            self._say(script.CHECK_IN_BRIEF if known else script.CHECK_IN_QUESTION, "question")
            wait = script.CHECK_IN_SECONDS_BRIEF if known else script.CHECK_IN_SECONDS
            self._start_timer(wait, Trigger.CHECK_IN_OVER)
            return Phase.CHECK_IN
        target = self._resume_target()
        if target is not None:
            self._say(script.resume_offer(*target), "question")
            self._listen()
            return Phase.RESUME_OFFER
        return self._ask_choice()

    @property
    def _knows_coach(self) -> bool:
        return self.progress_summary is not None and self.progress_summary.sessions_total > 0

    def _familiar(self, exercise: Exercise) -> bool:
        """Done lately (or already this session): its steps need not be told in full."""
        recent = self.progress_summary.familiar if self.progress_summary else frozenset()
        return exercise.id in recent or exercise.id in self.introduced

    def _resume_target(self) -> tuple[Routine, Exercise] | None:
        point = self.resume_point
        if point is None:
            return None
        try:
            return self.catalogue.routine(point.routine), self.catalogue.exercise(point.exercise)
        except KeyError:
            return None  # the catalogue changed since; nothing sensible to resume

    def _ask_choice(self) -> Phase:
        if not self.checked_in and not self.asked_check_in:
            # Asked once: "tired" while choosing still makes it a gentle day, unasked.
            self.asked_check_in = True
            self._say(script.CHECK_IN_CHOOSING, "question")
        self._say(script.choose_prompt(self.default_routine), "question")
        self._listen()
        return Phase.CHOOSING

    def _on_low_energy(self, event: Event, line: str = script.GENTLE_TODAY) -> Phase:
        """Low energy today (before any routine): fewer exercises, one set, longer rests."""
        if self.checked_in or self.finished_routine:
            self._on_tired(event)
            return Phase.TIRED
        self.checked_in, self.gentle = True, True
        self.rest_scale = max(self.rest_scale, script.GENTLE_REST_SCALE)
        self._log("check_in", energy="low")
        self._say(line)
        return self._after_check_in()

    def _on_unclear_check_in(self, event: Event) -> Phase:
        """Words at the check-in that were not clear.  A half-heard tiredness or symptom
        makes it a gentle day, said so: a gentler session is the cheap side of the mistake,
        pushing a tired person is not.  Anything else: the usual session."""
        if isinstance(event, Heard) and event.guess in LOW_DAY_GUESSES and not self.checked_in:
            self._log("check_in_guess", intent=event.guess, said=event.text)
            return self._on_low_energy(event, script.SOUNDED_LOW)
        return self._on_feeling_fine(event)

    def _on_feeling_fine(self, event: Event) -> Phase:
        if self.checked_in:
            self._on_glad(event)
            return self.phase
        self.checked_in = True
        self._log("check_in", energy="ok")
        if isinstance(event, Heard):  # no "good" to silence
            self._say(script.GOOD_TO_GO)
        return self._after_check_in()

    def _after_check_in(self) -> Phase:
        if self.phase == Phase.CHECK_IN and self.start_routine:
            self._cancel_timer()
            return self._start_routine(self.catalogue.routine(self.start_routine))
        self._say(script.choose_prompt(self.default_routine), "question")
        self._listen()
        return Phase.CHOOSING

    # --- silence -----------------------------------------------------------------------------

    def _on_reprompt(self, _: Event) -> Phase:
        """Silence while waiting: ask again once; silence again pauses."""
        self.silences += 1
        if self.silences == 1:
            self._say(self._reprompt(), "question")
            self._start_timer(REPROMPT_SECONDS, Trigger.SILENCE)
            return self.phase
        self._suspend(listen=False)
        self._say(script.SILENCE_PAUSE, "instruction")
        return Phase.PAUSED

    def _on_choosing_silence(self, event: Event) -> Phase:
        """After a whole routine, silence is a goodbye: one more offer, then the end."""
        if not self.finished_routine:
            return self._on_reprompt(event)
        self.silences += 1
        if self.silences == 1:
            self._say(script.ANOTHER, "question")
            self._start_timer(REPROMPT_SECONDS, Trigger.SILENCE)
            return self.phase
        self._say(script.FINISHED_SILENCE)
        self._end("finished")
        return Phase.ENDED

    def _on_remind_once(self, _: Event) -> None:
        """One reminder, then wait: someone dizzy or in spasm is not hurried along."""
        self.silences += 1
        if self.silences == 1:
            self._say(self.last_instruction, "question")

    def _on_remind_help(self, _: Event) -> None:
        """One reminder of how to get help, then wait as long as it takes: whoever is on the
        floor must not be talked at, nor left with a session that ended itself."""
        self.silences += 1
        if self.silences == 1:
            self._say(script.EMERGENCY_HELP, "safety")
            emergency = self.phase == Phase.EMERGENCY
            self._say(script.EMERGENCY_WAIT if emergency else script.FALL_QUESTION, "question")

    def _reprompt(self) -> str:
        if self.phase == Phase.READY:
            return script.READY_AGAIN
        if self.phase == Phase.CHOOSING:
            return script.choose_again(self.default_routine)
        return self.last_instruction or script.HELP["question"]

    # --- choosing --------------------------------------------------------------------------

    def _on_start_default(self, _: Event) -> Phase:
        if self.finished_routine:
            # "Ready" or "I'm all right" after a whole routine is not a wish for another.
            self._say(script.WHICH_NEXT, "question")
            self._keep_waiting()
            return self.phase
        return self._start_routine(self.default_routine)

    def _on_choose_routine(self, event: Event) -> Phase:
        routine = self.catalogue.routines.get(_said(event).slots.get("routine", ""))
        if routine is None:
            self._on_sorry(event)
            return self.phase
        before = self._where_things_stand()
        self._leave_exercise()
        phase = self._start_routine(routine)
        self.before_choice = before
        return phase

    def _on_choose_exercise(self, event: Event) -> Phase:
        ident = _said(event).slots.get("exercise", "")
        if ident not in self.catalogue.exercises:
            self._on_sorry(event)
            return self.phase
        before = self._where_things_stand()
        self._leave_exercise()
        self.before_choice = before
        if ident in self.queue[self.index :]:
            self.index = self.queue.index(ident, self.index)
        elif self.queue and self.phase != Phase.CHOOSING:
            self.queue.insert(self.index, ident)
        else:
            self.queue, self.index, self.routine = [ident], 0, None
        self.finished_routine = False
        return self._enter_exercise()

    def _start_routine(self, routine: Routine) -> Phase:
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
        self.bookends_done.discard("cool_down")  # one warm-up a session; a cool-down a routine
        self._log("routine", routine=routine.id, exercises=list(self.queue))
        intro = script.routine_intro(routine, len(self.queue), brief=self._knows_coach)
        self._say(intro, "instruction")
        self._say(script.have_ready(self._new_equipment(self._versions(self.queue))))
        return self._bookend_or("warm_up", self._enter_exercise)

    def _versions(self, ids: list[str]) -> list[Exercise]:
        """The versions of these exercises the person will do, given their constraints."""
        out = []
        for ident in ids:
            wanted = self.preferred.get(ident, ident)
            version = adapt(
                self.catalogue,
                wanted if wanted in self.catalogue.exercises else ident,
                self.constraints,
            ).exercise
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

    # --- exercises -------------------------------------------------------------------------

    def _enter_exercise(self) -> Phase:
        """Introduce queue[index], adapted to the person's constraints, or skip it."""
        while self.index < len(self.queue):
            original = self.catalogue.exercise(self.queue[self.index])
            wanted = self.preferred.get(original.id, original.id)
            if wanted not in self.catalogue.exercises:
                wanted = original.id  # a remembered version that no longer exists
            adaptation = adapt(self.catalogue, wanted, self.constraints)
            if adaptation.exercise is None:
                self._say(script.skip_reason(original, adaptation.reason), "instruction")
                self._log(
                    "exercise_skipped",
                    exercise=original.id,
                    reason=adaptation.reason,
                    index=self.index,
                )
                self.index += 1
                continue
            exercise = adaptation.exercise
            if exercise.requires and exercise.id not in self.cleared:
                return self._ask_if_steady(exercise)
            if wanted != original.id:
                self._log(
                    "swapped", exercise=original.id, to=wanted, reason="preferred", index=self.index
                )
            if adaptation.swapped:
                why = ",".join(sorted(self.constraints))
                self._log("swapped", exercise=wanted, to=exercise.id, reason=why, index=self.index)
            if exercise.id != original.id:
                reason = adaptation.reason or script.PREFERRED
                self._say(script.swap_line(original, exercise, reason))
            return self._introduce(exercise)
        return self._routine_done()

    def _introduce(self, exercise: Exercise) -> Phase:
        self.exercise = exercise
        self.plan = self._plan(exercise)
        self.running = None
        self.reps_done, self.hold_done = 0, 0.0
        self.announced = set()
        self.tired_in = None
        total = len(self.queue)
        self._log(
            "exercise_start",
            exercise=exercise.id,
            index=self.index,
            total=total,
            routine=self.routine.id if self.routine else None,
            planned_reps=sum(s.reps for s in self.plan if s.kind == "reps"),
            planned_hold_seconds=round(sum(s.seconds for s in self.plan if s.kind == "hold"), 1),
        )
        self._say(script.exercise_intro(exercise, self.index, total), "instruction")
        familiar = self._familiar(exercise)
        if not familiar:
            self._say(exercise.intro)
        self._say(script.have_ready(self._new_equipment([exercise]), for_exercise=True))
        for caution in self._cautions(exercise):
            self._say(caution, "safety")
        self.introduced.add(exercise.id)
        if exercise.id not in self.done_versions:
            self.done_versions.append(exercise.id)
        self.step = 0
        self.steps_said = 1 if familiar else len(exercise.steps)
        self._say_remembered_dose(exercise)
        if self._offer_step_up(exercise):
            return Phase.STEP_UP
        if familiar and len(exercise.steps) > 1:
            self._say(script.FAMILIAR)
        self._say_step()
        return Phase.STEPS

    def _ask_if_steady(self, exercise: Exercise) -> Phase:
        """Before an exercise that builds on another (the lunge on the single leg stand)."""
        assert exercise.requires is not None
        first = self.catalogue.exercise(exercise.requires)
        self.pending = exercise
        self._say(
            script.steady_question(exercise, first, first.id in self.done_versions), "question"
        )
        self._listen()
        return Phase.CHECK_READY

    def _on_steady(self, _: Event) -> None:
        assert self.pending is not None
        self.cleared.add(self.pending.id)
        self.pending = None

    def _on_not_steady(self, _: Event) -> None:
        assert self.pending is not None
        exercise, self.pending = self.pending, None
        first = self.catalogue.exercise(exercise.requires or exercise.id)
        self._say(script.not_steady(exercise, first))
        self._log(
            "exercise_skipped",
            exercise=self.queue[self.index],
            reason="balance first",
            index=self.index,
        )
        self.index += 1

    def _say_step(self) -> None:
        assert self.exercise is not None
        self._say(self.exercise.steps[self.step], "instruction")
        self._start_timer(script.STEP_GAP_SECONDS, Trigger.STEP_GAP)

    def _on_step_gap(self, _: Event) -> Phase:
        """The next step once the last one has had time to sink in; after the last, ready?"""
        assert self.exercise is not None
        if self.step + 1 < self.steps_said:
            self.step += 1
            self._say_step()
            return Phase.STEPS
        self._say(script.READY, "question")
        self._listen()
        return Phase.READY

    def _on_next_step(self, event: Event) -> Phase:
        self._cancel_timer()
        return self._on_step_gap(event)

    def _on_repeat_ready(self, event: Event) -> Phase:
        """ "Repeat" before starting an exercise told in short: all its steps."""
        if self.exercise is not None and self.steps_said < len(self.exercise.steps):
            self.steps_said, self.step = len(self.exercise.steps), 0
            self._say_step()
            return Phase.STEPS
        self._on_repeat(event)
        return self.phase

    def _on_previous_step(self, _: Event) -> None:
        self.step = max(0, self.step - 1)
        self._say_step()

    def _finish_exercise(self, outcome: str | None = None) -> Phase:
        assert self.exercise is not None
        self._log(
            "exercise_stopped" if outcome else "exercise_done",
            exercise=self.exercise.id,
            reps=self.reps_done,
            hold_seconds=round(self.hold_done, 1),
            **({"outcome": outcome} if outcome else {}),
        )
        self._say(script.exercise_done(self.exercise))
        self.routine_count += 1
        self.session_count += 1
        self.exercise = None
        self.index += 1
        return self._enter_exercise()

    def _where_things_stand(self) -> BeforeChoice:
        return BeforeChoice(
            list(self.queue),
            self.index,
            self.routine,
            self.finished_routine,
            self.phase,
            self.now,
            self.routine_started,
            self.routine_count,
            list(self.done_versions),
            set(self.bookends_done),
        )

    def _on_no(self, event: Event) -> Phase:
        """A "no" nobody asked for.  Soon after a choice, while the coach is still
        introducing it, the choice was most likely misheard ("no, not that one"): put
        things back as they were and ask again.  Otherwise (and to "say ready when you're
        in position": not ready yet) the same as anywhere else."""
        before = self.before_choice
        soon = before is not None and self.now - before.t <= MISHEARD_CHOICE_SECONDS
        if before is None or not soon or self.phase == Phase.READY:
            if self.phase == Phase.READY:
                self._on_not_ready(event)
            else:
                self._on_not_now(event)
            return self.phase
        self._leave_exercise()
        undone = self.routine if self.routine is not before.routine else None
        self._log(
            "choice_undone",
            exercise=self.exercise.id if self.exercise else None,
            index=self.index,
            routine=undone.id if undone else None,
        )
        self.exercise = None
        self.queue, self.index, self.routine = before.queue, before.index, before.routine
        self.finished_routine = before.finished_routine
        self.routine_started, self.routine_count = before.routine_started, before.routine_count
        self.done_versions, self.bookends_done = before.done_versions, before.bookends_done
        self._say(script.MISHEARD_CHOICE)
        if before.phase in (Phase.CHOOSING, Phase.ENDED) or not self.queue:
            self._say(script.INSTEAD, "question")
            self._listen()
            return Phase.CHOOSING
        self._say(script.BACK_TO)
        return self._enter_exercise()

    def _leave_exercise(self) -> None:
        """Stop whatever runs, noting progress, before jumping elsewhere."""
        self.before_choice = None
        self._cancel_timer()
        self.running = None
        self.suspended = None
        self.resume_elapsed = None
        self.hold = None
        self.bookend = None

    def _routine_done(self) -> Phase:
        self.exercise = None
        if self.routine is not None and self.routine_count:
            return self._bookend_or("cool_down", self._summary)
        return self._summary()

    def _summary(self) -> Phase:
        self._log(
            "routine_done",
            routine=self.routine.id if self.routine else None,
            done=self.routine_count,
        )
        if self.routine is None and not self.routine_count:
            # The one exercise chosen was left out (a choice misheard, or changed): nothing
            # has been done, so this is choosing again, not "the end of the routine".
            self._say(script.INSTEAD, "question")
            self._listen()
            return Phase.CHOOSING
        self.finished_routine = True
        minutes = (self.now - self.routine_started) / 60
        self._say(script.routine_summary(self.routine_count, minutes))
        self._say(script.ANOTHER, "question")
        self._listen()
        return Phase.CHOOSING

    def _on_next_exercise(self, event: Event) -> Phase:
        if self.exercise is None:
            return self._on_start_default(event)
        tired = self.tired_in == self.exercise.id
        self._leave_exercise()
        self._say(script.MOVING_ON)
        return self._finish_exercise("tired" if tired else None)

    def _on_previous_exercise(self, event: Event) -> Phase:
        if not self.queue:
            self._on_not_now(event)
            return self.phase
        if self.index == 0:
            self._say(script.FIRST_EXERCISE)
        self._leave_exercise()
        self.index = max(0, self.index - 1)
        self.finished_routine = False
        return self._enter_exercise()

    def _on_skip(self, event: Event) -> Phase:
        if self.bookend is not None:
            return self._skip_bookend()
        if self.exercise is None:
            self._on_not_now(event)
            return self.phase
        reason = self._held_outcome() or "asked to skip"
        self._leave_exercise()
        self._log("exercise_skipped", exercise=self.exercise.id, reason=reason, index=self.index)
        self._say(script.skipping(self.exercise))
        self.exercise = None
        self.index += 1
        return self._enter_exercise()

    # --- warm-up and cool-down ---------------------------------------------------------------

    def _bookend_or(self, kind: str, then: Callable[[], Phase]) -> Phase:
        """The warm-up (once a session) or the routine's cool-down; `then` when there is
        none, or it has been done."""
        bookend = None if kind in self.bookends_done else self._pick_bookend(kind)
        if bookend is None:
            return then()
        self.bookends_done.add(kind)
        seconds = sum(script.move_seconds(m, self.gentle) for m in bookend.moves)
        self._log("bookend", part=kind, bookend=bookend.id, seconds=seconds)
        # The person hears the moves said as well as done: promise the time it really takes.
        said = sum(script.speaking_seconds(m.say, self.rate) for m in bookend.moves)
        intro = script.bookend_intro(bookend, seconds + said, brief=self._knows_coach)
        self._say(intro, "instruction")
        self.bookend, self.move = bookend, 0
        return self._say_move()

    def _pick_bookend(self, kind: str) -> Bookend | None:
        """Done where the first (warm-up) or last (cool-down) exercise is done, unless a
        limit said since rules that out: then in bed, or else seated (which suits all)."""
        if kind == "warm_up":
            versions = self._versions(self.queue[self.index :])
            position = versions[0].position if versions else "seated"
        else:
            last = self.done_versions[-1] if self.done_versions else None
            position = self.catalogue.exercise(last).position if last else "seated"
        bed = ["bed"] if "in_bed" in self.constraints else []
        for place in [position, *bed, "seated"]:
            bookend = self.catalogue.bookend(kind, place)
            if bookend is not None and fits_position(bookend.position, self.constraints):
                return bookend
        return None

    def _say_move(self) -> Phase:
        """The move in hand: said; once heard, a tone and its time (see _on_move_start)."""
        assert self.bookend is not None
        self._say(self.bookend.moves[self.move].say, "instruction")
        self._start_timer(0.0, Trigger.MOVE_START)
        return Phase.BOOKEND

    def _on_move_start(self, _: Event) -> None:
        """The move has been said: the tone, and its clock runs (shorter on a low-energy
        day)."""
        assert self.bookend is not None
        self._tone("hold_start")
        move = self.bookend.moves[self.move]
        seconds = script.move_seconds(move, self.gentle)
        self._start_timer(seconds, Trigger.MOVE_OVER, after_speech=False)  # the tone's clock

    def _on_move_over(self, _: Event) -> Phase:
        self.before_choice = None  # a warm-up move done: the routine chosen is under way
        return self._next_move(started=True)

    def _next_move(self, started: bool) -> Phase:
        assert self.bookend is not None
        if started:
            self._tone("release")  # a move opens and closes with a hold's tones
        self.move += 1
        if self.move < len(self.bookend.moves):
            return self._say_move()
        kind = self.bookend.kind
        self.bookend = None
        self._say(script.BOOKEND_DONE[kind])
        self._log("bookend_done", part=kind)
        return self._after_bookend(kind)

    def _after_bookend(self, kind: str) -> Phase:
        return self._enter_exercise() if kind == "warm_up" else self._summary()

    def _on_next_move(self, _: Event) -> Phase:
        started = self._timer is not None and self._timer_kind == Trigger.MOVE_OVER
        self._cancel_timer()
        return self._next_move(started)

    def _on_previous_move(self, _: Event) -> Phase:
        self._cancel_timer()
        self.move = max(0, self.move - 1)
        return self._say_move()

    def _skip_bookend(self) -> Phase:
        """ "Skip" in a warm-up or cool-down (or after pain in one): leave it out."""
        assert self.bookend is not None
        kind = self.bookend.kind
        self._leave_exercise()
        self._log("bookend_skipped", part=kind)
        self._say(script.BOOKEND_SKIPPED[kind])
        return self._after_bookend(kind)

    def _on_bookend_tired(self, event: Event) -> Phase:
        """Tired in the warm-up: today becomes a gentle session (the check-in's answer, late);
        the warm-up goes on, shorter.  Tired later is tiredness as anywhere."""
        assert self.bookend is not None
        if self.bookend.kind != "warm_up" or self.gentle:
            self._on_tired(event)
            return Phase.TIRED
        self.gentle = True
        self.rest_scale = max(self.rest_scale, script.GENTLE_REST_SCALE)
        self._log("check_in", energy="low")
        self._say(script.GENTLE_TODAY)
        if len(self.queue) > self.index + script.GENTLE_EXERCISES and self.routine is not None:
            self.queue = self.queue[: self.index + script.GENTLE_EXERCISES]
            self._log("routine", routine=self.routine.id, exercises=list(self.queue))
        return self._say_move()  # the move again, at today's length

    def _on_bookend_constraint(self, event: Event) -> Phase:
        """A new limit mid warm-up: the rest of it in a position that suits."""
        self._on_constraint(event)
        bookend = self.bookend
        if bookend is None or fits_position(bookend.position, self.constraints):
            return self.phase
        self._cancel_timer()
        self.bookend = self._pick_bookend(bookend.kind)
        if self.bookend is None:
            return self._after_bookend(bookend.kind)
        self.move = min(self.move, len(self.bookend.moves) - 1)
        return self._say_move()

    # --- timed segments --------------------------------------------------------------------

    def _on_begin_segments(self, _: Event) -> Phase:
        if self.resume_elapsed is not None and self.running is not None:
            # Back after a symptom: carry on from where the person was (a set of reps from
            # the start of the rep that was cut short, with its count).
            segment = self.running.segment
            elapsed = from_rep_start(segment, self.resume_elapsed)
            self.resume_elapsed = None
            left = segment.seconds - elapsed
            self._say(script.resumed(left if segment.kind in {"hold", "rest"} else None))
            return self._start_segment(self.running.index, elapsed)
        return self._start_segment(0 if self.running is None else self.running.index)

    def _start_segment(self, index: int, elapsed: float = 0.0) -> Phase:
        assert self.exercise is not None
        if index >= len(self.plan):
            return self._finish_exercise()
        self.running = SegmentClock.at(index, self.plan[index], elapsed)
        self.before_choice = None  # the choice is under way: a "no" is no longer about it
        segment = self.running.segment
        if elapsed == 0:
            heard = (segment.side, segment.seconds)
            repeat = segment.kind == "hold" and heard in self.announced
            if segment.kind == "hold":
                self.announced.add(heard)
            self._say(script.segment_start(self.exercise, segment, repeat), "instruction")
        # The segment's clock starts once its opening line has been heard: a timer of
        # nothing, after speech (see _on_segment_start).
        self._start_timer(0.0, Trigger.SEGMENT_START)
        return Phase.ACTIVE

    def _on_segment_start(self, _: Event) -> None:
        """The opening line has been heard: the hold tone, and the segment's clock runs."""
        assert self.running is not None
        if self.running.segment.kind == "hold" and self.running.fresh:
            self._tone("hold_start")
        self.running = self.running.run(self.now)
        self._schedule_next_cue()

    def _schedule_next_cue(self) -> None:
        """A timer until the next cue, on the segment's own clock (not after speech)."""
        assert self.running is not None
        self._start_timer(self.running.wait(self.now), Trigger.CUE, after_speech=False)

    def _on_cue(self, _: Event) -> Phase:
        assert self.running is not None
        self.running, due = self.running.due(self.now)
        for cue in due:
            self._give_cue(cue, self.running.segment)
        if self.running.over:
            return self._segment_done(self.running.segment)
        self._schedule_next_cue()
        return Phase.ACTIVE

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

    def _segment_done(self, segment: script.Segment) -> Phase:
        assert self.running is not None
        if segment.kind == "hold":
            self.hold_done += segment.seconds
        elif segment.kind == "reps":
            self.reps_done += segment.reps
        following = self.running.index + 1
        if segment.then_ready:
            self.running = SegmentClock.at(following, self.plan[following])
            self._say(script.READY, "question")
            self._listen()
            return Phase.READY
        return self._start_segment(following)

    def _elapsed(self) -> float | None:
        if self.phase != Phase.ACTIVE or self.running is None:
            return None
        return self.running.elapsed(self.now)

    # --- pausing and side phases ------------------------------------------------------------

    def _suspend(self, *, listen: bool = True) -> None:
        """Stop the clock of whatever runs and remember it, before a side phase; listen
        (False: a pause waits as long as it takes, with no re-prompt)."""
        if self.phase not in SIDE_PHASES:
            self.suspended = Suspended(self.phase, self._elapsed())
        self._cancel_timer()
        if listen:
            self._listen()

    def _return(self) -> Phase:
        """Go back to the suspended phase; a hold carries on with the time it had left.
        On hold for safety, go back to the hold instead: only "resume" leaves it."""
        if self.hold is not None:
            return self._back_to_hold()
        back = self.suspended or Suspended(Phase.CHOOSING)
        self.suspended = None
        if back.phase == Phase.ACTIVE and self.running is not None:
            segment = self.running.segment
            left = segment.seconds - (back.elapsed or 0.0)
            self._say(script.resumed(left if segment.kind in {"hold", "rest"} else None))
            return self._start_segment(self.running.index, back.elapsed or 0.0)
        if back.phase == Phase.ENDED:  # a possible fall after the end: back to the end, quietly
            self._say(script.ENDED)
            return Phase.ENDED
        if back.phase == Phase.STEPS and self.exercise is not None:
            self._say_step()
            return Phase.STEPS
        if back.phase == Phase.BOOKEND and self.bookend is not None:
            return self._say_move()
        if back.phase == Phase.READY:
            self._say(script.READY, "question")
        elif back.phase == Phase.CHOOSING or self.exercise is None:
            if not self.finished_routine:
                return self._ask_choice()
            self._say(script.ANOTHER, "question")
            back = Suspended(Phase.CHOOSING)
        else:
            self._say(self.last_instruction, "question")
        self._listen()
        return back.phase

    def _on_pause(self, _: Event) -> None:
        self._suspend(listen=False)
        self._say(script.PAUSED, "instruction")

    def _on_already_paused(self, _: Event) -> None:
        self._say(script.PAUSED, "instruction")

    def _on_resume(self, event: Event) -> Phase:
        if self.hold is not None and _said(event).intent in {"resume", "start"}:
            line = script.RESUME_CAREFUL if self.hold == Phase.PAIN else None
            return self._resume_gently(line or script.RESUME_AFTER_EMERGENCY)
        back = self.suspended
        choosing = back is not None and back.phase == Phase.CHOOSING and not self.finished_routine
        if _said(event).intent == "start" and choosing:
            # Paused while choosing (gone quiet), then "start": what every prompt there
            # offers, not the prompts again ("how are you feeling today?" once more).
            self.suspended = None
            return self._on_start_default(event)
        return self._return()

    def _on_not_paused(self, _: Event) -> None:
        self._say(script.ALREADY_GOING)

    def _on_going_through_steps(self, _: Event) -> None:
        self._say(script.GOING_THROUGH_STEPS)

    def _on_ready_now(self, event: Event) -> Phase:
        """ "Ready" while changing sides ends the get-ready pause; otherwise we're going."""
        running = self.running
        if running is not None and running.segment.kind == "switch":
            self._cancel_timer()
            return self._start_segment(running.index + 1)
        if _said(event).intent in FLAGS.answers:
            self._on_not_now(event)  # nothing was asked: an "okay" going along
        else:
            self._say(script.ALREADY_GOING)
        return self.phase

    def _on_not_ready(self, _: Event) -> None:
        self._say(script.NOT_READY_EXERCISE if self.exercise is not None else script.NOT_READY)
        self._listen()

    def _on_ask_stop(self, _: Event) -> None:
        self._suspend()
        self._say(script.STOP_QUESTION, "question")

    def _on_cancel_stop(self, _: Event) -> None:
        self._say(script.STOP_CANCELLED_ON_HOLD if self.hold else script.STOP_CANCELLED)

    def _on_end_by_request(self, _: Event) -> None:
        self._end("asked to stop")

    def _on_input_ended(self, _: Event) -> None:
        self._end("input ended")

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
        self.exercise = None
        self._out.append(End(reason))

    # --- safety --------------------------------------------------------------------------

    def _held_outcome(self) -> str | None:
        """Why the exercise in hand was cut short, for the log: None if it was not."""
        if self.hold is None or self.exercise is None:
            return None
        return {Phase.PAIN: "pain", Phase.PAUSED: "cant_get_up"}.get(self.hold, "emergency")

    def _back_to_hold(self) -> Phase:
        """An aside is over but the session is on hold: say so again and keep waiting."""
        hold = self.hold
        assert hold is not None
        if hold == Phase.PAUSED:
            self._cancel_timer()
            self._say(script.PAUSED, "instruction")
            return Phase.PAUSED
        question = {
            Phase.PAIN: self._pain_offer(), Phase.EMERGENCY: script.EMERGENCY_WAIT,
            Phase.FALL_CHECK: script.FALL_QUESTION,
        }[hold]  # fmt: skip
        self._say(question, "question")
        self._listen()
        return hold

    def _on_cant_get_up(self, _: Event) -> None:
        # Maybe a fall, maybe a hard chair: stop everything and ask, never assume.
        self._cancel_timer()
        self._log("cant_get_up", exercise=self.current_id)
        self.unsettled_today = True
        self._say(script.EMERGENCY_STOP, "safety")
        self._ask_if_fallen()

    def _on_ask_if_fallen(self, _: Event) -> None:
        """Said again while being asked: the question again, without the alarm."""
        self._cancel_timer()
        self._log("cant_get_up", exercise=self.current_id)
        self._ask_if_fallen()

    def _ask_if_fallen(self) -> None:
        self._suspend()
        self.hold = Phase.FALL_CHECK
        self._say(script.FALL_QUESTION, "question")

    def _on_not_fallen(self, _: Event) -> Phase:
        """Not on the floor: how to get up or sit safely, then a pause until they resume."""
        self._say(script.GET_UP_HELP, "safety")
        if self.suspended is not None and self.suspended.phase == Phase.ENDED:
            self.hold, self.suspended = None, None
            self._cancel_timer()
            return Phase.ENDED
        self.hold = Phase.PAUSED
        return self._back_to_hold()

    def _on_pain_advice(self, event: Event) -> None:
        # Pain always stops the clock first; nothing resumes until the person says so.
        self._cancel_timer()
        self._log_report("pain", event)
        self._say(script.PAIN_STOP, "safety")
        self._say(script.PAIN_ADVICE, "safety")

    def _on_pain(self, event: Event) -> Phase:
        self._on_pain_advice(event)
        if self.exercise is None and self.bookend is None:
            self.hold = None
            self._say(script.PAIN_IDLE, "question")
            self._listen()
            return Phase.CHOOSING
        self._suspend()
        self.hold = Phase.PAIN
        self._say(self._pain_offer(), "question")
        return Phase.PAIN

    def _on_emergency_advice(self, event: Event) -> None:
        # Like pain, everything stops at once; then how to get help, since the coach
        # cannot call anyone, advice that fits what was said (chest pain is not a fall),
        # and a wait with no time limit.
        self._cancel_timer()
        self._log_report("emergency", event)
        self._say(script.EMERGENCY_STOP, "safety")
        self._say(script.EMERGENCY_HELP, "safety")
        for line in script.emergency_advice(_said(event).text):
            self._say(line, "safety")

    def _on_emergency(self, event: Event) -> Phase:
        self._on_emergency_advice(event)
        self._suspend()
        self.hold = Phase.EMERGENCY
        self._say(script.EMERGENCY_WAIT, "question")
        return Phase.EMERGENCY

    def _on_emergency_wait(self, _: Event) -> None:
        self._say(script.EMERGENCY_WAIT, "question")
        self._listen()

    def _on_resume_after_emergency(self, _: Event) -> Phase:
        return self._resume_gently(script.RESUME_AFTER_EMERGENCY)

    def _on_resume_after_pain(self, _: Event) -> Phase:
        return self._resume_gently(script.RESUME_CAREFUL)

    def _resume_gently(self, line: str) -> Phase:
        """Back from pain or an emergency: a hold starts again from its beginning."""
        self.hold = None
        self._say(line, "safety")
        back = self.suspended
        self.suspended = None
        if back is not None and back.phase == Phase.ACTIVE and self.running is not None:
            return self._start_segment(self.running.index)  # from the start of the segment
        self.suspended = back
        return self._return()

    def _on_symptom_advice(self, event: Event) -> None:
        """Dizzy, too hot or a spasm: stop at once and say what helps."""
        intent = _said(event).intent
        self._cancel_timer()
        self._log_report("symptom", event, symptom=intent)
        for line in script.SYMPTOM_ADVICE[intent]:
            self._say(line, "safety")
        if intent == "overheated":
            self._lengthen_rests()

    def _on_symptom(self, event: Event) -> Phase:
        """... then wait until it passes."""
        self._on_symptom_advice(event)
        self._suspend()
        self._say(script.SYMPTOM_OFFER[_said(event).intent], "question")
        return Phase.UNWELL

    def _lengthen_rests(self) -> None:
        """Longer rests for the rest of today, this exercise's remaining ones included."""
        if self.rest_scale >= script.HOT_REST_SCALE:
            return
        factor = script.HOT_REST_SCALE / self.rest_scale
        self.rest_scale = script.HOT_REST_SCALE
        current = self.running.index if self.running is not None else -1
        self.plan = [
            replace(seg, seconds=round(seg.seconds * factor))
            if i > current and seg.kind == "rest"
            else seg
            for i, seg in enumerate(self.plan)
        ]

    def _on_feel_better(self, _: Event) -> Phase:
        if self.hold is not None:
            # The symptom came while on hold after pain or an emergency: only "resume"
            # goes on from that.
            self._say(script.GLAD)
            return self._back_to_hold()
        self._say(script.FEEL_BETTER)
        suspended = self.suspended
        if suspended is not None and suspended.phase == Phase.ACTIVE and self.running is not None:
            self.suspended = None
            self.resume_elapsed = suspended.elapsed or 0.0
            self._say(script.BACK_IN_POSITION, "question")
            self._listen()
            return Phase.READY
        return self._return()

    def _on_glad(self, _: Event) -> None:
        """ "I'm fine now" outside a symptom: welcome, but it restarts nothing."""
        self._say(script.GLAD)
        if self.phase in {Phase.PAIN, Phase.EMERGENCY, Phase.FALL_CHECK}:
            self._say(script.HELP[self._help_key()], "question")
        self._keep_waiting()

    def _on_tired(self, _: Event) -> None:
        self._log("tired", exercise=self.current_id)
        self.unsettled_today = True
        self.tired_in = self.current_id
        self.rest_scale = 1.5  # rests stay longer for the rest of the session
        self._suspend()
        self._say(script.TIRED_REST)
        self._say(script.TIRED_OFFER, "question")

    def _on_end_tired(self, _: Event) -> None:
        self._end("tired")

    def _on_carry_on_tired(self, _: Event) -> Phase:
        if self.hold is not None:
            return self._back_to_hold()
        back = self.suspended
        self.suspended = None
        going = {Phase.ACTIVE, Phase.READY, Phase.STEPS}
        if self.exercise is None or back is None or back.phase not in going:
            self.suspended = back
            return self._return()
        self._say(script.TIRED_CARRY_ON)
        resume_at = self.running.index if self.running is not None else 0
        rest = script.Segment("rest", script.TIRED_REST_SECONDS, then_ready=True)
        self.plan.insert(resume_at, rest)
        return self._start_segment(resume_at)

    # --- adapting --------------------------------------------------------------------------

    def _on_constraint(self, event: Event) -> Phase:
        constraint = INTENT_CONSTRAINT[_said(event).intent]
        if constraint in self.constraints:
            self._say(script.CONSTRAINT_ALREADY[constraint])
            return self.phase
        self.constraints.add(constraint)
        self._log("constraint", constraint=constraint, active=sorted(self.constraints))
        self._say(script.CONSTRAINT_ACK[constraint])
        self._replan()
        if self.phase == Phase.CHECK_READY:
            self.pending = None
            return self._enter_exercise()  # the exercise asked about may no longer be the one
        if self.exercise is None or fits(self.exercise, self.constraints):
            return self.phase
        original = self.exercise
        adaptation = adapt(self.catalogue, original.id, self.constraints)
        self._leave_exercise()
        if adaptation.exercise is None:
            self._say(script.skip_reason(original, adaptation.reason), "instruction")
            self._log(
                "exercise_skipped", exercise=original.id, reason=adaptation.reason, index=self.index
            )
            self.exercise = None
            self.index += 1
            return self._enter_exercise()
        self._log(
            "swapped",
            exercise=original.id,
            to=adaptation.exercise.id,
            reason=constraint,
            index=self.index,
        )
        self._say(script.swap_line(original, adaptation.exercise, adaptation.reason))
        return self._introduce(adaptation.exercise)

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

    def _pain_offer(self) -> str:
        """What can follow pain: a warm-up or cool-down move has no easier version."""
        return script.PAIN_OFFER if self.exercise else script.PAIN_OFFER_BOOKEND

    def _on_ask_which_after_pain(self, _: Event) -> None:
        """A bare "yes" after pain could mean "I'm okay" as much as "easier": ask which."""
        self._say(script.PAIN_WHICH if self.exercise else script.PAIN_WHICH_BOOKEND, "question")
        self._listen()

    def _on_easier(self, _: Event) -> Phase:
        return self._swap_level("easier")

    def _on_harder(self, _: Event) -> Phase:
        return self._swap_level("harder")

    def _swap_level(self, direction: str) -> Phase:
        if self.exercise is None:
            self._say(script.NO_EXERCISE)
            return self.phase
        linked = self.exercise.easier if direction == "easier" else self.exercise.harder
        target = None
        if linked is not None:
            target = adapt(self.catalogue, linked, self.constraints).exercise
        if target is None or target.id == self.exercise.id:
            self._say(script.ALREADY_EASIEST if direction == "easier" else script.ALREADY_HARDEST)
            if self.phase == Phase.PAIN:
                self._say(script.PAIN_OFFER, "question")
            return self.phase
        original = self.exercise
        self._leave_exercise()
        self.preferred[self.queue[self.index] if self.queue else original.id] = target.id
        self._log("swapped", exercise=original.id, to=target.id, reason=direction, index=self.index)
        line = script.easier_line if direction == "easier" else script.harder_line
        self._say(line(target))
        return self._introduce(target)

    # --- the person's dose (coach.dose) -----------------------------------------------------

    def _plan(self, exercise: Exercise) -> list[script.Segment]:
        """The timed plan at the person's own dose; one set on a gentle day."""
        dosed = dose.dosed(exercise, self.doses.get(exercise.id, dose.Personal()))
        if self.gentle and dosed.dose.sets > 1:
            dosed = replace(dosed, dose=replace(dosed.dose, sets=1))  # one set today
        return script.plan(dosed, self.rest_scale, self.rep_pace)

    def _dose_parts(self, exercise: Exercise, personal: dose.Personal) -> list[str]:
        hold_mode = exercise.dose.mode == "hold"
        values = {"hold": personal.hold_seconds, "reps": personal.reps}
        values["rest"] = personal.rest_seconds
        return [script.dose_value(w, v, hold_mode) for w, v in values.items() if v is not None]

    def _say_remembered_dose(self, exercise: Exercise) -> None:
        """Once a session: the exercise starts at the dose the person settled on."""
        remembered = self.profile.doses.get(exercise.id)
        personal = self.doses.get(exercise.id)
        if remembered is None or personal is None or exercise.id in self.dose_told:
            return
        parts = self._dose_parts(exercise, personal)
        if parts:
            self.dose_told.add(exercise.id)
            self._say(script.remembered_dose(remembered.change, remembered.reason, parts))

    def _offer_step_up(self, exercise: Exercise) -> bool:
        """The weekly step up, earned over the last days (coach.progression): asked once,
        never on a gentle day nor after pain or tiredness today."""
        if exercise.id not in self.profile.step_ups or exercise.id in self.offered_step_up:
            return False
        if self.gentle or self.unsettled_today:
            return False
        step = dose.step_up(exercise, self.doses.get(exercise.id, dose.Personal()))
        if step is None:
            return False
        _, outcome = step
        self.offered_step_up.add(exercise.id)
        part = script.dose_value(outcome.what, outcome.value, exercise.dose.mode == "hold")
        self._say(script.step_up_offer(exercise, part), "question")
        self._listen()
        return True

    def _on_step_up(self, _: Event) -> None:
        assert self.exercise is not None
        step = dose.step_up(self.exercise, self.doses.get(self.exercise.id, dose.Personal()))
        if step is not None:
            self._change_dose(self.exercise, step[0], step[1], "progression")
        self._first_step()

    def _on_keep_dose(self, _: Event) -> None:
        """No (or no answer): the dose stays, and the offer waits a week."""
        assert self.exercise is not None
        self._log("step_up_declined", exercise=self.exercise.id)
        self._say(script.STEP_UP_KEPT)
        self._first_step()

    def _on_own_dose_instead(self, event: Event) -> None:
        """Asked for a change of their own when offered a step up: that, and no step."""
        self._on_dose(event)
        self._first_step()

    def _first_step(self) -> None:
        """After the step-up question: the steps, as _introduce would have begun them."""
        assert self.exercise is not None
        self._cancel_timer()
        if self.steps_said == 1 and len(self.exercise.steps) > 1:
            self._say(script.FAMILIAR)
        self._say_step()

    def _on_dose_elsewhere(self, _: Event) -> None:
        in_hand = self.exercise is not None or self.pending is not None
        if self.phase == Phase.BOOKEND:
            self._say(script.DOSE_IN_BOOKEND)
        else:
            self._say(script.DOSE_NOT_NOW if in_hand else script.DOSE_NO_EXERCISE)
        self._keep_waiting()

    def _on_dose(self, event: Event) -> None:
        """Longer or shorter holds, fewer or more reps, longer or shorter rests: for what
        is not yet begun, the hold or rest in hand where it still has time to run, and
        the next sessions."""
        exercise = self.pending if self.phase == Phase.CHECK_READY else self.exercise
        if exercise is None or self.hold is not None:
            self._on_dose_elsewhere(event)
            return
        intent = _said(event).intent
        personal = self.doses.get(exercise.id, dose.Personal())
        outcome = dose.adjust(exercise, personal, intent)
        hold_mode = exercise.dose.mode == "hold"
        if not outcome.applies:
            self._say(script.DOSE_NOT_APPLICABLE[outcome.what])
        elif not outcome.changed:
            direction = dose.CHANGES[intent][1]
            self._say(script.dose_at_bound(outcome.what, direction, outcome.value, hold_mode))
        else:
            self._change_dose(exercise, intent, outcome, "asked")
        self._keep_waiting()

    def _change_dose(
        self, exercise: Exercise, intent: str, outcome: dose.Outcome, why: str
    ) -> None:
        """Remember the new dose, log it, and apply it to the exercise in hand."""
        self.doses[exercise.id] = outcome.personal
        self._log(
            "dose",
            exercise=exercise.id,
            change=intent,
            reason=why,
            **{f"{k}_seconds" if k != "reps" else k: dose.current(exercise, outcome.personal, k)
               for k in ("hold", "reps", "rest")},
            personal=outcome.personal.values(),
        )  # fmt: skip
        line = script.dose_changed(outcome.what, outcome.value, exercise.dose.mode == "hold")
        self._say(line)
        if exercise is not self.exercise:
            return
        note = self._apply_dose(exercise, outcome.what)
        if note:
            self._say(note)

    def _first_unbegun(self) -> int:
        """Index of the first segment of the plan not yet begun."""
        running = self.running
        if running is None:
            return 0
        waiting = self.phase == Phase.READY or (
            self.suspended is not None and self.suspended.phase == Phase.READY
        )
        if waiting and self.resume_elapsed is None and running.fresh:
            return running.index
        return running.index + 1

    def _apply_dose(self, exercise: Exercise, what: str) -> str | None:
        """The plan from the first segment not yet begun at the new dose, and the hold or
        rest in hand too while it has time to run; a line when that matters."""
        start = self._first_unbegun()
        fresh = self._plan(exercise)
        if what == "reps" and exercise.dose.mode == "hold":
            if start > 0:  # the holds of a set already begun: from the next time
                return script.DOSE_NEXT_TIME
            self.plan = fresh
            return None
        new = next((s for s in fresh if s.kind == what), None)
        if new is None:
            return None
        self.plan[start:] = [self._resized(s, new) for s in self.plan[start:]]
        if self._resize_running(new) is not None:
            return script.DOSE_THIS_ONE_TOO
        if not any(s.kind == what for s in self.plan[start:]):
            return script.DOSE_NEXT_TIME
        if self.phase == Phase.ACTIVE and self.running and self.running.segment.kind == what:
            return script.DOSE_NEXT_SET  # the set under way keeps its count
        return None

    def _resized(self, segment: script.Segment, new: script.Segment) -> script.Segment:
        """`segment` at the new dose `new` of its kind (a rest after tiredness stays)."""
        if segment.kind != new.kind or segment.then_ready:
            return segment
        if segment.kind == "reps":
            return replace(segment, reps=new.reps, seconds=new.seconds)
        return replace(segment, seconds=new.seconds)

    def _resize_running(self, new: script.Segment) -> SegmentClock | None:
        """The hold or rest under way, at the new length, when enough of it is left."""
        running, suspended = self.running, self.suspended
        paused = self.phase == Phase.PAUSED and suspended is not None
        if paused and (suspended is None or suspended.phase != Phase.ACTIVE):
            return None
        if running is None or not (paused or self.phase == Phase.ACTIVE):
            return None
        segment = running.segment
        elapsed = running.elapsed(self.now)
        if paused and suspended is not None:
            elapsed = suspended.elapsed or 0.0  # resumed from here, at the new length
        if segment.kind not in {"hold", "rest"} or segment.kind != new.kind:
            return None
        if segment.then_ready or new.seconds - elapsed < MIN_LEFT_SECONDS:
            return None
        resized = replace(segment, seconds=new.seconds)
        self.plan[running.index] = resized
        self.running = SegmentClock.at(running.index, resized, elapsed)
        if running.started is not None and not paused:
            self.running = self.running.run(self.now)
            self._schedule_next_cue()
        # else its opening line is still being said: its clock starts as usual
        return self.running

    # --- information -----------------------------------------------------------------------

    def _help_key(self) -> str:
        """The script.HELP line for now: pain in a warm-up has no easier version."""
        key = HELP_KEY.get(self.phase, "question")
        return "pain_bookend" if key == "pain" and self.exercise is None else key

    def _on_help(self, _: Event) -> None:
        key = self._help_key()
        self._say(script.HELP[key])
        if key != "ended":
            self._say(script.ALWAYS)
        self._keep_waiting()

    def _on_status(self, _: Event) -> None:
        self._say(self._status())
        self._keep_waiting()

    def _status(self) -> str:
        if self.bookend is not None:
            return script.BOOKEND_STATUS[self.bookend.kind]
        if self.exercise is None:
            return script.ROUTINE_FINISHED if self.finished_routine else script.NOT_STARTED
        parts = [script.exercise_intro(self.exercise, self.index, len(self.queue))]
        running, elapsed = self.running, self._elapsed()
        if self.suspended is not None and self.suspended.elapsed is not None:
            elapsed = self.suspended.elapsed
        if running is not None and elapsed is not None:
            segment = running.segment
            if segment.kind == "reps":
                parts.append(script.reps_left(running.reps_left()))
            else:
                parts.append(script.time_left(max(0.0, segment.seconds - elapsed), segment.kind))
            if segment.sets > 1:
                parts.append(script.set_of(segment.set_no, segment.sets))
        elif self.phase == Phase.STEPS:
            parts.append(script.step_of(self.step + 1, len(self.exercise.steps)))
        return " ".join(parts)

    def _on_repeat(self, _: Event) -> None:
        if not self.last_instruction:
            self._say(script.NOTHING_TO_REPEAT)
            return
        self._out.append(Say(self.last_instruction, "instruction"))
        if self.phase == Phase.STEPS:
            self._start_timer(script.STEP_GAP_SECONDS, Trigger.STEP_GAP)
        else:
            self._keep_waiting()

    def _on_progress(self, _: Event) -> None:
        p = self.progress_summary
        if p is None or p.sessions_total == 0:
            self._say(script.FIRST_SESSION)
        else:
            self._say(
                script.progress_line(
                    p.sessions_this_week, p.exercises_this_week, p.days_active_last_14
                )
            )
        self._keep_waiting()

    def _on_voice(self, event: Event) -> None:
        intent = _said(event).intent
        rate, volume = self.rate, self.volume
        if intent == "slower":
            rate = max(MIN_RATE, rate - RATE_STEP)
        elif intent == "faster":
            rate = min(MAX_RATE, rate + RATE_STEP)
        elif intent == "louder":
            volume = min(MAX_VOLUME, round(volume + VOLUME_STEP, 2))
        else:
            volume = max(MIN_VOLUME, round(volume - VOLUME_STEP, 2))
        if (rate, volume) == (self.rate, self.volume):
            self._say(script.VOICE_LIMIT[intent])
        else:
            self.rate, self.volume = rate, volume
            self._out.append(SetVoice(rate, volume))
            self._log("voice", rate=rate, volume=volume)
            self._say(script.VOICE_CHANGED[intent])
        if intent in script.REPS_PACED:
            self._pace_reps(intent)
        self._keep_waiting()

    def _pace_reps(self, intent: str) -> None:
        """Reps follow "slower" and "faster": every set not yet begun, and later exercises."""
        pace = script.next_rep_pace(self.rep_pace, intent)
        if pace == self.rep_pace:
            return
        factor, self.rep_pace = pace / self.rep_pace, pace
        start = self.running.index + 1 if self.running is not None else 0
        ahead = self.plan[start:]
        self.plan[start:] = [script.paced(s, factor) for s in ahead]
        if self.phase in (Phase.READY, Phase.ACTIVE) and any(s.kind == "reps" for s in ahead):
            self._say(script.REPS_PACED[intent])

    def _on_sorry(self, event: Event) -> None:
        if isinstance(event, Heard) and event.intent == NONE:
            reply = self.unclear.reply(event.t, event.confidence)
            if reply is Reply.NOTHING:
                # Talk not meant for the coach (a TV, a phone call), or more unclear talk
                # after the coach said it was finding it hard to hear: nothing is said.
                self._log("unanswered", said=event.text, streak=self.unclear.streak)
                return
            if reply is Reply.HARD_TO_HEAR:
                self._say(script.HARD_TO_HEAR, "error")
                self._keep_waiting()
                return
        self._say(script.sorry(script.HELP[self._help_key()]), "error")
        self._keep_waiting()

    def _on_not_now(self, event: Event) -> None:
        intent = _said(event).intent
        if intent == "yes":
            # "Okay", "yeah" with nothing asked: going along with what the coach said, not
            # a request.  A sorry ("I didn't catch that") was untrue and talked over holds.
            self._log("acknowledged", said=_said(event).text)
            return
        if intent in FLAGS.answers:
            # A no with nothing asked: heard, so no sorry; what can be said instead.
            self._say(script.HELP[self._help_key()])
            self._keep_waiting()
            return
        self._say(script.NOT_NOW)
        self._keep_waiting()

    # --- remembered state at the start -------------------------------------------------------

    def _on_keep_constraints(self, _: Event) -> Phase:
        self.constraints = set(self.profile.constraints)
        self._log("constraint", constraint=None, active=sorted(self.constraints))
        self._say(script.KEEP_CONSTRAINTS)
        return self._after_constraints()

    def _on_drop_constraints(self, _: Event) -> Phase:
        self.constraints = set()
        self._log("constraint", constraint=None, active=[])
        self._say(script.DROP_CONSTRAINTS)
        return self._after_constraints()

    def _on_accept_resume(self, _: Event) -> None:
        target = self._resume_target()
        assert target is not None
        assert self.resume_point is not None
        routine, _exercise = target
        self.routine = routine
        self.queue = list(routine.exercises)
        self.index = min(self.resume_point.index, len(self.queue) - 1)
        self._log("routine", routine=routine.id, exercises=self.queue)
        self._say(script.back_to(routine))

    def _on_decline_resume(self, _: Event) -> Phase:
        return self._ask_choice()

    # --- after the end -------------------------------------------------------------------------

    def _on_restart(self, _: Event) -> Phase:
        self._log("session_start", routine=None)
        self.bookends_done = set()  # a new session warms up again
        return self._start_routine(self.default_routine)

    def _on_restart_with(self, event: Event) -> Phase:
        """A routine or an exercise named after the end: chosen as in the choosing phase."""
        heard = _said(event)
        self._log("session_start", routine=heard.slots.get("routine"))
        self.queue, self.index = [], 0
        self.bookends_done = set()
        if heard.intent == "choose_routine":
            known = heard.slots.get("routine", "") in self.catalogue.routines
        else:
            known = heard.slots.get("exercise", "") in self.catalogue.exercises
        if not known:
            self._say(script.sorry(script.HELP["choosing"]), "error")
            self._listen()
            return Phase.CHOOSING
        if heard.intent == "choose_routine":
            return self._on_choose_routine(event)
        return self._on_choose_exercise(event)

    def _on_ended_hint(self, _: Event) -> None:
        self._say(script.ENDED)

    def _on_room_talk(self, _: Event) -> None:
        """Listening quietly for "start": talk in the room gets no answer."""

    # --- devices -----------------------------------------------------------------------------

    def _on_device_back(self, event: Event) -> None:
        assert isinstance(event, DeviceTrouble)
        self._say(script.device_back(event.what))

    def _on_device_lost(self, event: Event) -> None:
        self._suspend(listen=False)
        self._on_device_noted(event)

    def _on_device_noted(self, event: Event) -> None:
        assert isinstance(event, DeviceTrouble)
        self._log("device", what=event.what)
        self._say(script.device_lost(event.what))
