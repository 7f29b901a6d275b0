"""A one-page HTML report for a therapist or carer: adherence, swaps and skips, pain.

The page is self-contained (inline CSS and an inline SVG chart, no scripts, no network), so
it can be e-mailed, printed or opened from a USB stick.  Everything here is a pure function
of what the store returns, plus `now`, so tests can build a report for a fixed date.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from voicecoach.coach.dose import Remembered
from voicecoach.coach.profile import Profile
from voicecoach.coach.script import DOSE_ASKED
from voicecoach.memory.history import CARE_KINDS, REPORT_KINDS, SessionCare, session_care
from voicecoach.memory.store import ExerciseEntry, LogEntry, SessionSummary, Store

WEEKS_SHOWN_MIN, WEEKS_SHOWN_MAX = 8, 26
RECENT_SESSIONS = 15
RECENT_EXERCISE_SESSIONS = 5

#: How a constraint or swap reason reads in the report.
REASONS = {
    "no_lying": "can't lie down",
    "no_standing": "can't stand",
    "in_bed": "in bed",
    "seated": "sitting",
    "easier": "asked for an easier version",
    "harder": "asked for a harder version",
    "preferred": "their usual version (chosen in an earlier session)",
    "asked to skip": "asked to skip it",
    "balance first": "not steady enough yet for it",
    "pain": "pain",
    "emergency": "a fall or a call for help",
    "cant_get_up": "could not get up",
    "tired": "tired",
}

#: How a report of how the person is reads (symptoms by their own name).
REPORT_LABELS = {
    "pain": "Pain",
    "emergency": "Fall or call for help",
    "cant_get_up": "Could not get up",
    "tired": "Tired",
    "dizzy": "Dizzy",
    "overheated": "Too hot",
    "spasm": "Spasm",
}

#: Reports shown in the warning colour.
SERIOUS = {"pain", "emergency", "cant_get_up"}

END_REASONS = {
    "finished": "finished the routine",
    "asked to stop": "stopped early (asked to)",
    "tired": "stopped early (tired)",
    "input ended": "ended",
    "interrupted": "interrupted (power or program stopped)",
    "terminated": "interrupted (the coach was shut down)",
    "error": "interrupted (a fault in the coach)",
}


# --- small formatting helpers, shared with `voicecoach history` -------------------------------


def local(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t)


def iso_time(t: float) -> str:
    return local(t).isoformat(sep=" ", timespec="seconds")


def short_date(t: float) -> str:
    """'Mon 16 Nov 2026 09:00'."""
    d = local(t)
    return f"{d:%a} {d.day} {d:%b %Y %H:%M}"


def day_month(d: dt.date) -> str:
    return f"{d.day} {d:%b}"


def describe_end(s: SessionSummary) -> str:
    if s.end_reason is None:
        return "not ended (in progress, or stopped without warning)"
    if s.completed and s.end_reason not in ("interrupted", "terminated", "error"):
        # The routine was complete; "stop" then only said goodbye.
        return "completed the routine"
    return END_REASONS.get(s.end_reason, s.end_reason)


def reason_text(reason: str | None) -> str:
    """A swap's or a skip's reason in words; a limit-adapted swap names every limit."""
    if not reason:
        return "no reason given"
    return " and ".join(REASONS.get(r, r.replace("_", " ")) for r in reason.split(","))


def routine_name(ident: str | None) -> str:
    """A routine id as the person heard it named ("morning" -> "Morning routine")."""
    if not ident:
        return "exercises of their own choice"
    text = _routine_names().get(ident) or ident.replace("_", " ")
    return text[:1].upper() + text[1:]


@functools.cache
def _routine_names() -> dict[str, str]:
    try:
        from voicecoach.coach.catalogue import load_catalogue

        return {i: r.name for i, r in load_catalogue().routines.items()}
    except Exception:  # the report must still be written if the catalogue is broken
        return {}


#: The sessions table's columns, in `voicecoach history` and the report (which heads the
#: minutes "Min" to keep to the page's width), and which of them are numbers.
SESSION_HEADERS = (
    "Date",
    "Routines",
    "Minutes",
    "Done",
    "Skipped",
    "Swapped",
    "Pain",
    "Tired",
    "Symptoms",
    "Ended",
)
SESSION_NUMERIC = frozenset(range(2, 9))


def session_cells(s: SessionSummary) -> tuple[str, ...]:
    """One session as the sessions table shows it, in `voicecoach history` and the report:
    date, routines, minutes, done, skipped, swapped, pain, tired, symptoms, how it ended."""
    return (
        short_date(s.started),
        routines_text(s),
        f"{s.minutes:.0f}",
        str(s.done),
        str(s.skipped),
        str(s.swapped),
        str(s.pain),
        str(s.tired),
        str(s.symptoms),
        describe_end(s),
    )


def routines_text(s: SessionSummary) -> str:
    """Every routine begun in the session, not just the last."""
    return " + ".join(routine_name(r) for r in s.routines) or routine_name(None)


#: The check-in's answer as the report words it.
ENERGY = {"low": "low energy: a gentle session", "ok": "felt fine"}


def bookend_text(outcomes: tuple[str, ...]) -> str:
    """'done', 'skipped', 'cut short', 'done, then skipped' (a cool-down a routine)."""
    return ", then ".join(outcomes)


def care_lines(care: SessionCare) -> list[str]:
    """['warm-up done', 'cool-down skipped', 'check-in: low energy: a gentle session']; the
    parts not logged are left out."""
    parts = []
    if care.warm_up:
        parts.append(f"warm-up {bookend_text(care.warm_up)}")
    if care.cool_down:
        parts.append(f"cool-down {bookend_text(care.cool_down)}")
    if care.energy:
        parts.append(f"check-in: {ENERGY.get(care.energy, care.energy)}")
    return parts


def report_label(entry: LogEntry) -> str:
    kind = str(entry.data.get("symptom") or entry.kind)
    return REPORT_LABELS.get(kind, kind.replace("_", " ").capitalize())


#: A report made in a warm-up or cool-down is "during" it.
BOOKEND_NAMES = {"warm_up": "the warm-up", "cool_down": "the cool-down"}


def report_place(entry: LogEntry, name: Callable[[str], str], bookend: str | None = None) -> str:
    """The exercise and side a report was about; else the warm-up or cool-down it was made
    in (`bookend`, see bookend_of), else "between exercises"."""
    exercise = entry.data.get("exercise")
    if not exercise:
        return BOOKEND_NAMES.get(bookend or "", "between exercises")
    side = entry.data.get("side")
    return f"{name(str(exercise))}, {side} side" if side in ("left", "right") else name(exercise)


def bookend_of(
    entry: LogEntry, care: dict[int, SessionCare], exercises: Iterable[ExerciseEntry]
) -> str | None:
    """The part ("warm_up", "cool_down") a report about no exercise was made in, if any.  A
    warm-up cut short lasts until the session's next exercise, if one began."""
    if entry.data.get("exercise") or entry.session_id not in care:
        return None
    starts = [e.started for e in exercises if e.session_id == entry.session_id]
    for part, begun, closed in care[entry.session_id].spans:
        later = [t for t in starts if t >= begun]
        until = closed if closed is not None else min(later, default=float("inf"))
        if begun <= entry.t <= until:
            return part
    return None


