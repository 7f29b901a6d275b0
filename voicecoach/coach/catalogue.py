"""Load and validate the exercise catalogue and routines (TOML data) into frozen dataclasses.

Theory of operation: `exercises.toml` holds `[[exercise]]` tables and `routines.toml` holds
`[[routine]]` tables (schema in docs/catalogue.md).  `load_catalogue` parses both with tomllib,
turns each table into a dataclass while checking field names, types and enum values, then checks
the whole graph: easier / harder / alternative ids exist, easier and harder chains do not loop,
every alternative fits the constraint it is for, every exercise has a way through each of the
required constraints, and spoken names are unique.  `routines.toml` also holds `[[bookend]]`
tables, the warm-ups and cool-downs (optional as a whole): for each kind, every exercise
position has exactly one that goes with it, done in a position that breaks no limit that
position keeps.  Any problem raises CatalogueError naming the file and the entry, so a bad
edit to the data is caught at start-up, not mid-session.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar

from voicecoach.coach.constraints import (
    CONSTRAINTS,
    IN_BED,
    NO_LYING,
    NO_STANDING,
    SEATED,
    fits_position,
)

POSITIONS = ("lying", "quadruped", "seated", "standing", "bed")
"""lying: on the back on the floor or a firm surface; bed: lying in bed."""
KINDS = ("stretch", "strength", "balance")
SIDES = ("none", "each", "alternate")
"""none: both limbs at once or no sides; each: all of one side, then "switch sides";
alternate: sides alternate every hold / rep."""
EQUIPMENT = ("towel", "chair", "ball", "foam_roller", "wall", "bed", "pillow")
MODES = ("hold", "reps")
BOOKEND_KINDS = ("warm_up", "cool_down")
BOOKEND_SECONDS = (30, 150)
"""A warm-up or cool-down lasts half a minute to two and a half minutes in all."""
MOVE_SECONDS = (5, 60)
SOURCES = ("seed", "adapted")

#: Every exercise must fit, have an alternative for, or give a reason to skip these.
REQUIRED_CONSTRAINTS = (NO_LYING, NO_STANDING, IN_BED)
#: Seed exercises must have an easier version.
REQUIRED_ROUTINES = ("stretching", "strengthening", "spasticity", "bed", "seated", "morning")
#: Routines whose exercises must all already fit a constraint.
ROUTINE_FITS = {"bed": IN_BED, "seated": SEATED}
MAX_STEP_WORDS = 25
"""Steps are spoken one at a time to someone listening; longer ones get lost."""
MAX_MOVE_WORDS = 6
"""Moves are said during a rep, in time with it: a few words each."""
SPOKEN_NAME = re.compile(r"^[a-z]+(?:[ '-][a-z]+)*$")
"""Names and aliases are slot values as a recognizer writes them: lowercase words, no digits."""

EXERCISES_FILE = "exercises.toml"
ROUTINES_FILE = "routines.toml"

V = TypeVar("V")


class CatalogueError(ValueError):
    """Bad catalogue data; the message names the file and the entry."""


class FrozenMap(Mapping[str, V]):
    """A read-only, hashable mapping that keeps insertion order (so exercises stay hashable)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, V] | None = None) -> None:
        self._data: dict[str, V] = dict(data or {})

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


@dataclass(frozen=True)
class Dose:
    """How much of an exercise to do."""

    mode: str
    """"hold" or "reps"."""
    hold_seconds: int = 0
    """hold mode: length of each hold; reps mode: pause at the top of each rep (0 = none)."""
    reps: int = 1
    """hold mode: holds per side per set; reps mode: reps per set, per side if sides is "each";
    with sides "alternate" one rep is one go on each side."""
    sets: int = 1
    rest_seconds: int = 0
    """Rest between sets (and between holds when reps > 1 in hold mode)."""
    rep_seconds: float = 4.0
    """reps mode: seconds per rep, the steady spoken pace, pauses included (both sides of an
    "alternate" rep)."""
    note: str = ""
    """The range the article gives, e.g. "30-60 s hold", for the JSON and docs."""


