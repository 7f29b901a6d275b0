"""`python -m voicecoach.bench.asr_fallback DIR`: replay the command fallback's settings
(voicecoach.understand.fallback) on a corpus kept by `bench asr --diagnose --keep DIR`.

The diagnosed run records, for every utterance understood as nothing, the scores of a wide
pool of sentences on its audio (`asr._fallback_details`); any candidate set drawn from that
pool and any bar can then be tried without decoding again.  Prints one row per setting:
commands right per condition, false accepts, and what the fallback took.  Use it on
development corpora (`--dev`) only: the held-out set is not for tuning.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from pathlib import Path

from voicecoach.bench.asr import Item, condition
from voicecoach.understand.fallback import FallbackBar, allowed, choose
from voicecoach.understand.rescue import RESCUE_SENTENCES


def replay(record: dict, bar: FallbackBar, expecting_answer: bool) -> str:
    """The intent the fallback would give this file (its recorded intent when it would not
    act)."""
    pool = record.get("fb_pool")
    if not pool or record["intent"] != "none":
        return str(record["intent"])
    if record["fb_words"] > bar.max_words or record["fb_span"] > bar.max_seconds:
        return "none"
    ranked = record["fb_rank_heard"] or record["fb_rank_dropped"]
    wanted = [i for i in ranked if allowed(i, expecting_answer)][: bar.top_intents]
    per_intent: Counter[str] = Counter()
    scored = []
    for sentence, intent, score in pool:
        if sentence in RESCUE_SENTENCES:
            scored.append((sentence, intent, score))
        elif intent in wanted and per_intent[intent] < bar.per_intent:
            per_intent[intent] += 1
            scored.append((sentence, intent, score))
    chosen = choose(scored, bar, expecting_answer)
    return "none" if chosen is None else chosen.intent


def evaluate(items: list[Item], results: dict[str, dict], bar: FallbackBar | None) -> dict:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    false_accepts = negatives = taken = taken_wrong = 0
    for item in items:
        r = results[item.file]
        expecting = item.intent in ("yes", "no")
        intent = str(r["intent"]) if bar is None else replay(r, bar, expecting)
        took = intent != r["intent"]
        if item.kind == "negative":
            negatives += 1
            false_accepts += intent != "none"
            taken += took
            taken_wrong += took
            continue
        key = condition(item)
        total[key] += 1
        ok = intent == item.intent and ({} if took else r["slots"]) == item.slots
        right[key] += ok
        taken += took
        taken_wrong += took and not ok
    return {
        "right": dict(right),
        "total": dict(total),
        "false_accepts": false_accepts,
        "negatives": negatives,
        "taken": taken,
        "taken_wrong": taken_wrong,
    }


def _row(label: str, e: dict, levels: list[str]) -> str:
    cells = [f"{e['right'].get(lvl, 0)}/{e['total'][lvl]}" for lvl in levels]
    return (
        f"| {label} | "
        + " | ".join(cells)
        + f" | {sum(e['right'].values())} | {e['false_accepts']}/{e['negatives']}"
        + f" | {e['taken']} ({e['taken_wrong']} wrong) |"
    )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m voicecoach.bench.asr_fallback")
    p.add_argument("corpus", type=Path, help="a folder kept by bench asr --diagnose --keep")
    p.add_argument("--engine", default="whisper")
    p.add_argument("--scores", default="-1.0,-1.5,-2.0", help="bars to try")
    p.add_argument("--margins", default="0.3,0.5,1.0", help="margins to try")
    p.add_argument("--top", default="3", help="top intents to try")
    p.add_argument("--words", default="3", help="max words to try")
    args = p.parse_args(argv)
    items = [Item(**d) for d in json.loads((args.corpus / "manifest.json").read_text())]
    run = json.loads((args.corpus / f"results-{args.engine}.json").read_text())
    results = {r["file"]: r for r in run["results"]}
    if not any("fb_pool" in r for r in results.values()):
        print("no fallback records: run bench asr with --diagnose --keep", file=sys.stderr)
        return 1
    levels = list(dict.fromkeys(condition(i) for i in items if i.kind != "negative"))
    print("| setting | " + " | ".join(levels) + " | right | false accepts | taken |")
    print("|---|" + "---:|" * (len(levels) + 3))
    print(_row("without the fallback", evaluate(items, results, None), levels))
    grid = itertools.product(
        (float(x) for x in args.scores.split(",")),
        [float(x) for x in args.margins.split(",")],
        [int(x) for x in args.top.split(",")],
        [int(x) for x in args.words.split(",")],
    )
    for score, margin, top, words in grid:
        bar = FallbackBar(score, margin, top_intents=top, max_words=words)
        label = f"bar {score:g}, margin {margin:g}, top {top}, <= {words} words"
        print(_row(label, evaluate(items, results, bar), levels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