def outcome_text(e: ExerciseEntry, name: Callable[[str], str]) -> str:
    """What became of one attempt, in words."""
    if e.status == "swapped":
        return f"swapped to {name(e.swapped_to or '?')} because {reason_text(e.reason)}"
    if e.status == "skipped":
        return f"skipped because {reason_text(e.reason)}"
    if e.status == "stopped":
        return f"stopped: {reason_text(e.reason or 'cut short')}"
    if e.status == "done":
        return "finished"
    return "not finished"


def dose_text(e: ExerciseEntry) -> str:
    """Dose achieved against the dose the coach set, where both are known."""
    if e.status not in ("done", "stopped"):
        return ""
    parts = []
    if e.planned_reps:
        parts.append(f"{e.reps or 0} of {e.planned_reps} reps")
    if e.planned_hold_seconds:
        parts.append(f"{e.hold_seconds or 0:.0f} of {e.planned_hold_seconds:.0f} s held")
    if not parts and (e.reps or e.hold_seconds):  # logged before the dose was
        parts = [f"{e.reps} reps" if e.reps else f"{e.hold_seconds:.0f} s held"]
    return ", ".join(parts)


def exercise_namer() -> Callable[[str], str]:
    """Exercise id -> name from the catalogue, or the id made readable if it cannot load."""
    try:
        from voicecoach.coach.catalogue import load_catalogue

        names = {i: e.name for i, e in load_catalogue().exercises.items()}
    except Exception:  # the report must still be written if the catalogue is broken
        names = {}

    def name(ident: str) -> str:
        text = names.get(ident) or ident.replace("_", " ")
        return text[:1].upper() + text[1:]

    return name


