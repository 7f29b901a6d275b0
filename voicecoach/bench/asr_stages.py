"""Where a command is lost, stage by stage (`python -m voicecoach.bench asr --diagnose`).

Each corpus file knows where its speech is (after `LEAD_SECONDS` of room, up to the trailing
room), so the worker also decodes that stretch by itself (the "oracle" cut, a little margin
each side) and the breakdown can say, for every command the live stream got wrong:

- *understanding*: even the typed words are not understood (the text recogniser's ceiling);
- *endpointing*: the oracle cut is understood, the stream's cut is not; split further by what
  the voice-activity detector did (no utterance, several, one held open by the noise before
  the speech, one cut short);
- *rejection*: in the oracle cut the words heard match the right command, but a rejection
  layer threw it away;
- *transcription*: the words themselves are wrong, or nothing was heard at all.

Only in-grammar and development phrasings are broken down: held-out misses are never listed
(tests/data is for the final numbers only).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

#: Seconds of margin around the known speech for the oracle cut.
ORACLE_MARGIN = 0.2
#: A segment starting this much before the speech was opened by the noise, not the speaker.
EARLY_START = 0.6
#: A segment covering less than this share of the speech cut the speaker off.
COVERED = 0.8
#: The kinds broken down (never "heldout").
DIAGNOSED = ("grammar", "dev")

STAGES = (
    "right",
    "understanding",
    "endpoint: no utterance",
    "endpoint: split",
    "endpoint: opened by noise",
    "endpoint: cut short",
    "endpoint: other",
    "rejection",
    "transcription: nothing heard",
    "transcription: wrong words",
)


def speech_span(seconds: float, lead: float, trail: float) -> tuple[float, float]:
    """Where the synthesized speech sits in a corpus file of `seconds`."""
    return lead, max(lead, seconds - trail)


def oracle_cut(pcm: bytes, lead: float, trail: float, rate: int = 16000) -> bytes:
    """The speech of a corpus file with `ORACLE_MARGIN` each side."""
    start, end = speech_span(len(pcm) / (2 * rate), lead, trail)
    a = max(0, int((start - ORACLE_MARGIN) * rate))
    b = int((end + ORACLE_MARGIN) * rate)
    return pcm[2 * a : 2 * b]


def endpoint_verdict(segments: list[list[Any]], start: float, end: float) -> str:
    """What the endpointer made of speech from `start` to `end` seconds: "ok", "no
    utterance", "split", "opened by noise" or "cut short".  `segments`: [start, end, text]."""
    over = [s for s in segments if s[1] > start and s[0] < end]
    if not over:
        return "no utterance"
    if len(over) > 1:
        return "split"
    s0, s1 = over[0][0], over[0][1]
    covered = (min(s1, end) - max(s0, start)) / max(end - start, 1e-6)
    if s0 < start - EARLY_START:
        return "opened by noise"
    if covered < COVERED:
        return "cut short"
    return "ok"


def attribute(item: Any, r: dict, typed_ok: bool) -> str:
    """The stage that lost one command (or "right")."""
    if r["intent"] == item.intent and r["slots"] == item.slots:
        return "right"
    if not typed_ok:
        return "understanding"
    if r.get("oracle_intent") == item.intent and r.get("oracle_slots") == item.slots:
        verdict = r.get("endpoint", "ok")
        return f"endpoint: {verdict if verdict != 'ok' else 'other'}"
    if r.get("oracle_matched") == item.intent and r.get("oracle_matched_slots") == item.slots:
        return "rejection"
    if not r.get("oracle_text"):
        return "transcription: nothing heard"
    return "transcription: wrong words"


def breakdown(items: list[Any], run: dict, matcher: Any, label: Any) -> dict[str, Counter[str]]:
    """Per condition (`label(item)`), how many diagnosed commands ended at each stage."""
    by_file = {r["file"]: r for r in run["results"]}
    out: dict[str, Counter[str]] = {}
    typed: dict[tuple[str, bool], Any] = {}
    for item in items:
        if item.kind not in DIAGNOSED or "oracle_intent" not in by_file[item.file]:
            continue
        yes_no = item.intent in ("yes", "no")
        if (item.text, yes_no) not in typed:
            typed[(item.text, yes_no)] = matcher.match(item.text, expecting_answer=yes_no)
        m = typed[(item.text, yes_no)]
        ok = m.intent == item.intent and dict(m.slots) == item.slots
        out.setdefault(label(item), Counter())[attribute(item, by_file[item.file], ok)] += 1
    return out


def endpoint_counts(items: list[Any], run: dict, label: Any) -> dict[str, Counter[str]]:
    """Per condition, what the endpointer did with every diagnosed command (right or not)."""
    by_file = {r["file"]: r for r in run["results"]}
    out: dict[str, Counter[str]] = {}
    for item in items:
        r = by_file[item.file]
        if item.kind in DIAGNOSED and "endpoint" in r:
            out.setdefault(label(item), Counter())[r["endpoint"]] += 1
    return out


def stage_table(counts: dict[str, Counter[str]]) -> str:
    """Stages as rows, conditions as columns (counts)."""
    levels = list(counts)
    lines = [
        "| stage (diagnosed commands) | " + " | ".join(levels) + " |",
        "|---|" + "---:|" * len(levels),
        "| n | " + " | ".join(str(sum(counts[lvl].values())) for lvl in levels) + " |",
    ]
    for stage in STAGES:
        if any(counts[lvl][stage] for lvl in levels):
            lines.append(
                f"| {stage} | " + " | ".join(str(counts[lvl][stage]) for lvl in levels) + " |"
            )
    return "\n".join(lines)