@dataclass(frozen=True)
class Exercise:
    """One exercise as the coach speaks it."""

    id: str
    name: str
    """Spoken name, e.g. "knee to chest"."""
    aliases: tuple[str, ...]
    """Other spoken names people use ("knee hug")."""
    position: str
    """One of POSITIONS."""
    kind: str
    """One of KINDS."""
    areas: tuple[str, ...]
    equipment: tuple[str, ...]
    """From EQUIPMENT."""
    sides: str
    """One of SIDES."""
    intro: str
    """One or two short spoken sentences: what it is and what it helps."""
    steps: tuple[str, ...]
    """Spoken one at a time."""
    dose: Dose
    cautions: tuple[str, ...]
    easier: str | None = None
    """Id of an easier version."""
    harder: str | None = None
    """Id of a harder version."""
    alternatives: Mapping[str, str] = field(default_factory=FrozenMap)
    """Constraint -> id of an exercise that fits that constraint."""
    not_adaptable: Mapping[str, str] = field(default_factory=FrozenMap)
    """Constraint -> the spoken reason for skipping when no version fits."""
    source: str = "seed"
    """"seed" (from the articles) or "adapted" (our own design)."""
    described_as: tuple[str, ...] = ()
    """What people call it by what it is or is for ("balancing", "tight calves"): spoken
    slot values, like the aliases, but never said back by the coach."""
    moves: tuple[str, ...] = ()
    """reps mode: the movement of one rep as short spoken cues, spread evenly over the rep
    (both sides of an "alternate" rep), e.g. "Sit back slowly." / "Pause." / "Stand up."."""
    hold_cue: str = ""
    """hold mode: what to do during a hold, if not simply holding ("Roll the ball slowly")."""
    side_cue: str = ""
    """How to say which side is working, with {side} for left / right ("Your {side} foot
    on the ball."); "" means "Left side."."""
    limit_cautions: Mapping[str, str] = field(default_factory=FrozenMap)
    """Constraint -> a caution that matters for someone with that limit ("brakes on"),
    said each time the exercise starts while the constraint is on."""
    requires: str | None = None
    """Id of an exercise that should feel steady first: the coach asks before starting."""
    beats: tuple[float, ...] = ()
    """Relative length of each move (default: all equal), so a pause can be longer."""

    def __post_init__(self) -> None:
        # Callers may pass plain dicts; freeze them so the exercise stays immutable and hashable.
        for name in ("alternatives", "not_adaptable", "limit_cautions"):
            value = getattr(self, name)
            if not isinstance(value, FrozenMap):
                object.__setattr__(self, name, FrozenMap(value))

    @property
    def spoken_names(self) -> tuple[str, ...]:
        """The name and then the aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Routine:
    """A named list of exercises."""

    id: str
    name: str
    aliases: tuple[str, ...]
    description: str
    """One spoken sentence."""
    exercises: tuple[str, ...]
    """Exercise ids, in order."""
    described_as: tuple[str, ...] = ()
    """What people call it by what it is for ("for bedtime", "to get stronger")."""

    @property
    def spoken_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Move:
    """One timed movement of a warm-up or cool-down."""

    say: str
    """The spoken instruction, at most MAX_STEP_WORDS words."""
    seconds: int
    """How long to keep doing it, after it has been said."""


@dataclass(frozen=True)
class Bookend:
    """A warm-up before a routine's first exercise or a cool-down after its last."""

    id: str
    kind: str
    """One of BOOKEND_KINDS."""
    position: str
    """Where the person is while doing it (one of POSITIONS)."""
    goes_with: tuple[str, ...]
    """The exercise positions it leads into (warm-up) or out of (cool-down)."""
    moves: tuple[Move, ...]

    @property
    def seconds(self) -> int:
        return sum(m.seconds for m in self.moves)