# --- the dose: prescribed, the person's own, steps up -------------------------------------------

#: Log kinds of the person's own dose (coach.dose) and the weekly step up (coach.progression).
DOSE_KINDS = ("dose", "step_up_declined")

#: A dose change as the report words it: as the coach words what was asked for.
DOSE_CHANGES = DOSE_ASKED


@functools.cache
def _prescriptions() -> dict[str, tuple[int, float, int, int, int]]:
    """Exercise id -> the catalogue's dose: reps in all, seconds held in all, and each
    hold's seconds, reps a set, rest seconds."""
    try:
        from voicecoach.coach import dose, script
        from voicecoach.coach.catalogue import load_catalogue

        out = {}
        for ident, exercise in load_catalogue().exercises.items():
            plan = script.plan(exercise)
            out[ident] = (
                sum(s.reps for s in plan if s.kind == "reps"),
                sum(s.seconds for s in plan if s.kind == "hold"),
                exercise.dose.hold_seconds if exercise.dose.mode == "hold" else 0,
                exercise.dose.reps,
                dose.prescribed_rest(exercise),
            )
        return out
    except Exception:  # the report must still be written if the catalogue is broken
        return {}


def prescribed_text(e: ExerciseEntry) -> str:
    """The catalogue's dose of an attempt, when it differs from the dose planned (the
    person's own, or a gentle day's)."""
    known = _prescriptions().get(e.exercise)
    if known is None or e.status not in ("done", "stopped"):
        return ""
    reps, held = known[0], known[1]
    if (e.planned_reps or 0, round(e.planned_hold_seconds or 0)) == (reps, round(held)):
        return "as planned"
    parts = [f"{reps} reps"] if reps else []
    parts += [f"{held:.0f} s held"] if held else []
    return ", ".join(parts)


def dose_values_text(data: dict[str, object], ident: str) -> str:
    """'holds 25 s (prescribed 30 s)' for each part of a dose log that differs."""
    known = _prescriptions().get(ident)
    personal = data.get("personal")
    if not isinstance(personal, dict) or not personal:
        return "back to the prescribed dose"
    labels = {"hold_seconds": ("holds", " s", 2), "reps": ("reps a set", "", 3)}
    labels["rest_seconds"] = ("rests", " s", 4)
    parts = []
    for key, value in personal.items():
        label, unit, at = labels.get(key, (key.replace("_", " "), "", -1))
        was = f" (prescribed {known[at]}{unit})" if known and at >= 0 else ""
        parts.append(f"{label} {value}{unit}{was}")
    return ", ".join(parts)


def own_dose_text(ident: str, remembered: Remembered) -> str:
    return dose_values_text({"personal": remembered.personal.values()}, ident)


def dose_section(data: ReportData, name: Callable[[str], str]) -> str:
    """Every change of dose: when, which exercise, what changed, why, and the dose from then
    against the catalogue's."""
    if not data.dose_changes:
        return '<p class="none">The prescribed doses were used throughout.</p>'
    rows = []
    for entry in reversed(data.dose_changes):
        what, why, then = dose_change_words(entry)
        ident = str(entry.data.get("exercise"))
        rows.append((esc(short_date(entry.t)), esc(name(ident)), esc(what), esc(why), esc(then)))
    return table(["When", "Exercise", "Change", "Why", "Dose from then"], rows, set())


def dose_change_words(entry: LogEntry) -> tuple[str, str, str]:
    """A `dose` or `step_up_declined` log as (change, why, dose from then), in words: the
    report's dose table and `history --csv doses` say the same."""
    if entry.kind == "step_up_declined":
        return "a small step up was offered", "declined (or no answer)", "unchanged"
    change = str(entry.data.get("change"))
    why = (
        "weekly step up, accepted: a good week with no pain or tiredness"
        if entry.data.get("reason") == "progression"
        else "asked for it by voice"
    )
    ident = str(entry.data.get("exercise"))
    return DOSE_CHANGES.get(change, change), why, dose_values_text(entry.data, ident)


# --- the data behind the page -----------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    monday: dt.date
    sessions: int
    exercises: int
    pain: int


@dataclass(frozen=True)
class ReportData:
    now: float
    sessions: list[SessionSummary]
    """Newest first."""
    exercises: list[ExerciseEntry]
    reports: list[LogEntry]
    """pain, emergency, symptom, tired and cant_get_up logs, oldest first."""
    profile: Profile
    dose_changes: list[LogEntry] = field(default_factory=list)
    """dose and step_up_declined logs, oldest first: the person's own dose and steps up."""
    care: dict[int, SessionCare] = field(default_factory=dict)
    """session id -> its warm-up, cool-down and check-in (sessions without any: absent)."""


