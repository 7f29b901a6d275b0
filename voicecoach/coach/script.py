"""What the coach says, and the timed plan of an exercise.

All wording lives here, so the dialogue core (coach.py) deals in states and the voice of
the product can be read, and changed, in one place.  Lines are short and calm: they are
heard, not read, often by someone tired and lying down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from voicecoach.coach.catalogue import Bookend, Exercise, Move, Routine

SIDE_NAMES = ("left", "right")
#: Pause after a spoken step, on top of the time it takes to say it, to do what it says.
STEP_GAP_SECONDS = 3.0
#: Pause that lets a person change sides, after the side is named, by the exercise's
#: position (turning over on the floor takes longer than swapping legs on a chair); "ready"
#: ends it sooner.
SWITCH_SECONDS = {"lying": 12.0, "bed": 10.0, "quadruped": 10.0, "standing": 8.0, "seated": 6.0}
DEFAULT_SWITCH_SECONDS = 8.0
#: Between alternating holds (left, right, left...) only a foot or knee changes: half the
#: position's pause, never less than this.
MIN_ALTERNATE_SWITCH_SECONDS = 3.0
#: Rest between holds when the data gives none.
DEFAULT_REST_BETWEEN_HOLDS = 10
#: A longer rest when someone says they are tired.
TIRED_REST_SECONDS = 60
#: Rests grow by this much for the rest of the session once someone is too hot.
HOT_REST_SCALE = 1.5
#: Lead-in before the first counted rep, so nobody is rushed.
REPS_LEAD_IN = 2.0
#: Holds shorter than this get no countdown, only the release.
SHORT_HOLD = 10.0
#: Rests shorter than this end with a tone but no "rest over".
SHORT_REST = 15.0


@dataclass(frozen=True)
class Segment:
    """One timed piece of an exercise: a hold, a set of reps, a rest or a change of side."""

    kind: str
    """"hold", "reps", "rest" or "switch"."""
    seconds: float
    """Total length in seconds."""
    side: str | None = None
    """"left", "right", "alternate" or None."""
    reps: int = 0
    rep_seconds: float = 0.0
    set_no: int = 1
    sets: int = 1
    then_ready: bool = False
    """After this rest, wait for the person to say they are ready (used after tiredness)."""
    moves: tuple[tuple[float, str], ...] = ()
    """reps: (offset within one rep, spoken cue) for each move of a rep."""


#: "slower" gives each rep more time as well as slowing the voice (up to twice the
#: catalogue's pace); "faster" takes it back towards the catalogue's, never beyond.
REP_PACE_STEP = 1.25
MAX_REP_PACE = 2.0
REPS_PACED = {
    "slower": "And I'll give you more time for each rep.",
    "faster": "And the reps will go a little quicker.",
}


def next_rep_pace(pace: float, intent: str) -> float:
    """The rep pace (1 is the catalogue's) after "slower" or "faster"."""
    if intent == "slower":
        return min(MAX_REP_PACE, round(pace * REP_PACE_STEP, 4))
    return max(1.0, round(pace / REP_PACE_STEP, 4))


def paced(segment: Segment, factor: float) -> Segment:
    """A set of reps with each rep `factor` times as long (its moves spread to match)."""
    if segment.kind != "reps" or factor == 1.0:
        return segment
    rep = segment.rep_seconds * factor
    return replace(
        segment,
        rep_seconds=rep,
        seconds=REPS_LEAD_IN + segment.reps * rep,
        moves=tuple((round(at * factor, 3), move) for at, move in segment.moves),
    )


def plan(exercise: Exercise, rest_scale: float = 1.0, rep_pace: float = 1.0) -> list[Segment]:
    """The timed segments of one exercise, from its dose and sides; reps at `rep_pace`."""
    dose = exercise.dose
    sides: tuple[str | None, ...] = SIDE_NAMES if exercise.sides == "each" else (None,)
    rest = max(dose.rest_seconds, 0) * rest_scale
    segments: list[Segment] = []
    for side_index, side in enumerate(sides):
        if side_index:
            segments.append(Segment("switch", switch_seconds(exercise), side=side))
        for set_no in range(1, dose.sets + 1):
            if set_no > 1 and rest:
                segments.append(Segment("rest", rest, set_no=set_no, sets=dose.sets))
            segments.extend(_one_set(exercise, side, set_no, rest_scale))
    return [paced(s, rep_pace) for s in segments]


def _one_set(exercise: Exercise, side: str | None, set_no: int, rest_scale: float) -> list[Segment]:
    dose = exercise.dose
    if dose.mode == "reps":
        side = "alternate" if exercise.sides == "alternate" else side
        seconds = REPS_LEAD_IN + dose.reps * dose.rep_seconds
        return [
            Segment(
                "reps",
                seconds,
                side,
                dose.reps,
                dose.rep_seconds,
                set_no,
                dose.sets,
                moves=move_offsets(exercise),
            )
        ]
    between = (dose.rest_seconds or DEFAULT_REST_BETWEEN_HOLDS) * rest_scale
    out: list[Segment] = []
    for hold in range(dose.reps):
        if hold:
            out.append(Segment("rest", between, set_no=set_no, sets=dose.sets))
        if exercise.sides == "alternate":
            out.append(Segment("hold", dose.hold_seconds, "left", set_no=set_no, sets=dose.sets))
            out.append(Segment("switch", switch_seconds(exercise), side="right"))
            out.append(Segment("hold", dose.hold_seconds, "right", set_no=set_no, sets=dose.sets))
        else:
            out.append(Segment("hold", dose.hold_seconds, side, set_no=set_no, sets=dose.sets))
    return out


def move_offsets(exercise: Exercise) -> tuple[tuple[float, str], ...]:
    """Where each move of one rep falls: the rep's length shared out by the moves' beats."""
    moves = exercise.moves
    if not moves:
        return ()
    beats = exercise.beats or tuple(1.0 for _ in moves)
    unit = exercise.dose.rep_seconds / sum(beats)
    offsets, at = [], 0.0
    for beat, move in zip(beats, moves, strict=True):
        offsets.append((round(at, 3), move))
        at += beat * unit
    return tuple(offsets)


def switch_seconds(exercise: Exercise) -> float:
    seconds = SWITCH_SECONDS.get(exercise.position, DEFAULT_SWITCH_SECONDS)
    if exercise.sides == "alternate":  # one leg down, the other up: nobody turns over
        return max(MIN_ALTERNATE_SWITCH_SECONDS, seconds / 2)
    return seconds


def speaking_seconds(text: str, rate: int) -> float:
    """Roughly how long a line takes to say at `rate` words per minute."""
    return len(text.split()) * 60.0 / max(rate, 1)


def rep_line(segment: Segment, rep: int) -> str:
    """The count of a rep with its first move: "Three. Sit back slowly."."""
    count = number(rep).capitalize() + "."
    return f"{count} {segment.moves[0][1]}" if segment.moves else number(rep)


_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number(n: int) -> str:
    """0..99 as words (the speech engine reads them more naturally than digits)."""
    if 0 <= n < 20:
        return _UNITS[n]
    if 20 <= n < 100:
        tens, units = divmod(n, 10)
        return _TENS[tens] + (f" {_UNITS[units]}" if units else "")
    return str(n)


def sentence(text: str) -> str:
    """Capitalised and ending in a full stop, whatever the data gave."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def seconds_phrase(seconds: float) -> str:
    s = int(round(seconds))
    if s >= 60 and s % 60 == 0:
        minutes = s // 60
        return "one minute" if minutes == 1 else f"{number(minutes)} minutes"
    return f"{number(s)} seconds" if s != 1 else "one second"


def about_seconds(seconds: float) -> str:
    """'about 20 seconds' for a status answer: rounded, never exact-sounding."""
    s = max(1, int(round(seconds)))
    if s > 10:
        s = int(5 * round(s / 5))
        return f"about {seconds_phrase(s)}"
    return seconds_phrase(s)


# --- fixed lines ----------------------------------------------------------------------------

WELCOME = "Hello, I'm your exercise coach."
SAFETY_NOTE = (
    "I'm not a therapist: follow your own therapist's advice, go gently, and if anything "
    "hurts, say it hurts and we'll stop."
)
WELCOME_BACK = "Hello again."
SAFETY_REMINDER = "As always, go gently, and if anything hurts, say it hurts and we'll stop."
CHECK_IN_QUESTION = (
    "How are you feeling today? If your energy is low, say tired, and we'll keep it short "
    "and gentle."
)
CHECK_IN_BRIEF = "How are you today? If your energy is low, say tired."
"""The check-in for someone who knows the coach."""
CHECK_IN_CHOOSING = "How are you feeling today? If your energy is low, say tired."
#: Seconds after the check-in question to wait for "tired" before starting as usual.
#: "Tired" during the warm-up still makes it a gentle day, so the wait can be short.
CHECK_IN_SECONDS = 5.0
#: ... for someone who knows the coach.
CHECK_IN_SECONDS_BRIEF = 4.0
GOOD_TO_GO = "Good."
FAMILIAR = "You know this one. Say repeat if you'd like all the steps."
"""Before the first step of an exercise done lately: only that step is said."""
GENTLE_PLAN = (
    "We'll keep it short and gentle today: fewer exercises, one set each, and longer rests. "
    "Stop whenever you've had enough."
)
GENTLE_TODAY = f"Thanks for telling me. {GENTLE_PLAN}"
SOUNDED_LOW = f"That sounded like you're not at your best. {GENTLE_PLAN}"
"""A check-in answer only half heard, but tired or unwell by the sound of it."""
#: A low-energy session: at most this many exercises, one set each, rests this much longer.
GENTLE_EXERCISES = 3
GENTLE_REST_SCALE = 1.5
PAIN_STOP = "Stop there and rest. Never push through pain."
PAIN_ADVICE = "If the pain is sharp or doesn't settle, tell your doctor or therapist."
PAIN_OFFER = (
    "When you're ready, say easier for a gentler version, skip to move on, or stop to finish."
)
#: "yes" to the pain offer names none of its choices: ask, never pick one for them.
PAIN_WHICH = "Which would you like: easier, skip, or stop?"
#: The same in a warm-up or cool-down, whose moves have no easier version.
PAIN_WHICH_BOOKEND = "Which would you like: resume, skip, or stop?"
PAIN_IDLE = "Rest as long as you need. Say stop to finish, or pick a routine when you feel ready."
EMERGENCY_STOP = "I've stopped everything."
EMERGENCY_HELP = (
    "I can't call anyone myself. If you're hurt, or can't get up safely, get help now: "
    "use your phone or your alarm, or call out to someone nearby. "
    "If it's serious, phone your emergency number."
)
EMERGENCY_FALL = (
    "If you've fallen, stay still for a moment and check yourself. Don't rush to get up."
)
EMERGENCY_MEDICAL = (
    "If you have chest pain, or you're struggling to breathe, phone your emergency number "
    "now. Don't wait to see if it passes."
)
EMERGENCY_FAINT = (
    "If you feel faint, sit or lie down where you are, and call someone to be with you."
)
#: Words in what was said that pick the advice; with none of them, all advice is given.
EMERGENCY_WORDS = {
    EMERGENCY_MEDICAL: ("chest", "breath", "breathe", "heart"),
    EMERGENCY_FAINT: ("faint", "pass out", "blacked", "black out"),
    EMERGENCY_FALL: ("fall", "fell", "floor"),
}
SYMPTOM_ADVICE = {
    "dizzy": (
        "Stop there. Sit down, or hold on to something steady.",
        "Breathe slowly, and rest your eyes on one spot until it passes.",
    ),
    "overheated": (
        "Stop and rest. Heat can bring MS symptoms on for a while, and they ease as you cool.",
        "Move somewhere cooler if you can, loosen a layer, and sip some cool water.",
    ),
    "spasm": (
        "Stop the movement and let the muscle be.",
        "Breathe out slowly. As it eases, gently straighten the limb or shift your position. "
        "Never force it.",
    ),
}
SYMPTOM_OFFER = {
    "dizzy": "I'll wait. When it has passed, say I'm fine now and we'll carry on gently. "
    "Or say stop to finish for today.",
    "overheated": "I'll wait while you cool down. Say I'm fine now to carry on gently, "
    "or stop to finish for today.",
    "spasm": "I'll wait until it settles. Then say I'm fine now and we'll carry on gently, "
    "or say stop to finish.",
}
FEEL_BETTER = "Good. We'll carry on gently."
BACK_IN_POSITION = "Get back into position slowly, and say ready when you are."
GLAD = "Good to hear."
EMERGENCY_WAIT = "I'll wait here. Say resume when you're safe and ready, or stop to finish."
TIRED_REST = "Let's take a longer rest. Tiredness is a good reason to ease off."
TIRED_OFFER = "Would you like to finish for today? Say yes to finish, or no to carry on."
TIRED_CARRY_ON = "All right. Rest for a minute first, then we'll carry on."
STOP_QUESTION = "Do you want to end the session? Say yes or no."
STOP_CANCELLED = "Okay, let's carry on."
STOP_CANCELLED_ON_HOLD = "Okay, we won't finish yet."
FALL_QUESTION = "Have you fallen? Say yes or no."
GET_UP_HELP = (
    "Okay. There's no hurry. Get up slowly, in your own way, using something steady like a "
    "sturdy chair, and sit down to rest once you're up. If you can't manage it safely, "
    "call someone to help you."
)
PAUSED = "Paused. Take your time, and say resume when you're ready."
SILENCE_PAUSE = "I'll wait here. Whenever you're ready, say resume, or say help."
FINISHED_SILENCE = "It's gone quiet, so I'll finish here."
GOODBYE = "Well done today. Goodbye."
READY = "Say ready when you're in position."
READY_AGAIN = "Take your time. Say ready when you're set, or skip to move on."
NOT_READY = "No rush. Say ready when you're set."
#: The same with an exercise in hand: a "no" may mean not this one (a choice misheard).
NOT_READY_EXERCISE = "No rush. Say ready when you're set, or skip for a different one."
ANOTHER = "Say another routine to keep going, or say stop to finish."
#: One exercise the person chose, left out before it began (often a choice misheard).
INSTEAD = "Which would you like instead? Say an exercise or a routine, or say stop to finish."
#: A "no" to what the coach just took as the person's choice, before it began.
MISHEARD_CHOICE = "Sorry, I must have misheard you."
#: ... and back to the routine that was going before that choice.
BACK_TO = "Back to the routine."
WHICH_NEXT = "Which routine next? Say its name, like stretching or seated, or say stop to finish."
SORRY = "Sorry, I didn't catch that."
#: After two sorries in a row; then the coach stays quiet for unclear talk until it
#: understands a command (voicecoach.coach.unclear).
HARD_TO_HEAR = (
    "I'm finding it hard to hear you. If a TV or radio is on, turning it down will help. "
    "I'm still listening."
)
ALREADY_EASIEST = "This is already the gentlest version I have. You can say skip to move on."
ALREADY_HARDEST = "This is already the hardest version I have."
FIRST_EXERCISE = "This is the first exercise, so there's nothing before it."
NOTHING_TO_REPEAT = "I haven't said anything to repeat yet."
NO_EXERCISE = "We haven't started an exercise yet."
NOT_NOW = "I can't do that right now."
ENDED = "The session has ended. Say start to begin a new one."
RELEASE = "And release."
HALFWAY = "Halfway there."
TEN_LEFT = "Ten seconds left."
REST_TEN_LEFT = "Ten seconds, get ready."
REST_OVER = "Rest over."
RESUME_CAREFUL = "Okay, gently now. Stop at once if it hurts again."
RESUME_AFTER_EMERGENCY = "Okay. Take it slowly, and stop whenever you need to."
PREFERRED = "That's the version you settled on last time."
DATA_FALLBACK = (
    "Some of my exercise notes are damaged, so I'm using my last good copy. "
    "Please ask someone to run voicecoach doctor."
)
DATA_BROKEN = (
    "Sorry, I can't start: some of my files are damaged. "
    "Please ask someone to run voicecoach doctor, which says how to fix it."
)
ENGINE_FALLBACK = (
    "My better speech recognition isn't working, so I'm using a simpler one. "
    "Speak clearly, and please ask someone to run voicecoach doctor."
)
NOTEBOOK_UNAVAILABLE = (
    "I can't open my notebook right now. The exercises work just the same, "
    "and I'll keep trying to write today's session down."
)
NOTEBOOK_FULL = (
    "My notebook's disk is full, so I'm keeping today's notes in my head until there's room. "
    "We can carry on as normal."
)
NOTEBOOK_CAUGHT_UP = (
    "Last time some notes were left waiting; I've written them into my notebook now."
)
FIRST_SESSION = "This is our first session together, so let's make a start."
MOVING_ON = "Moving on."
GOING_THROUGH_STEPS = "We're going through the steps."
ALREADY_GOING = "We're already going. Say pause if you need a break."
NOT_STARTED = "We haven't started yet."
ROUTINE_FINISHED = "We've finished the routine."
KEEP_CONSTRAINTS = "Okay, I'll keep that in mind."
DROP_CONSTRAINTS = "Good to hear. I'll use the usual exercises."


def skipping(exercise: Exercise) -> str:
    return f"Okay, skipping {exercise.name}."


def back_to(routine: Routine) -> str:
    """Accepting the offer to carry on where the last session stopped."""
    return f"Okay, back to {routine_name(routine)}."


def device_lost(what: str) -> str:
    return f"I've lost the {what}, so I've paused. I'll carry on when it's back."


def device_back(what: str) -> str:
    return f"The {what} is back."


def reps_left(left: int) -> str:
    """A status answer in the middle of a set of reps."""
    return f"{number(left).capitalize()} {'rep' if left == 1 else 'reps'} left."


def time_left(seconds: float, kind: str) -> str:
    """A status answer in a hold, a rest or a change of sides."""
    what = {"hold": "in this hold", "rest": "of rest"}.get(kind, "")
    return f"{about_seconds(seconds).capitalize()} left {what}.".strip()


def set_of(set_no: int, sets: int) -> str:
    return f"Set {number(set_no)} of {number(sets)}."


def step_of(step: int, steps: int) -> str:
    return f"Step {number(step)} of {number(steps)}."


def progress_line(sessions: int, exercises: int, days_active: int) -> str:
    """How this week has gone, from the store's summary."""
    done = "one session" if sessions == 1 else f"{number(sessions)} sessions"
    return (
        f"This week you've done {done} and {number(exercises)} exercises, and you've been "
        f"active on {number(days_active)} of the last fourteen days. Keep it up."
    )


VOICE_LIMIT = {
    "slower": "That's as slow as I go.",
    "faster": "That's as fast as I go.",
    "louder": "That's as loud as I go.",
    "quieter": "That's as quiet as I go.",
}
VOICE_CHANGED = {
    "slower": "Okay, I'll speak more slowly.",
    "faster": "Okay, I'll speak a bit faster.",
    "louder": "Okay, I'll speak up.",
    "quieter": "Okay, I'll speak more quietly.",
}
CONSTRAINT_ACK = {
    "no_lying": "Got it, nothing lying down for the rest of today.",
    "no_standing": "Got it, no standing for the rest of today.",
    "in_bed": "Got it, you're in bed. I'll pick exercises you can do there.",
    "seated": "Got it, you're sitting. I'll keep everything seated.",
}
CONSTRAINT_ALREADY = {
    "no_lying": "I know, we're keeping everything off the floor.",
    "no_standing": "I know, we're not standing today.",
    "in_bed": "I know, we're staying in bed.",
    "seated": "I know, we're staying seated.",
}
CONSTRAINT_MEMORY = {
    "no_lying": "you couldn't lie down",
    "no_standing": "you couldn't stand",
    "in_bed": "you were in bed",
    "seated": "you were sitting",
}

HELP = {
    "choosing": "Say start, or a routine like stretching or seated, or an exercise name.",
    "steps": "Say next or repeat for the steps, ready to begin, easier, skip, or it hurts.",
    "ready": "Say ready to begin, easier, skip, fewer reps or shorter holds, or it hurts.",
    "active": "Say pause, next, easier, how long, or it hurts.",
    "paused": "Say resume to carry on, skip, or stop to finish.",
    "question": "Say yes or no.",
    "pain": "Say easier, skip, or stop.",
    "pain_bookend": "Say resume to carry on gently, skip to leave this part out, or stop.",
    "emergency": "Say resume when you're safe and ready, or stop to finish.",
    "unwell": "Say I'm fine now when it has passed, or stop to finish.",
    "ended": "Say start to begin a new session.",
    "bookend": "Say next for the next movement, skip to leave it out, pause, or it hurts.",
}
ALWAYS = "And stop, or it hurts, work at any time. If you fall, say I've fallen."


def emergency_advice(said: str) -> list[str]:
    """The advice that fits what was said: chest pain is not a fall.  When nothing tells
    ("call an ambulance"), every piece of advice, the most urgent first."""
    said = said.lower()
    picked = [line for line, words in EMERGENCY_WORDS.items() if any(w in said for w in words)]
    return picked or list(EMERGENCY_WORDS)


def routine_name(routine: Routine) -> str:
    """'the morning routine', whether or not the data's name already says 'routine'."""
    name = routine.name.lower()
    return f"the {name}" if name.endswith("routine") else f"the {name} routine"


# "Did you mean ...?": what the coach asks when the words were most likely a command but it
# is not sure enough to act on them.  A yes does it; anything else lets it go.  Stop is not
# here: a half-heard stop goes straight to its own question.
GUESS_QUESTIONS = {
    "start": "Shall we start?",
    "next": "Did you want to move on?",
    "previous": "Did you want to go back?",
    "repeat": "Would you like me to say that again?",
    "pause": "Would you like a pause?",
    "resume": "Shall we carry on?",
    "skip": "Did you want to skip this one?",
    "easier": "Would you like an easier version?",
    "harder": "Would you like a harder version?",
    "cant_lie_down": "Did you mean you can't get down on the floor today?",
    "cant_stand": "Did you mean you can't stand today?",
    "in_bed": "Are you in bed today?",
    "seated": "Are you sitting down today?",
    "pain": "Does something hurt?",
    "emergency": "Do you need someone to come and help you?",
    "cant_get_up": "Are you stuck and can't get up?",
    "tired": "Are you feeling tired?",
    "dizzy": "Are you feeling dizzy?",
    "overheated": "Are you getting too hot?",
    "spasm": "Is that a spasm or a cramp?",
    "feel_better": "Are you feeling better now?",
    "slower": "Shall I talk more slowly?",
    "faster": "Shall I talk a bit faster?",
    "louder": "Shall I speak up?",
    "quieter": "Shall I speak more quietly?",
    "hold_longer": "Would you like longer holds?",
    "hold_shorter": "Would you like shorter holds?",
    "fewer_reps": "Would you like fewer repetitions?",
    "more_reps": "Would you like more repetitions?",
    "rest_longer": "Would you like longer rests?",
    "rest_shorter": "Would you like shorter rests?",
    "help": "Would you like to hear what you can say?",
    "status": "Would you like to know how far along we are?",
    "progress": "Would you like to hear how you've been getting on?",
}
NOT_THAT = "All right. Say it another way if you like, or say help."


def did_you_mean(intent: str, named: str | None = None) -> str | None:
    """The question for a command the coach is unsure of; `named`: the exercise or routine
    a choice names (its spoken name).  None: not one to ask about."""
    if intent in ("choose_exercise", "choose_routine"):
        return f"Did you mean {named}? Say yes or no." if named else None
    question = GUESS_QUESTIONS.get(intent)
    return f"{question} Say yes or no." if question else None


def choose_prompt(default: Routine) -> str:
    return (
        f"Say start for {routine_name(default)}, or name another routine or an exercise. "
        "Say help at any time."
    )


def choose_again(default: Routine) -> str:
    return f"Which would you like? Say start for {routine_name(default)}, or say help."


def routine_intro(routine: Routine, count: int, brief: bool = False) -> str:
    """The routine and what it is for; the count only when today's differs from the usual
    (a gentler day, or versions merged after adapting), since the description gives it.
    Brief, for someone who knows the coach: the name and the count."""
    if brief:
        return f"Let's do {routine_name(routine)}: {count_phrase(count).lower()}."
    intro = f"Let's do {routine_name(routine)}. {routine.description}"
    counted = routine.description.lower().startswith(number(len(routine.exercises)) + " ")
    if count != len(routine.exercises):
        intro += f" Today, {count_phrase(count).lower()}."
    elif not counted:
        intro += f" {count_phrase(count)}."
    return intro


def count_phrase(count: int) -> str:
    return "One exercise" if count == 1 else f"{number(count).capitalize()} exercises"


def exercise_intro(exercise: Exercise, index: int, total: int) -> str:
    if total <= 1:
        return f"Let's do {exercise.name}."
    return f"Exercise {number(index + 1)} of {number(total)}: {exercise.name}."


EQUIPMENT_NAMES = {
    "towel": "a towel",
    "chair": "a sturdy chair",
    "ball": "a small ball",
    "foam_roller": "a foam roller or a rolled-up towel",
    "wall": "a wall or counter to hold",
    "bed": "your bed",
    "pillow": "a pillow",
}


def listing(items: list[str]) -> str:
    """'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def have_ready(equipment: list[str], for_exercise: bool = False) -> str:
    """What to have ready: said once a session per item, for a routine or one exercise."""
    items = [EQUIPMENT_NAMES.get(e, e.replace("_", " ")) for e in equipment]
    if not items:
        return ""
    if for_exercise:
        return f"You'll need {listing(items)}."
    return f"Before we start, have ready {listing(items)}."


def side_line(exercise: Exercise, side: str | None) -> str:
    """Which side works now: the exercise's own words ("Your left foot on the ball.")."""
    if side not in SIDE_NAMES:
        return ""
    assert side is not None
    if exercise.side_cue:
        return sentence(exercise.side_cue.replace("{side}", side))
    return f"{side.capitalize()} side."


def segment_start(exercise: Exercise, segment: Segment, repeat: bool = False) -> str:
    """The line that opens a hold, a set of reps, a rest or a change of side.

    Alternating holds (left, right, left...) are announced in full once a side; a `repeat`
    of one is just its side ("Lift your left knee."), and the next hold's line names the
    side, so the change between them says nothing: one line a hold instead of three.
    """
    alternating = exercise.sides == "alternate"
    if alternating and segment.kind == "switch":
        return ""
    if alternating and repeat and segment.kind == "hold":
        return side_line(exercise, segment.side) or "And again."
    side = side_line(exercise, segment.side)
    side = f"{side} " if side else ""
    set_part = (
        f"Set {number(segment.set_no)} of {number(segment.sets)}. " if segment.sets > 1 else ""
    )
    if segment.kind == "hold":
        doing = exercise.hold_cue.rstrip(".") if exercise.hold_cue else "Hold"
        joiner = ", for" if exercise.hold_cue else " for"
        return f"{side}{set_part}{doing}{joiner} {seconds_phrase(segment.seconds)}."
    if segment.kind == "reps":
        each = " Both sides make one." if segment.side == "alternate" else ""
        unit = "rep" if segment.reps == 1 else "reps"
        guide = " I'll talk you through them." if segment.moves else " I'll count."
        return f"{side}{set_part}{number(segment.reps).capitalize()} {unit}.{each}{guide}"
    if segment.kind == "switch":
        side_name = (segment.side or "other").capitalize()
        return f"{side_name} side next. Change sides, and say ready when you're set."
    return f"Rest for {seconds_phrase(segment.seconds)}."


def steady_question(exercise: Exercise, first: Exercise, done_today: bool) -> str:
    """Before an exercise that needs another to feel steady first."""
    if done_today:
        return f"Before the {exercise.name}: did the {first.name} feel steady? Say yes or no."
    return (
        f"The {exercise.name} needs steady balance. Does the {first.name} feel steady "
        "for you these days? Say yes or no."
    )


def not_steady(exercise: Exercise, first: Exercise) -> str:
    return (
        f"Then we'll leave the {exercise.name} for now. Keep practising the {first.name}, "
        "and we'll try it once that feels steady."
    )


def minutes_phrase(minutes: float) -> str:
    whole = max(1, int(round(minutes)))
    return "about a minute" if whole == 1 else f"about {number(whole)} minutes"


def routine_summary(done: int, minutes: float) -> str:
    """The close of a routine: what was done, how long it took, well done."""
    if done == 0:
        return "That's the end of the routine."
    what = "one exercise" if done == 1 else f"{number(done)} exercises"
    return f"That's the routine finished: {what} in {minutes_phrase(minutes)}. Really well done."


def goodbye(done: int) -> str:
    if done == 0:
        return GOODBYE
    what = "one exercise" if done == 1 else f"{number(done)} exercises"
    return f"You did {what} today. Well done, and goodbye."


def exercise_done(exercise: Exercise) -> str:
    return f"Well done, that's {exercise.name} finished."


def skip_reason(exercise: Exercise, reason: str) -> str:
    return f"We'll skip {exercise.name}. {sentence(reason)}".strip()


def swap_line(original: Exercise, replacement: Exercise, reason: str) -> str:
    reason = reason.strip().rstrip(".")
    if reason.startswith("so "):  # the catalogue gives "so you don't have to lie down"
        return f"Instead of {original.name}, let's do {replacement.name}, {reason}."
    why = f" {sentence(reason)}" if reason else ""
    return f"Instead of {original.name}, let's do {replacement.name}.{why}"


def easier_line(replacement: Exercise) -> str:
    return f"Let's make it easier: {replacement.name}."


def harder_line(replacement: Exercise) -> str:
    return f"Let's step it up: {replacement.name}."


def resume_offer(routine: Routine, exercise: Exercise) -> str:
    return (
        f"Last time you stopped during {routine_name(routine)}, at {exercise.name}. "
        "Would you like to carry on from there? Say yes or no."
    )


def constraints_question(constraints: list[str]) -> str:
    said = " and ".join(CONSTRAINT_MEMORY[c] for c in constraints)
    return f"Last time {said}, so I'll keep to that. Is that still true today? Say yes or no."


def sorry(hint: str) -> str:
    return f"{SORRY} {hint}"


def resumed(remaining: float | None) -> str:
    if remaining is None:
        return "Let's carry on."
    return f"Carrying on, {seconds_phrase(remaining)} left."


# --- the person's own dose (coach.dose) ------------------------------------------------------

DOSE_NOT_NOW = "Let's get you settled first. Ask me again once we're going."
DOSE_IN_BOOKEND = (
    "The warm-up and cool-down stay as they are. Once an exercise starts, you can ask for "
    "longer or shorter holds, or fewer or more reps."
)
DOSE_NO_EXERCISE = (
    "Let's choose an exercise first. Once it starts, you can ask for longer or shorter "
    "holds, fewer or more reps, or longer rests."
)
DOSE_NOT_APPLICABLE = {
    "hold": "This one is counted in reps, not held. Say fewer reps or more reps.",
    "reps": "This one is a single hold. Say hold shorter or hold longer.",
    "rest": "This one has no rests between sets. Say pause whenever you need a break.",
}
#: (what, direction) -> said when the dose is already at its bound.
DOSE_AT_BOUND = {
    ("hold", 1): "That's the longest hold I'd suggest without your therapist's say-so.",
    ("hold", -1): "That's the shortest hold I'll plan. If it's still too much, say easier.",
    ("reps", 1): "That's as many as I'd suggest without your therapist's say-so.",
    ("reps", -1): "That's as few as I'll plan. If it's still too much, say easier or skip.",
    ("rest", 1): "That's the longest rest I'll plan. Say pause whenever you need more.",
    ("rest", -1): "That's the shortest rest I'd suggest.",
}
#: A change that starts at the next time the exercise is done (no set left to change).
DOSE_NEXT_TIME = "That starts from the next time we do it."
DOSE_THIS_ONE_TOO = "This one too."
DOSE_NEXT_SET = "From the next set."
#: What the person asked for, for "Last time you asked for ..., so ...".
DOSE_ASKED = {
    "hold_longer": "longer holds",
    "hold_shorter": "shorter holds",
    "more_reps": "more reps",
    "fewer_reps": "fewer reps",
    "rest_longer": "longer rests",
    "rest_shorter": "shorter rests",
}
STEP_UP_KEPT = "Fine, we'll keep it as it is."


def dose_value(what: str, value: int, hold_mode: bool = False, now: bool = False) -> str:
    """'holds are twenty seconds', 'sets are eight reps', 'rests are forty five seconds'
    (with `now`: 'holds are now twenty seconds')."""
    are = "are now" if now else "are"
    if what == "hold":
        return f"holds {are} {seconds_phrase(value)}"
    if what == "reps" and hold_mode:
        return f"{'it is now' if now else 'it is'} {number(value)} holds each time"
    if what == "reps":
        return f"sets {are} {number(value)} reps"
    return f"rests {are} {seconds_phrase(value)}"


def dose_changed(what: str, value: int, hold_mode: bool = False) -> str:
    return sentence(dose_value(what, value, hold_mode, now=True))


def dose_at_bound(what: str, direction: int, value: int, hold_mode: bool = False) -> str:
    return f"{sentence(dose_value(what, value, hold_mode))} {DOSE_AT_BOUND[(what, direction)]}"


def remembered_dose(change: str, reason: str, parts: list[str]) -> str:
    """Said once, when an exercise starts at the dose the person settled on."""
    why = "you took a step up" if reason == "progression" else f"you asked for {DOSE_ASKED[change]}"
    return f"Last time {why}, so {listing(parts)}."


def step_up_offer(exercise: Exercise, part: str) -> str:
    """The weekly progression: offered, never imposed."""
    return (
        f"The {exercise.name} has gone well this week. Shall we take a small step up, so "
        f"{part}? Say yes or no."
    )


# --- warm-up and cool-down ----------------------------------------------------------------

#: On a low-energy day every warm-up and cool-down move lasts this share of its time.
GENTLE_BOOKEND_SCALE = 0.5
MIN_MOVE_SECONDS = 8.0
BOOKEND_DONE = {
    "warm_up": "That's you warmed up.",
    "cool_down": "And relax. That's the cool-down done.",
}
BOOKEND_SKIPPED = {
    "warm_up": "Okay, straight to the exercises.",
    "cool_down": "Okay, no cool-down this time.",
}
BOOKEND_STATUS = {
    "warm_up": "We're warming up before the first exercise.",
    "cool_down": "We're cooling down after the last exercise.",
}
PAIN_OFFER_BOOKEND = (
    "When you're ready, say resume to carry on gently, skip to leave this part out, "
    "or stop to finish."
)


def bookend_intro(bookend: Bookend, seconds: float, brief: bool) -> str:
    """Before the first move: what comes, how long, and (the first time) how to skip it."""
    if seconds < 45:
        minutes = "half a minute"
    elif 75 <= seconds < 105:
        minutes = "a minute and a half"
    else:
        minutes = minutes_phrase(seconds / 60)
    if bookend.kind == "warm_up":
        if brief:
            return f"First, {minutes} to warm up."
        return f"First, {minutes} to warm up. Say skip to leave it out."
    return f"To finish, {minutes} to cool down."


def move_seconds(move: Move, gentle: bool) -> float:
    """How long a move lasts today: shorter when energy is low."""
    if not gentle:
        return float(move.seconds)
    return max(MIN_MOVE_SECONDS, 5 * round(move.seconds * GENTLE_BOOKEND_SCALE / 5))