@dataclass(frozen=True)
class Catalogue:
    """All exercises and routines, insertion-ordered as in the data files."""

    exercises: Mapping[str, Exercise]
    routines: Mapping[str, Routine]
    bookends: Mapping[str, Bookend] = field(default_factory=FrozenMap)
    """Warm-ups and cool-downs by id."""

    def bookend(self, kind: str, position: str) -> Bookend | None:
        """The warm-up or cool-down that goes with exercises in `position`."""
        return next(
            (b for b in self.bookends.values() if b.kind == kind and position in b.goes_with),
            None,
        )

    def exercise(self, id: str) -> Exercise:
        """The exercise with this id; KeyError if unknown."""
        return self.exercises[id]

    def routine(self, id: str) -> Routine:
        """The routine with this id; KeyError if unknown."""
        return self.routines[id]

    def to_json(self) -> dict[str, Any]:
        """Everything, as plain JSON-ready data (the `catalogue --json` contract)."""
        return {
            "exercises": [exercise_to_json(e) for e in self.exercises.values()],
            "routines": [
                {
                    "id": r.id,
                    "name": r.name,
                    "aliases": list(r.aliases),
                    "description": r.description,
                    "exercises": list(r.exercises),
                }
                for r in self.routines.values()
            ],
            "bookends": [asdict(b) for b in self.bookends.values()],
        }


def exercise_to_json(e: Exercise) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "aliases": list(e.aliases),
        "position": e.position,
        "kind": e.kind,
        "areas": list(e.areas),
        "equipment": list(e.equipment),
        "sides": e.sides,
        "intro": e.intro,
        "dose": asdict(e.dose),
        "steps": list(e.steps),
        "cautions": list(e.cautions),
        "easier": e.easier,
        "harder": e.harder,
        "alternatives": dict(e.alternatives),
        "not_adaptable": dict(e.not_adaptable),
        "source": e.source,
        "moves": list(e.moves),
        "hold_cue": e.hold_cue,
        "side_cue": e.side_cue,
        "limit_cautions": dict(e.limit_cautions),
        "requires": e.requires,
        "beats": list(e.beats),
    }


# --- loading ------------------------------------------------------------------------------

Source = TextIO | Path | None


def load_catalogue(exercises: Source = None, routines: Source = None) -> Catalogue:
    """Load and check both files; None means the packaged data.  Raises CatalogueError."""
    ex_file, ex_data = _read_toml(exercises, EXERCISES_FILE)
    ro_file, ro_data = _read_toml(routines, ROUTINES_FILE)
    exercise_map = _parse_exercises(ex_file, ex_data)
    routine_map = _parse_routines(ro_file, ro_data)
    bookend_map = _parse_bookends(ro_file, ro_data)
    _check_graph(ex_file, exercise_map)
    _check_routines(ro_file, routine_map, exercise_map)
    _check_spoken_names(ex_file, ro_file, exercise_map, routine_map)
    return Catalogue(FrozenMap(exercise_map), FrozenMap(routine_map), FrozenMap(bookend_map))


def _read_toml(source: Source, default_name: str) -> tuple[str, dict[str, Any]]:
    """(file name for messages, parsed data)."""
    if source is None or isinstance(source, Path):
        name = default_name if source is None else source.name
        try:
            raw = (
                resources.files("voicecoach.data").joinpath(default_name).read_bytes()
                if source is None
                else source.read_bytes()
            )
        except OSError as e:
            raise CatalogueError(f"{name}: cannot read: {e}") from e
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise CatalogueError(
                f"{name}: not UTF-8 text (a bad byte at line {line}); save it as UTF-8"
            ) from e
    else:
        name = getattr(source, "name", None) or default_name
        name = Path(name).name if isinstance(name, str) else default_name
        text = source.read()
    try:
        return name, tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{name}: not valid TOML: {e}") from e


