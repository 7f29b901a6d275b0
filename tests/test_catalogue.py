"""The catalogue loader on the real data, and on bad data fed through io.StringIO."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from voicecoach.app.cli import main
from voicecoach.coach.adapt import fits
from voicecoach.coach.catalogue import (
    EQUIPMENT,
    POSITIONS,
    REQUIRED_ROUTINES,
    CatalogueError,
    Exercise,
    load_catalogue,
)
from voicecoach.coach.constraints import ALLOWED, CONSTRAINTS, fits_position

SEED_IDS = (
    "knee_to_chest", "spinal_twist", "supine_twist", "shoulder_flexion", "cervical_rotation",
    "bird_dog", "sit_to_stand", "single_leg_stand", "glute_bridge", "stationary_lunge",
    "hip_crossover", "hip_flexor_stretch", "calf_stretch", "ankle_stretch", "foot_roll",
)  # fmt: skip
SEEDS_DIR = Path("/work/shared/seeds")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# --- the real data ------------------------------------------------------------------------


def test_real_data_has_exactly_the_seed_exercises(catalogue):
    seeds = [e.id for e in catalogue.exercises.values() if e.source == "seed"]
    assert seeds == list(SEED_IDS)


def test_real_data_has_at_least_twelve_adapted_versions(catalogue):
    adapted = [e for e in catalogue.exercises.values() if e.source == "adapted"]
    assert len(adapted) >= 12
    # Each adapted version is reachable from a seed exercise, so none is dead data.
    reachable = set(SEED_IDS)
    frontier = list(SEED_IDS)
    while frontier:
        e = catalogue.exercise(frontier.pop())
        for target in (e.easier, e.harder, *e.alternatives.values()):
            if target and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert {e.id for e in adapted} <= reachable


def test_every_exercise_has_a_way_through_every_constraint(catalogue):
    for e in catalogue.exercises.values():
        for c in CONSTRAINTS:
            assert fits(e, [c]) or c in e.alternatives or c in e.not_adaptable, (e.id, c)


def test_seed_exercises_need_no_skipping_except_where_explained(catalogue):
    for ident in SEED_IDS:
        e = catalogue.exercise(ident)
        assert e.easier is not None, ident
        for c in ("no_lying", "no_standing", "in_bed"):
            assert c not in e.not_adaptable, (ident, c)


def test_routines_are_complete_and_fit_their_setting(catalogue):
    assert tuple(catalogue.routines) == REQUIRED_ROUTINES
    article_1 = SEED_IDS[:5], SEED_IDS[5:10]
    assert catalogue.routine("stretching").exercises == article_1[0]
    # The article's exercises, ordered from the floor up, the lunge after the single leg stand.
    strengthening = catalogue.routine("strengthening").exercises
    assert sorted(strengthening) == sorted(article_1[1])
    assert strengthening.index("single_leg_stand") < strengthening.index("stationary_lunge")
    assert sorted(catalogue.routine("spasticity").exercises) == sorted(SEED_IDS[10:])
    order = {"lying": 0, "quadruped": 1, "bed": 2, "seated": 3, "standing": 4}
    for routine in catalogue.routines.values():
        where = [order[catalogue.exercise(i).position] for i in routine.exercises]
        assert where == sorted(where), routine.id
    for ident in catalogue.routine("bed").exercises:
        assert fits(catalogue.exercise(ident), ["in_bed"]), ident
    for ident in catalogue.routine("seated").exercises:
        assert fits(catalogue.exercise(ident), ["seated"]), ident
    assert 4 <= len(catalogue.routine("morning").exercises) <= 6


def test_spoken_text_is_short_and_plain(catalogue):
    for e in catalogue.exercises.values():
        assert all(len(step.split()) <= 20 for step in e.steps), e.id
        assert len(e.intro.split()) <= 30, e.id
        assert len(re.findall(r"[.!?](\s|$)", e.intro)) <= 2, e.id
        assert all(len(c.split()) <= 20 for c in e.cautions), e.id
        for text in (e.intro, *e.steps, *e.cautions, *e.moves, *e.limit_cautions.values()):
            assert text[0].isupper(), (e.id, text)
            assert text.endswith("."), (e.id, text)
        assert all(len(m.split()) <= 6 for m in e.moves), e.id
        assert (e.dose.mode == "reps") == bool(e.moves), e.id


def test_seed_doses_take_the_article_lower_end(catalogue):
    d = catalogue.exercise("knee_to_chest").dose
    assert (d.mode, d.hold_seconds, d.note[:8]) == ("hold", 30, "30-60 s ")
    d = catalogue.exercise("bird_dog").dose
    assert (d.mode, d.reps, d.sets, d.rest_seconds) == ("reps", 6, 2, 30)
    assert 2 * d.hold_seconds < d.rep_seconds <= 15  # both sides, each with its pause
    d = catalogue.exercise("single_leg_stand").dose
    assert (d.hold_seconds, d.reps) == (10, 5)
    assert catalogue.exercise("single_leg_stand").sides == "alternate"
    d = catalogue.exercise("stationary_lunge").dose
    assert (d.reps, d.sets) == (8, 1)
    d = catalogue.exercise("cervical_rotation").dose
    assert (d.mode, d.reps) == ("reps", 5)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def _shingles(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_spoken_sentences_are_our_own_words(catalogue):
    """No line the coach speaks shares six words in a row with the source articles, and no
    short line (four words or more) appears in them whole."""
    if not SEEDS_DIR.is_dir():
        pytest.skip("source articles not available")
    articles = [_words(p.read_text()) for p in SEEDS_DIR.glob("*.txt")]
    shingles = set().union(*(_shingles(words, 6) for words in articles))
    joined = " | ".join(" ".join(words) for words in articles)
    assert shingles
    for e in catalogue.exercises.values():
        spoken = (
            e.intro,
            *e.steps,
            *e.cautions,
            *e.not_adaptable.values(),
            *e.moves,
            e.hold_cue,
            e.side_cue,
            *e.limit_cautions.values(),
        )
        for text in filter(None, spoken):
            words = _words(text)
            assert not _shingles(words, 6) & shingles, (e.id, text)
            for sentence in re.split(r"[.!?]", text.lower()):
                if len(_words(sentence)) >= 4:
                    assert f" {' '.join(_words(sentence))} " not in f" {joined} ", (e.id, text)


def test_exercises_are_hashable_and_frozen(catalogue):
    e = catalogue.exercise("knee_to_chest")
    assert hash(e) == hash(catalogue.exercise("knee_to_chest"))
    with pytest.raises(AttributeError):
        e.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        e.alternatives["no_lying"] = "x"  # type: ignore[index]
    plain = Exercise(
        id="x", name="x", aliases=(), position="seated", kind="stretch", areas=("neck",),
        equipment=(), sides="none", intro="X.", steps=("X.",), dose=e.dose, cautions=(),
        alternatives={"no_lying": "y"},
    )  # fmt: skip
    assert plain.alternatives == {"no_lying": "y"}
    hash(plain)


def test_unknown_id_is_a_key_error(catalogue):
    with pytest.raises(KeyError):
        catalogue.exercise("cartwheel")
    with pytest.raises(KeyError):
        catalogue.routine("marathon")


def test_loads_from_paths(tmp_path):
    from importlib import resources

    data = resources.files("voicecoach.data")
    ex, ro = tmp_path / "ex.toml", tmp_path / "ro.toml"
    ex.write_text(data.joinpath("exercises.toml").read_text("utf-8"))
    ro.write_text(data.joinpath("routines.toml").read_text("utf-8"))
    assert load_catalogue(ex, ro).to_json() == load_catalogue().to_json()
    with pytest.raises(CatalogueError, match="nothing.toml: cannot read"):
        load_catalogue(tmp_path / "nothing.toml", ro)


# --- bad data -----------------------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"


def _tables(key: str, tables: list[dict[str, Any]]) -> io.StringIO:
    out = []
    for table in tables:
        out.append(f"[[{key}]]")
        out += [f"{k} = {_toml(v)}" for k, v in table.items()]
        out.append("")
    return io.StringIO("\n".join(out))


def ex(ident: str, **fields: Any) -> dict[str, Any]:
    """A valid seated exercise; seated fits every constraint, so it needs no alternatives."""
    table: dict[str, Any] = {
        "id": ident,
        "name": ident.replace("_", " ") + " move",
        "aliases": [],
        "position": "seated",
        "kind": "stretch",
        "areas": ["neck"],
        "equipment": [],
        "sides": "none",
        "intro": "A move.",
        "steps": ["Sit.", "Move."],
        "dose": {"mode": "hold", "hold_seconds": 10},
        "cautions": ["Go gently."],
        "source": "adapted",
    }
    table.update(fields)
    return {k: v for k, v in table.items() if v is not None}


def routines(**overrides: list[str] | None) -> list[dict[str, Any]]:
    out = []
    for r in REQUIRED_ROUTINES:
        exercises = overrides.get(r, ["a"])
        if exercises is not None:
            out.append(
                {"id": r, "name": f"{r} routine", "description": "Some.", "exercises": exercises}
            )
    return out


def load(exercises: list[dict[str, Any]], routine_tables: list[dict[str, Any]] | None = None):
    return load_catalogue(
        _tables("exercise", exercises), _tables("routine", routine_tables or routines())
    )


def test_minimal_valid_catalogue_loads():
    c = load([ex("a", source="seed", easier="b"), ex("b")])
    assert list(c.exercises) == ["a", "b"]
    assert c.exercise("a").dose.hold_seconds == 10


LYING = {"position": "lying"}
STANDING = {"position": "standing"}
BAD_EXERCISES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "unknown field": ([ex("a", colour="red")], "exercise 'a': unknown field(s) 'colour'"),
    "missing field": ([ex("a", steps=None)], "exercise 'a': missing field(s) 'steps'"),
    "missing dose": ([ex("a", dose=None)], "exercise 'a': missing field(s) 'dose'"),
    "bad position": ([ex("a", position="floor")], "exercise 'a': position 'floor' is not one"),
    "bad kind": ([ex("a", kind="cardio")], "exercise 'a': kind 'cardio'"),
    "bad sides": ([ex("a", sides="both")], "exercise 'a': sides 'both'"),
    "bad source": ([ex("a", source="internet")], "exercise 'a': source 'internet'"),
    "bad equipment": ([ex("a", equipment=["dumbbell"])], "exercise 'a': equipment 'dumbbell'"),
    "wrong type": ([ex("a", areas="neck")], "exercise 'a': areas must be a list"),
    "bool as number": (
        [ex("a", dose={"mode": "reps", "reps": True})],
        "exercise 'a': dose: reps must be an integer",
    ),
    "bad mode": ([ex("a", dose={"mode": "timed"})], "exercise 'a': dose: mode 'timed'"),
    "hold without seconds": (
        [ex("a", dose={"mode": "hold"})],
        "exercise 'a': dose: hold mode needs hold_seconds",
    ),
    "reps below one": (
        [ex("a", dose={"mode": "reps", "reps": 0})],
        "exercise 'a': dose: reps must be >= 1",
    ),
    "sets below one": (
        [ex("a", dose={"mode": "hold", "hold_seconds": 5, "sets": 0})],
        "exercise 'a': dose: sets must be >= 1",
    ),
    "pause longer than rep": (
        [ex("a", dose={"mode": "reps", "reps": 5, "hold_seconds": 5, "rep_seconds": 3})],
        "exercise 'a': dose: reps mode needs rep_seconds longer",
    ),
    "pauses on both sides longer than rep": (
        [
            ex(
                "a",
                sides="alternate",
                dose={"mode": "reps", "reps": 5, "hold_seconds": 3, "rep_seconds": 5},
            )
        ],
        "exercise 'a': dose: reps mode needs rep_seconds longer than the pause (hold_seconds) on "
        "both sides",
    ),
    "reps without moves": (
        [ex("a", dose={"mode": "reps", "reps": 5})],
        "exercise 'a': reps mode needs moves",
    ),
    "long move": (
        [ex("a", dose={"mode": "reps", "reps": 5}, moves=["word " * 8])],
        "exercise 'a': move longer than",
    ),
    "beats do not match moves": (
        [ex("a", dose={"mode": "reps", "reps": 5}, moves=["Up.", "Down."], beats=[1])],
        "exercise 'a': beats must give one positive number per move",
    ),
    "side cue without side": (
        [ex("a", side_cue="This side.")],
        "exercise 'a': side_cue must contain {side}",
    ),
    "unknown requirement": (
        [ex("a", requires="zz")],
        "exercise 'a': requires 'zz' is not an exercise id",
    ),
    "unknown limit": (
        [ex("a", limit_cautions={"upside_down": "Careful."})],
        "exercise 'a': 'upside_down' is not a constraint",
    ),
    "unknown dose field": (
        [ex("a", dose={"mode": "hold", "hold_seconds": 5, "minutes": 1})],
        "exercise 'a': dose: unknown field(s) 'minutes'",
    ),
    "empty steps": ([ex("a", steps=[])], "exercise 'a': steps must not be empty"),
    "blank step": ([ex("a", steps=["Sit.", " "])], "exercise 'a': steps must hold non-empty"),
    "long step": ([ex("a", steps=["word " * 30])], "exercise 'a': step longer than"),
    "empty intro": ([ex("a", intro="")], "exercise 'a': intro must not be empty"),
    "unknown easier": ([ex("a", easier="foo")], "exercise 'a': easier 'foo' is not an exercise"),
    "unknown harder": ([ex("a", harder="foo")], "exercise 'a': harder 'foo' is not an exercise"),
    "easier loops on itself": ([ex("a", easier="a")], "exercise 'a': easier chain loops: a -> a"),
    "easier loop": (
        [ex("a", easier="b"), ex("b", easier="a")],
        "exercise 'a': easier chain loops: a -> b -> a",
    ),
    "harder loop": (
        [ex("a", harder="b"), ex("b", harder="c"), ex("c", harder="a")],
        "exercise 'a': harder chain loops: a -> b -> c -> a",
    ),
    "unknown alternative": (
        [ex("a", **STANDING, alternatives={"no_standing": "zz"}, not_adaptable={"in_bed": "No."})],
        "exercise 'a': alternatives.no_standing 'zz' is not an exercise id",
    ),
    "unknown constraint": (
        [ex("a", alternatives={"upside_down": "a"})],
        "exercise 'a': 'upside_down' is not a constraint",
    ),
    "alternative breaks its constraint": (
        [
            ex("a", **STANDING, alternatives={"no_standing": "b", "in_bed": "c"}),
            ex("b", **STANDING, alternatives={"no_standing": "c", "in_bed": "c"}),
            ex("c"),
        ],
        "exercise 'a': alternatives.no_standing 'b' is standing, which breaks 'no_standing'",
    ),
    "alternative and reason": (
        [
            ex(
                "a",
                **LYING,
                alternatives={"no_lying": "b", "in_bed": "b"},
                not_adaptable={"no_lying": "No."},
            ),
            ex("b"),
        ],
        "exercise 'a': both an alternative and a not_adaptable reason for 'no_lying'",
    ),
    "alternative it does not need": (
        [ex("a", alternatives={"seated": "b"}), ex("b")],
        "exercise 'a': alternatives.seated: seated already fits",
    ),
    "seed without easier": (
        [ex("a", source="seed")],
        "exercise 'a': seed exercise needs an easier",
    ),
    "no way through no_lying": (
        [ex("a", **LYING, alternatives={"in_bed": "b"}), ex("b")],
        "exercise 'a': lying breaks 'no_lying'",
    ),
    "no way through in_bed": (
        [ex("a", **STANDING, alternatives={"no_standing": "b"}), ex("b")],
        "exercise 'a': standing breaks 'in_bed'",
    ),
    "easier needs a ruled-out position": (
        [ex("a", easier="b"), ex("b", **LYING, alternatives={"no_lying": "a", "in_bed": "a"})],
        "exercise 'a': easier 'b' (lying) does not fit 'no_lying'",
    ),
    "duplicate id": ([ex("a"), ex("a", name="other")], "exercise 'a': duplicate id"),
    "duplicate name": (
        [ex("a"), ex("b", name="a move")],
        "exercise 'b': name 'a move' is already used by exercise 'a'",
    ),
    "alias is another's name": (
        [ex("a"), ex("b", aliases=["a move"])],
        "exercise 'b': name 'a move' is already used by exercise 'a'",
    ),
    "uppercase alias": ([ex("a", aliases=["A  Move"])], "exercise 'a': name 'A  Move' must be"),
    "name given twice": ([ex("a", aliases=["a move"])], "exercise 'a': name 'a move' given twice"),
    "digits in name": ([ex("a", name="move 2")], "exercise 'a': name 'move 2' must be lowercase"),
    "bad id": ([ex("A-1")], "exercise 'A-1': id must be lowercase"),
}


@pytest.mark.parametrize("case", list(BAD_EXERCISES))
def test_bad_exercise_data_names_file_and_entry(case):
    exercises, message = BAD_EXERCISES[case]
    with pytest.raises(CatalogueError) as info:
        load(exercises)
    assert str(info.value).startswith("exercises.toml: ")
    assert message in str(info.value)


BAD_ROUTINES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "unknown exercise": (
        routines(morning=["a", "cartwheel"]),
        "routine 'morning': 'cartwheel' is not an exercise id",
    ),
    "missing routine": (routines(bed=None), "missing routine(s) 'bed'"),
    "empty routine": (routines(seated=[]), "routine 'seated': exercises must not be empty"),
    "unknown field": (
        [{**r, "colour": "red"} for r in routines()],
        "routine 'stretching': unknown field(s) 'colour'",
    ),
    "missing field": (
        [{k: v for k, v in r.items() if k != "description"} for r in routines()],
        "routine 'stretching': missing field(s) 'description'",
    ),
    "duplicate id": ([*routines(), routines()[0]], "routine 'stretching': duplicate id"),
    "name clashes with an exercise": (
        [{**r, "aliases": ["a move"]} if r["id"] == "bed" else r for r in routines()],
        "routine 'bed': name 'a move' is already used by exercise 'a'",
    ),
    "bed routine needs standing": (
        routines(bed=["a", "s"]),
        "routine 'bed': 's' is standing, which breaks 'in_bed'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROUTINES))
def test_bad_routine_data_names_file_and_entry(case):
    routine_tables, message = BAD_ROUTINES[case]
    standing = ex("s", **STANDING, alternatives={"no_standing": "a", "in_bed": "a"})
    with pytest.raises(CatalogueError) as info:
        load([ex("a"), standing], routine_tables)
    assert str(info.value).startswith("routines.toml: ")
    assert message in str(info.value)


def test_bad_toml_and_stray_keys_are_catalogue_errors():
    with pytest.raises(CatalogueError, match=r"^exercises.toml: not valid TOML"):
        load_catalogue(io.StringIO("[[exercise]\nid = "), _tables("routine", routines()))
    with pytest.raises(CatalogueError, match=r"^exercises.toml: unknown top-level key\(s\) 'x'"):
        load_catalogue(io.StringIO("x = 1"), _tables("routine", routines()))
    with pytest.raises(CatalogueError, match=r"^routines.toml: routine must be an array"):
        load_catalogue(_tables("exercise", [ex("a")]), io.StringIO("routine = 3"))


def test_error_is_a_value_error():
    assert issubclass(CatalogueError, ValueError)


# --- the command --------------------------------------------------------------------------


def test_catalogue_json_command(capsys, catalogue):
    assert main(["catalogue", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in data["exercises"]] == list(catalogue.exercises)
    assert [r["id"] for r in data["routines"]] == list(REQUIRED_ROUTINES)
    keys = {
        "id",
        "name",
        "aliases",
        "position",
        "kind",
        "areas",
        "equipment",
        "sides",
        "dose",
        "steps",
        "cautions",
        "easier",
        "harder",
        "alternatives",
        "not_adaptable",
        "source",
    }
    for e in data["exercises"]:
        assert keys <= set(e)
        assert e["position"] in POSITIONS
        assert set(e["equipment"]) <= set(EQUIPMENT)
        assert set(e["dose"]) == {
            "mode",
            "hold_seconds",
            "reps",
            "sets",
            "rest_seconds",
            "rep_seconds",
            "note",
        }
        for constraint, target in e["alternatives"].items():
            assert catalogue.exercise(target).position in ALLOWED[constraint]
    knee = data["exercises"][0]
    assert knee["alternatives"]["no_lying"] == "knee_to_chest_seated"
    assert knee["dose"]["hold_seconds"] == 30
    assert data["routines"][0]["exercises"] == list(SEED_IDS[:5])


def test_catalogue_text_command(capsys):
    assert main(["catalogue", "hip_flexor_stretch", "bed", "--constraints", "seated"]) == 0
    out = capsys.readouterr().out
    assert "hip_flexor_stretch" in out
    assert "routine bed" in out
    assert "with seated: SKIP" in out
    assert "knee_to_chest " not in out


def test_catalogue_command_reports_bad_files(tmp_path, capsys):
    bad = tmp_path / "exercises.toml"
    bad.write_text('[[exercise]]\nid = "a"\n')
    assert main(["catalogue", "--exercises", str(bad)]) == 1
    assert "exercises.toml: exercise 'a': missing field(s)" in capsys.readouterr().err
    assert main(["catalogue", "nosuch"]) == 2
    assert main(["catalogue", "--constraints", "upside_down"]) == 2


# --- warm-ups and cool-downs ------------------------------------------------------------------


def bookends(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    """A valid set: one seated warm-up and one seated cool-down that go with every
    position (seated suits every limit); `changes` edit the warm-up."""
    moves = [{"say": "Breathe in slowly, and out.", "seconds": 20}] * 2
    out = [
        {"id": f"{kind}_all", "kind": kind, "position": "seated", "goes_with": list(POSITIONS),
         "moves": moves}
        for kind in ("warm_up", "cool_down")
    ]  # fmt: skip
    out[0].update(changes)
    return out


def load_bookends(tables: list[dict[str, Any]]):
    routines_text = _tables("routine", routines()).getvalue()
    bookend_text = _tables("bookend", tables).getvalue()
    return load_catalogue(
        _tables("exercise", [ex("a")]), io.StringIO(routines_text + "\n" + bookend_text)
    )


def test_the_packaged_bookends_cover_every_position_within_its_limits(catalogue):
    for kind in ("warm_up", "cool_down"):
        for position in POSITIONS:
            bookend = catalogue.bookend(kind, position)
            assert bookend is not None, (kind, position)
            assert fits_position(bookend.position, allowed_by(position)), bookend.id
            assert 30 <= bookend.seconds <= 150


def allowed_by(position: str) -> tuple[str, ...]:
    return tuple(c for c in CONSTRAINTS if fits_position(position, (c,)))


def test_valid_bookends_load_and_a_catalogue_may_have_none():
    catalogue = load_bookends(bookends())
    assert catalogue.bookend("warm_up", "lying") == catalogue.bookends["warm_up_all"]
    assert catalogue.bookends["cool_down_all"].seconds == 40
    assert not load([ex("a")]).bookends


BAD_BOOKENDS: dict[str, tuple[list[dict[str, Any]], str]] = {
    "a position with none": (
        bookends(goes_with=["seated", "standing", "lying", "bed"]),
        "no warm_up goes with quadruped exercises",
    ),
    "a position with two": (
        [*bookends(), {**bookends()[0], "id": "another"}],
        "more than one (warm_up_all, another) warm_up goes with lying",
    ),
    "breaks a limit": (
        bookends(position="standing"),
        "bookend 'warm_up_all': standing breaks 'no_standing', which lying exercises keep",
    ),
    "unknown kind": (bookends(kind="stretch_out"), "kind 'stretch_out' is not one of"),
    "no moves": (bookends(moves=[]), "bookend 'warm_up_all': moves must not be empty"),
    "a move too long": (
        bookends(moves=[{"say": "Breathe " * 30, "seconds": 40}]),
        "move 1: say is longer than 25 words",
    ),
    "a move with no time": (
        bookends(moves=[{"say": "Breathe.", "seconds": 0}] * 2),
        "move 1: seconds must be 5 to 60, not 0",
    ),
    "too long in all": (
        bookends(moves=[{"say": "Breathe.", "seconds": 60}] * 3),
        "moves last 180 s in all; keep it to 30-150 s",
    ),
    "unknown field": (bookends(colour="red"), "bookend 'warm_up_all': unknown field(s) 'colour'"),
}


@pytest.mark.parametrize("case", list(BAD_BOOKENDS))
def test_bad_bookend_data_names_file_and_entry(case):
    tables, message = BAD_BOOKENDS[case]
    with pytest.raises(CatalogueError) as info:
        load_bookends(tables)
    assert str(info.value).startswith("routines.toml: ")
    assert message in str(info.value)