def load_report_data(store: Store, now: float) -> ReportData:
    return ReportData(
        now=now,
        sessions=store.sessions(),
        exercises=store.exercise_log(),
        reports=store.log_entries(REPORT_KINDS),
        profile=store.profile(),
        dose_changes=store.log_entries(DOSE_KINDS),
        care=session_care(store.log_entries(CARE_KINDS)),
    )


def monday_of(t: float) -> dt.date:
    d = local(t).date()
    return d - dt.timedelta(days=d.weekday())


def weekly_counts(data: ReportData) -> list[WeekCount]:
    """Sessions (with at least one exercise done), exercises done and pain, per week."""
    this_week = monday_of(data.now)
    first = min((monday_of(s.started) for s in data.sessions), default=this_week)
    weeks = (this_week - first).days // 7 + 1
    weeks = max(WEEKS_SHOWN_MIN, min(WEEKS_SHOWN_MAX, weeks))
    mondays = [this_week - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    sessions: Counter[dt.date] = Counter(monday_of(s.started) for s in data.sessions if s.done > 0)
    exercises: Counter[dt.date] = Counter(
        monday_of(e.finished or e.started) for e in data.exercises if e.status == "done"
    )
    pain: Counter[dt.date] = Counter(monday_of(r.t) for r in data.reports if r.kind == "pain")
    return [WeekCount(m, sessions[m], exercises[m], pain[m]) for m in mondays]


# --- rendering --------------------------------------------------------------------------------

CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --bar: #2a7f8f; --warn: #b44d12; }
* { box-sizing: border-box; }
body { font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0; background: #f5f7fa; }
main { max-width: 920px; margin: 0 auto; padding: 28px 32px 40px; background: #fff; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 32px 0 8px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
p.lead { color: var(--muted); margin: 0 0 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { flex: 1 1 120px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card b { display: block; font-size: 30px; line-height: 1.2; }
.card span { color: var(--muted); font-size: 15px; }
.card.warn b { color: var(--warn); }
table { border-collapse: collapse; width: 100%; font-size: 15px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td:first-child { white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.none { color: var(--muted); font-style: italic; }
.pain { color: var(--warn); font-weight: 600; }
tr.noted td { border-bottom: none; padding-bottom: 0; }
tr.note td { color: var(--muted); font-size: 14px; padding-top: 0; }
svg text { font: 13px system-ui, "DejaVu Sans", sans-serif; fill: var(--muted); }
svg .count { fill: var(--ink); font-weight: 600; }
footer { margin-top: 36px; color: var(--muted); font-size: 14px; }
@media print { body { background: #fff; } main { padding: 0; } }
"""


def esc(value: object) -> str:
    return html.escape(str(value))


def table(
    headers: Iterable[str],
    rows: Iterable[Iterable[str]],
    numeric: set[int],
    notes: Sequence[str] = (),
) -> str:
    """Cells are already-escaped HTML; a row's note (if any) is a line under it, from the
    second column on."""
    headers = list(headers)
    head = "".join(
        f'<th class="n">{h}</th>' if i in numeric else f"<th>{h}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for n, row in enumerate(rows):
        note = notes[n] if n < len(notes) else ""
        cells = "".join(
            f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        if not note:
            body.append(f"<tr>{cells}</tr>")
            continue
        body.append(
            f'<tr class="noted">{cells}</tr><tr class="note"><td></td>'
            f'<td colspan="{len(headers) - 1}">{note}</td></tr>'
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def chart_svg(weeks: list[WeekCount], width: int = 856, height: int = 260) -> str:
    """Bars of sessions per week, each labelled with its count; no scripts, no fonts to load."""
    left, right, top, bottom = 40, 10, 24, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([w.sessions for w in weeks] + [4])
    step = 1 if peak <= 8 else 2 if peak <= 16 else 5
    top_value = -(-peak // step) * step
    slot = plot_w / len(weeks)
    bar_w = min(48.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title">',
        '<title id="chart-title">Sessions per week: '
        + esc(", ".join(f"week of {day_month(w.monday)}: {w.sessions}" for w in weeks))
        + "</title>",
    ]
    for value in range(0, top_value + 1, step):
        y = top + plot_h - plot_h * value / top_value
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d9e2ec" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    label_every = 1 if len(weeks) <= 13 else 2
    for i, w in enumerate(weeks):
        cx = left + slot * (i + 0.5)
        h = plot_h * w.sessions / top_value
        y = top + plot_h - h
        if w.sessions:
            parts.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" rx="3" fill="#2a7f8f"/>'
            )
        parts.append(
            f'<text class="count" x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle">'
            f"{w.sessions}</text>"
        )
        if (len(weeks) - 1 - i) % label_every == 0:  # always label the current week
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bottom + 20}" text-anchor="middle">'
                f"{esc(day_month(w.monday))}</text>"
            )
    parts.append(f'<text x="{left}" y="{height - 6}">Week starting (Monday)</text></svg>')
    return "".join(parts)


def summary_section(data: ReportData, weeks: list[WeekCount]) -> str:
    active = [s for s in data.sessions if s.done > 0]
    if not data.sessions:
        return '<p class="lead">No sessions have been recorded yet.</p>'
    first, last = data.sessions[-1], data.sessions[0]
    recent = weeks[-4:]
    per_week = sum(w.sessions for w in recent) / len(recent)
    since = data.now - 28 * 86400
    pain = sum(1 for r in data.reports if r.kind == "pain" and r.t >= since)
    tired = sum(1 for r in data.reports if r.kind == "tired" and r.t >= since)
    symptoms = sum(1 for r in data.reports if r.kind == "symptom" and r.t >= since)
    emergencies = sum(1 for r in data.reports if r.kind == "emergency" and r.t >= since)
    cards = [
        (sum(w.sessions for w in recent), "sessions in the last 4 weeks", False),
        (f"{per_week:.1f}", "sessions per week, on average", False),
        (sum(w.exercises for w in recent), "exercises done in the last 4 weeks", False),
        (pain, "pain reports in the last 4 weeks", pain > 0),
        (tired, "tiredness reports in the last 4 weeks", False),
        (symptoms, "dizziness, overheating or spasms in the last 4 weeks", symptoms > 0),
    ]
    if emergencies:  # a fall or a call for help: first thing a carer should see
        cards.insert(0, (emergencies, "falls or calls for help in the last 4 weeks", True))
    card_html = "".join(
        f'<div class="card{" warn" if warn else ""}"><b>{esc(v)}</b><span>{esc(t)}</span></div>'
        for v, t, warn in cards
    )
    text = (
        f"{len(data.sessions)} sessions recorded from {esc(short_date(first.started))} "
        f"to {esc(short_date(last.started))}; {len(active)} of them with at least one "
        "exercise done. The last session: "
        f"{esc(routines_text(last))}, "
        f"{last.done} done, {esc(describe_end(last))}."
    )
    return f'<p class="lead">{text}</p><div class="cards">{card_html}</div>'


def changes_section(data: ReportData, name: Callable[[str], str]) -> str:
    """Swaps and skips grouped by exercise, what happened and why, most frequent first."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for e in data.exercises:
        if e.status in ("swapped", "skipped"):
            groups[(e.exercise, outcome_text(e, name))].append(e.finished or e.started)
    if not groups:
        return '<p class="none">No exercise was swapped or skipped.</p>'
    rows = [
        (esc(name(ex)), esc(what), str(len(times)), esc(short_date(max(times))))
        for (ex, what), times in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return table(["Exercise", "What happened", "Times", "Last time"], rows, {2})


def reports_section(data: ReportData, name: Callable[[str], str]) -> str:
    """Each pain, emergency, symptom or tiredness report: where, the words said, and what
    became of the exercise."""
    if not data.reports:
        return '<p class="none">No pain, tiredness, symptom or fall was reported.</p>'
    outcome = report_outcomes(data.exercises, name)
    rows = []
    for r in reversed(data.reports):
        exercise = r.data.get("exercise")
        bookend = bookend_of(r, data.care, data.exercises)
        label = esc(report_label(r))
        if r.kind in SERIOUS:
            label = f'<span class="pain">{label}</span>'
        said = r.data.get("said")
        rows.append(
            (
                esc(short_date(r.t)),
                label,
                esc(report_place(r, name, bookend))
                if exercise or bookend
                else '<span class="none">between exercises</span>',
                f"&ldquo;{esc(said)}&rdquo;" if said else "",
                esc(outcome.get((r.session_id, exercise), "")) if exercise else "",
            )
        )
    headers = ["When", "Report", "During", "Words said", "Then the exercise was"]
    return table(headers, rows, set())


def report_outcomes(
    exercises: Iterable[ExerciseEntry], name: Callable[[str], str]
) -> dict[tuple[int, str], str]:
    """(session id, exercise id) -> what became of that exercise, for the reports made
    during it: the latest attempt in the session decides."""
    return {(e.session_id, e.exercise): outcome_text(e, name) for e in exercises}


def exercises_section(data: ReportData, name: Callable[[str], str]) -> str:
    """Every attempt of the last few sessions: under which routine, what became of it, and
    the dose done against the dose set."""
    recent = {s.id for s in data.sessions[:RECENT_EXERCISE_SESSIONS]}
    entries = [e for e in data.exercises if e.session_id in recent]
    if not entries:
        return '<p class="none">No exercises yet.</p>'
    rows = [
        (
            esc(short_date(e.started)),
            esc(routine_name(e.routine)),
            esc(name(e.exercise)),
            esc(outcome_text(e, name)),
            esc(dose_text(e)),
            esc(prescribed_text(e)),
        )
        for e in reversed(entries)
    ]
    return table(
        ["When", "Routine", "Exercise", "What happened", "Done of planned", "Prescribed"],
        rows,
        set(),
    )


def profile_section(profile: Profile, name: Callable[[str], str]) -> str:
    constraints = ", ".join(reason_text(c) for c in sorted(profile.constraints))
    items = [
        "Standing limits: "
        + (esc(constraints) if constraints else '<span class="none">none</span>'),
        f"Speaking rate {profile.rate} words per minute, volume {profile.volume:.0%}.",
    ]
    for ex, alt in sorted(profile.preferred.items()):
        items.append(f"Uses {esc(name(alt))} instead of {esc(name(ex))}.")
    for ex, remembered in sorted(profile.doses.items()):
        items.append(f"{esc(name(ex))} at their own dose: {esc(own_dose_text(ex, remembered))}.")
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def sessions_section(data: ReportData) -> str:
    if not data.sessions:
        return '<p class="none">No sessions yet.</p>'
    rows, notes = [], []
    for s in data.sessions[:RECENT_SESSIONS]:
        cells = [esc(cell) for cell in session_cells(s)]
        if s.pain:
            cells[6] = f'<span class="pain">{cells[6]}</span>'
        rows.append(tuple(cells))
        # A line of its own under the session, so the table keeps to the page's width.
        notes.append(" &middot; ".join(map(esc, care_lines(data.care.get(s.id, SessionCare())))))
    headers = ["Min" if h == "Minutes" else h for h in SESSION_HEADERS]
    return table(headers, rows, set(SESSION_NUMERIC), notes)


def render_report(data: ReportData, name: Callable[[str], str] | None = None) -> str:
    """The whole page as a string."""
    name = name or exercise_namer()
    weeks = weekly_counts(data)
    week_rows = [
        (esc(day_month(w.monday)), str(w.sessions), str(w.exercises), str(w.pain))
        for w in reversed(weeks)
    ]
    body = [
        "<h1>Home exercise report</h1>",
        f'<p class="lead">From the voicecoach exercise coach, written '
        f"{esc(short_date(data.now))}. Times are local.</p>",
        summary_section(data, weeks),
        "<h2>Sessions per week</h2>",
        '<p class="lead">Sessions in which at least one exercise was done.</p>',
        chart_svg(weeks),
        "<details><summary>The numbers, week by week</summary>",
        table(["Week of", "Sessions", "Exercises done", "Pain reports"], week_rows, {1, 2, 3}),
        "</details>",
        "<h2>Exercises swapped or skipped, and why</h2>",
        changes_section(data, name),
        "<h2>Dose: the person's own changes and weekly steps up</h2>",
        dose_section(data, name),
        "<h2>Pain, symptoms, tiredness and calls for help</h2>",
        reports_section(data, name),
        f"<h2>Exercises in the last {RECENT_EXERCISE_SESSIONS} sessions</h2>",
        exercises_section(data, name),
        "<h2>What the coach remembers</h2>",
        profile_section(data.profile, name),
        f"<h2>Recent sessions (last {RECENT_SESSIONS})</h2>",
        sessions_section(data),
        "<footer>This page was made on the coach's own device and needs no internet. "
        "Pain reports stop the exercise at once; the coach then offers an easier version "
        "or skipping.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Home exercise report</title>"
        f"<style>{CSS}</style></head><body><main>" + "\n".join(body) + "</main></body></html>\n"
    )


def write_report(store: Store, path: str, now: float | None = None) -> None:
    data = load_report_data(store, store.clock() if now is None else now)
    page = render_report(data)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