class _Entry:
    """Reads typed fields from one TOML table, raising CatalogueError with file and entry."""

    def __init__(self, file: str, what: str, table: Any, allowed: set[str], required: set[str]):
        self.file, self.what = file, what
        if not isinstance(table, dict):
            self.fail("must be a table")
        self.table: dict[str, Any] = table
        unknown = sorted(set(table) - allowed)
        if unknown:
            self.fail(f"unknown field(s) {', '.join(map(repr, unknown))}")
        missing = sorted(required - set(table))
        if missing:
            self.fail(f"missing field(s) {', '.join(map(repr, missing))}")

    def fail(self, message: str) -> NoReturn:
        raise CatalogueError(f"{self.file}: {self.what}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in self.table:
            return default
        value = self.table[key]
        # bool is an int in Python, but `sets = true` is a mistake, not a number.
        if isinstance(value, bool) or not isinstance(value, kind):
            self.fail(f"{key} must be {_type_name(kind)}, not {value!r}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value: str = self.get(key, str, default)
        if key in self.table and not value.strip():
            self.fail(f"{key} must not be empty")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in options:
            self.fail(f"{key} {value!r} is not one of {', '.join(options)}")
        return value

    def texts(self, key: str, nonempty: bool = False) -> tuple[str, ...]:
        value = self.get(key, list, [])
        if nonempty and not value:
            self.fail(f"{key} must not be empty")
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{key} must hold non-empty strings, not {item!r}")
        return tuple(value)

    def mapping(self, key: str, check: Callable[[str, str], None]) -> dict[str, str]:
        value = self.get(key, dict, {})
        for k, v in value.items():
            if not isinstance(v, str) or not v.strip():
                self.fail(f"{key}.{k} must be a non-empty string, not {v!r}")
            check(k, v)
        return dict(value)


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


_EXERCISE_FIELDS = {
    "id", "name", "aliases", "position", "kind", "areas", "equipment", "sides", "intro", "steps",
    "dose", "cautions", "easier", "harder", "alternatives", "not_adaptable", "source", "moves",
    "hold_cue", "side_cue", "limit_cautions", "requires", "beats", "described_as",
}  # fmt: skip
_EXERCISE_REQUIRED = {"id", "name", "position", "kind", "areas", "sides", "intro", "steps", "dose"}
_DOSE_FIELDS = {"mode", "hold_seconds", "reps", "sets", "rest_seconds", "rep_seconds", "note"}
_ROUTINE_FIELDS = {"id", "name", "aliases", "description", "exercises", "described_as"}
_ROUTINE_REQUIRED = {"id", "name", "description", "exercises"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _entries(
    file: str, data: dict[str, Any], key: str, others: frozenset[str] = frozenset()
) -> list[tuple[str, Any]]:
    """(label, table) per `[[key]]` entry, checking the file has nothing but `key` and
    `others` (read by their own parsers)."""
    extra = sorted(set(data) - {key} - others)
    if extra:
        raise CatalogueError(f"{file}: unknown top-level key(s) {', '.join(map(repr, extra))}")
    tables = data.get(key, [])
    if not isinstance(tables, list):
        raise CatalogueError(f"{file}: {key} must be an array of tables ([[{key}]])")
    labelled = []
    for i, table in enumerate(tables):
        ident = table.get("id") if isinstance(table, dict) else None
        label = f"{key} {ident!r}" if isinstance(ident, str) else f"{key} #{i + 1}"
        labelled.append((label, table))
    return labelled


def _check_id(entry: _Entry, seen: Mapping[str, object]) -> str:
    ident = entry.text("id")
    if not _ID.match(ident):
        entry.fail("id must be lowercase letters, digits and underscores")
    if ident in seen:
        entry.fail("duplicate id")
    return ident


def _parse_exercises(file: str, data: dict[str, Any]) -> dict[str, Exercise]:
    exercises: dict[str, Exercise] = {}
    for label, table in _entries(file, data, "exercise"):
        entry = _Entry(file, label, table, _EXERCISE_FIELDS, _EXERCISE_REQUIRED)
        ident = _check_id(entry, exercises)
        exercises[ident] = _parse_exercise(entry, ident)
    if not exercises:
        raise CatalogueError(f"{file}: no exercises")
    return exercises


def _parse_exercise(entry: _Entry, ident: str) -> Exercise:
    def known_constraint(constraint: str, _value: str) -> None:
        if constraint not in CONSTRAINTS:
            entry.fail(f"{constraint!r} is not a constraint ({', '.join(CONSTRAINTS)})")

    steps = entry.texts("steps", nonempty=True)
    for step in steps:
        if len(step.split()) > MAX_STEP_WORDS:
            entry.fail(f"step longer than {MAX_STEP_WORDS} words: {step!r}")
    equipment = entry.texts("equipment")
    for item in equipment:
        if item not in EQUIPMENT:
            entry.fail(f"equipment {item!r} is not one of {', '.join(EQUIPMENT)}")
    alternatives = entry.mapping("alternatives", known_constraint)
    not_adaptable = entry.mapping("not_adaptable", known_constraint)
    for constraint in sorted(set(alternatives) & set(not_adaptable)):
        entry.fail(f"both an alternative and a not_adaptable reason for {constraint!r}")
    dose_table = entry.get("dose", dict)
    dose = _parse_dose(
        _Entry(entry.file, f"{entry.what}: dose", dose_table, _DOSE_FIELDS, {"mode"}),
        entry.table.get("sides") == "alternate",
    )
    moves, beats = _parse_moves(entry, dose)
    side_cue = entry.text("side_cue", "")
    if side_cue and "{side}" not in side_cue:
        entry.fail("side_cue must contain {side}")
    return Exercise(
        id=ident,
        name=entry.text("name"),
        aliases=entry.texts("aliases"),
        position=entry.choice("position", POSITIONS),
        kind=entry.choice("kind", KINDS),
        areas=entry.texts("areas", nonempty=True),
        equipment=equipment,
        sides=entry.choice("sides", SIDES),
        intro=entry.text("intro"),
        steps=steps,
        dose=dose,
        cautions=entry.texts("cautions"),
        easier=entry.text("easier", None),
        harder=entry.text("harder", None),
        alternatives=FrozenMap(alternatives),
        not_adaptable=FrozenMap(not_adaptable),
        source=entry.choice("source", SOURCES, "seed"),
        described_as=entry.texts("described_as"),
        moves=moves,
        hold_cue=entry.text("hold_cue", ""),
        side_cue=side_cue,
        limit_cautions=FrozenMap(entry.mapping("limit_cautions", known_constraint)),
        requires=entry.text("requires", None),
        beats=beats,
    )


def _parse_moves(entry: _Entry, dose: Dose) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The spoken moves of one rep and their relative lengths."""
    moves = entry.texts("moves")
    if dose.mode == "reps" and not moves:
        entry.fail("reps mode needs moves: the cues that talk a person through one rep")
    for move in moves:
        if len(move.split()) > MAX_MOVE_WORDS:
            entry.fail(f"move longer than {MAX_MOVE_WORDS} words: {move!r}")
    beats = entry.get("beats", list, [])
    if beats and (
        len(beats) != len(moves) or not all(isinstance(b, int | float) and b > 0 for b in beats)
    ):
        entry.fail("beats must give one positive number per move")
    return moves, tuple(float(b) for b in beats)


def _parse_dose(entry: _Entry, both_sides_per_rep: bool) -> Dose:
    dose = Dose(
        mode=entry.choice("mode", MODES),
        hold_seconds=entry.get("hold_seconds", int, 0),
        reps=entry.get("reps", int, 1),
        sets=entry.get("sets", int, 1),
        rest_seconds=entry.get("rest_seconds", int, 0),
        rep_seconds=float(entry.get("rep_seconds", (int, float), 4.0)),
        note=entry.get("note", str, ""),
    )
    if dose.mode == "hold" and dose.hold_seconds < 1:
        entry.fail("hold mode needs hold_seconds >= 1")
    if dose.reps < 1:
        entry.fail("reps must be >= 1")
    if dose.sets < 1:
        entry.fail("sets must be >= 1")
    if dose.hold_seconds < 0 or dose.rest_seconds < 0:
        entry.fail("hold_seconds and rest_seconds must not be negative")
    pauses = dose.hold_seconds * (2 if both_sides_per_rep else 1)
    if dose.mode == "reps" and not pauses < dose.rep_seconds:
        entry.fail(
            "reps mode needs rep_seconds longer than the pause (hold_seconds)"
            + (" on both sides" if both_sides_per_rep else "")
        )
    return dose


def _parse_routines(file: str, data: dict[str, Any]) -> dict[str, Routine]:
    routines: dict[str, Routine] = {}
    for label, table in _entries(file, data, "routine", frozenset({"bookend"})):
        entry = _Entry(file, label, table, _ROUTINE_FIELDS, _ROUTINE_REQUIRED)
        ident = _check_id(entry, routines)
        routines[ident] = Routine(
            id=ident,
            name=entry.text("name"),
            aliases=entry.texts("aliases"),
            description=entry.text("description"),
            exercises=entry.texts("exercises", nonempty=True),
            described_as=entry.texts("described_as"),
        )
    missing = [r for r in REQUIRED_ROUTINES if r not in routines]
    if missing:
        raise CatalogueError(f"{file}: missing routine(s) {', '.join(map(repr, missing))}")
    return routines


_BOOKEND_FIELDS = {"id", "kind", "position", "goes_with", "moves"}
_MOVE_FIELDS = {"say", "seconds"}


def _parse_bookends(file: str, data: dict[str, Any]) -> dict[str, Bookend]:
    """The `[[bookend]]` tables: parsed, then checked to cover every position once."""
    bookends: dict[str, Bookend] = {}
    for label, table in _entries(file, data, "bookend", frozenset({"routine"})):
        entry = _Entry(file, label, table, _BOOKEND_FIELDS, _BOOKEND_FIELDS)
        ident = _check_id(entry, bookends)
        bookends[ident] = _parse_bookend(entry, ident)
    if not bookends:
        return bookends  # a catalogue without warm-ups: routines go straight in
    for kind in BOOKEND_KINDS:
        for position in POSITIONS:
            owners = [b.id for b in bookends.values() if b.kind == kind and position in b.goes_with]
            if len(owners) != 1:
                what = "no" if not owners else f"more than one ({', '.join(owners)})"
                raise CatalogueError(
                    f"{file}: {what} {kind} goes with {position} exercises: give exactly one "
                    "[[bookend]] with that position in goes_with"
                )
    return bookends


def _parse_bookend(entry: _Entry, ident: str) -> Bookend:
    position = entry.choice("position", POSITIONS)
    goes_with = entry.texts("goes_with", nonempty=True)
    for other in goes_with:
        if other not in POSITIONS:
            entry.fail(f"goes_with {other!r} is not one of {', '.join(POSITIONS)}")
        broken = [
            c
            for c in CONSTRAINTS
            if fits_position(other, (c,)) and not fits_position(position, (c,))
        ]
        if broken:
            # Someone whose limits allow the exercise must be able to do its bookend too.
            entry.fail(f"{position} breaks {broken[0]!r}, which {other} exercises keep")
    tables = entry.get("moves", list, [])
    if not tables:
        entry.fail("moves must not be empty")
    moves = []
    for i, table in enumerate(tables):
        move = _Entry(entry.file, f"{entry.what}: move {i + 1}", table, _MOVE_FIELDS, _MOVE_FIELDS)
        say = move.text("say")
        if len(say.split()) > MAX_STEP_WORDS:
            move.fail(f"say is longer than {MAX_STEP_WORDS} words")
        seconds = move.get("seconds", int)
        if not MOVE_SECONDS[0] <= seconds <= MOVE_SECONDS[1]:
            move.fail(f"seconds must be {MOVE_SECONDS[0]} to {MOVE_SECONDS[1]}, not {seconds}")
        moves.append(Move(say, seconds))
    bookend = Bookend(ident, entry.choice("kind", BOOKEND_KINDS), position, goes_with, tuple(moves))
    low, high = BOOKEND_SECONDS
    if not low <= bookend.seconds <= high:
        entry.fail(f"moves last {bookend.seconds} s in all; keep it to {low}-{high} s")
    return bookend


# --- whole-catalogue checks ---------------------------------------------------------------


def _check_graph(file: str, exercises: Mapping[str, Exercise]) -> None:
    for e in exercises.values():

        def fail(message: str, e: Exercise = e) -> NoReturn:
            raise CatalogueError(f"{file}: exercise {e.id!r}: {message}")

        for link in ("easier", "harder"):
            target = getattr(e, link)
            if target is not None and target not in exercises:
                fail(f"{link} {target!r} is not an exercise id")
            _check_chain(exercises, e, link, fail)
        if e.easier is not None:
            easier = exercises[e.easier]
            lost = [
                c
                for c in CONSTRAINTS
                if fits_position(e.position, (c,)) and not fits_position(easier.position, (c,))
            ]
            if lost:
                # Asking for "easier" must never push someone into a position they ruled out.
                fail(
                    f"easier {easier.id!r} ({easier.position}) does not fit {lost[0]!r} "
                    f"although {e.position} does"
                )
        _check_constraints(exercises, e, fail)
        if e.requires is not None and e.requires not in exercises:
            fail(f"requires {e.requires!r} is not an exercise id")
        if e.source == "seed" and e.easier is None:
            fail("seed exercise needs an easier version")


def _check_chain(
    exercises: Mapping[str, Exercise], start: Exercise, link: str, fail: Callable[[str], NoReturn]
) -> None:
    seen = [start.id]
    target = getattr(start, link)
    while target is not None and target in exercises:
        if target in seen:
            fail(f"{link} chain loops: {' -> '.join([*seen, target])}")
        seen.append(target)
        target = getattr(exercises[target], link)


def _check_constraints(
    exercises: Mapping[str, Exercise], e: Exercise, fail: Callable[[str], NoReturn]
) -> None:
    for constraint in CONSTRAINTS:
        fits = fits_position(e.position, (constraint,))
        alternative = e.alternatives.get(constraint)
        if alternative is not None:
            if fits:
                fail(f"alternatives.{constraint}: {e.position} already fits {constraint!r}")
            if alternative not in exercises:
                fail(f"alternatives.{constraint} {alternative!r} is not an exercise id")
            target = exercises[alternative]
            if not fits_position(target.position, (constraint,)):
                fail(
                    f"alternatives.{constraint} {alternative!r} is {target.position}, "
                    f"which breaks {constraint!r}"
                )
        elif constraint in e.not_adaptable:
            if fits:
                fail(f"not_adaptable.{constraint}: {e.position} already fits {constraint!r}")
        elif not fits and constraint in REQUIRED_CONSTRAINTS:
            fail(
                f"{e.position} breaks {constraint!r}: add alternatives.{constraint} "
                f"or not_adaptable.{constraint}"
            )


def _check_routines(
    file: str, routines: Mapping[str, Routine], exercises: Mapping[str, Exercise]
) -> None:
    for r in routines.values():
        for ident in r.exercises:
            if ident not in exercises:
                raise CatalogueError(f"{file}: routine {r.id!r}: {ident!r} is not an exercise id")
            constraint = ROUTINE_FITS.get(r.id)
            if constraint and not fits_position(exercises[ident].position, (constraint,)):
                raise CatalogueError(
                    f"{file}: routine {r.id!r}: {ident!r} is "
                    f"{exercises[ident].position}, which breaks {constraint!r}"
                )


def normalise_name(name: str) -> str:
    """The form names are compared in: lowercase, single spaces."""
    return " ".join(name.lower().split())


def _check_spoken_names(
    ex_file: str, ro_file: str, exercises: Mapping[str, Exercise], routines: Mapping[str, Routine]
) -> None:
    owners: dict[str, str] = {}
    entries = [
        (ex_file, f"exercise {e.id!r}", (*e.spoken_names, *e.described_as))
        for e in exercises.values()
    ]
    entries += [
        (ro_file, f"routine {r.id!r}", (*r.spoken_names, *r.described_as))
        for r in routines.values()
    ]
    for file, label, names in entries:
        for name in names:
            if not SPOKEN_NAME.match(name):
                raise CatalogueError(f"{file}: {label}: name {name!r} must be lowercase words")
            key = normalise_name(name)
            if key in owners and owners[key] != label:
                raise CatalogueError(
                    f"{file}: {label}: name {name!r} is already used by {owners[key]}"
                )
            if key in owners:
                raise CatalogueError(f"{file}: {label}: name {name!r} given twice")
            owners[key] = label
