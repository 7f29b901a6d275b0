"""`python -m voicecoach.bench asr [--quick] [--sample N] [--engine NAME ...]`: speech-to-intent.

Generates its corpus in a temporary directory (flite and espeak-ng voices x clean / 20 /
10 / 5 dB pink noise / 20, 10, 5 dB babble of other talkers / a reverberant room: see
voicecoach.bench.noises), then, per engine in a child process of its own (so its peak
memory is its own; `--taskset 0` pins it to one core), recognizes every file and runs the
layered rejection:
- held-out phrasings (tests/data/heldout.toml, written blind: the honest number) and
  in-grammar phrases (from intents/) are scored separately: right intent and slots;
- non-command sentences (tests/data/non_commands.toml): anything but `none` is a
  false accept;
- false rejects: commands that came back `none`;
- latency from end of audio to intent, real-time factor, model load time, peak RSS of
  the engine's process.
By default each file goes through the recognizer's live stream in 0.1 s chunks, as a
microphone would deliver it (end-of-speech detection, decoding while speech arrives),
and latency runs from the last chunk to the intent; `--mode whole` hands each file over
in one piece instead (as `voicecoach recognize` does).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from voicecoach.bench import safety_words
from voicecoach.hear.recognizer import Transcript, joined

NOISE_LEVELS: tuple[float | None, ...] = (None, 20.0, 10.0, 5.0)
#: Every condition a command is heard in: (noise, SNR dB).  "pink" with None is clean.
CONDITIONS: tuple[tuple[str, float | None], ...] = (
    *(("pink", snr) for snr in NOISE_LEVELS),
    ("babble", 20.0),
    ("babble", 10.0),
    ("babble", 5.0),
    ("reverb", None),
)
#: The conditions non-commands are heard in (false accepts).
NEGATIVE_CONDITIONS: tuple[tuple[str, float | None], ...] = (
    ("pink", None),
    ("pink", 10.0),
    ("babble", 10.0),
)
ENGINE_NAMES = ("whisper", "vosk", "pocketsphinx", "moonshine")
DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


@dataclass(frozen=True)
class Item:
    """One corpus file and what it should come back as."""

    file: str
    text: str
    intent: str
    slots: dict[str, str]
    kind: str  # heldout | grammar | negative
    voice: str
    snr: float | None
    noise: str = "pink"  # pink | babble | reverb (older manifests: pink)
    trail: float = 0.3
    """Seconds of room (silence or the noise) after the speech."""


def _level(snr: float | None, noise: str = "pink") -> str:
    if noise == "reverb":
        return "reverb"
    if snr is None:
        return "clean"
    return f"{snr:g} dB" if noise == "pink" else f"{noise} {snr:g} dB"


def condition(item: Item) -> str:
    return _level(item.snr, item.noise)


def heldout_items(data_dir: Path = DATA) -> list[tuple[str, str, dict[str, str]]]:
    """(text, intent, slots) from tests/data/heldout.toml."""
    data = tomllib.loads((data_dir / "heldout.toml").read_text("utf-8"))
    out: list[tuple[str, str, dict[str, str]]] = [
        (t, intent, {}) for intent, texts in data.get("heldout", {}).items() for t in texts
    ]
    for item in data.get("slotted", []):
        slots = {k: v for k, v in item.items() if k in ("exercise", "routine")}
        out.append((item["text"], item["intent"], slots))
    return out


def negative_items(data_dir: Path = DATA) -> list[str]:
    data = tomllib.loads((data_dir / "non_commands.toml").read_text("utf-8"))
    return list(data.get("core", [])) + list(data.get("sentences", []))


def grammar_items(intents, per_intent: int, rng: random.Random):
    """A sample of in-grammar phrases per intent, slots filled with random catalogue names."""
    import re

    by_intent: dict[str, list[str]] = {}
    for template, intent in intents.templates():
        by_intent.setdefault(intent, []).append(template)
    out: list[tuple[str, str, dict[str, str]]] = []
    for intent, templates in sorted(by_intent.items()):
        for template in rng.sample(templates, min(per_intent, len(templates))):
            slots: dict[str, str] = {}
            text = template
            for slot in re.findall(r"\{(\w+)\}", template):
                spoken, ident = rng.choice(sorted(intents.slot_values[slot].items()))
                text = text.replace("{" + slot + "}", spoken, 1)
                slots[slot] = ident
            out.append((text, intent, slots))
    return out


#: Seconds of room (silence or the noise) before each command: a live microphone hears the
#: room before anyone speaks, and the streaming denoiser learns the noise from it.
LEAD_SECONDS = 1.0


BABBLE_FILE = "babble.npy"


def _synth_one(args: tuple[str, str, float | None, str, int, str, float]) -> None:
    from voicecoach.bench import noises
    from voicecoach.voice import synth

    text, voice, snr, noise, seed, path, trail = args
    pcm = synth.synthesize(
        text,
        voice,
        snr_db=snr if noise == "pink" else None,
        seed=seed,
        lead=LEAD_SECONDS,
        pad=trail,
    )
    if noise == "babble" and snr is not None:
        import numpy as np

        track = np.load(Path(path).parent / BABBLE_FILE)
        pcm = noises.add_babble(pcm, snr, track, seed=seed)
    elif noise == "reverb":
        pcm = noises.add_reverb(pcm)
    synth.write_wav(path, pcm)


def _sources(quick: bool, rng: random.Random, seed: int, tuning: bool, dev: bool):
    """(commands in phrasings of their own, in-grammar commands, non-commands, the rng
    to sample them with) for build_corpus."""
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.intents import load_intents

    intents = load_intents(None, load_catalogue())
    if tuning:
        from voicecoach.bench import _tuning as tuning_data

        rng = random.Random(seed + 1000)  # not the benchmark's sample
        heldout = []
        grammar = tuning_data.commands(intents, rng)
        negatives = list(tuning_data.NON_COMMANDS)
    elif dev:
        from voicecoach.bench.intents import load_dev

        development = load_dev()
        heldout = development.commands
        grammar = grammar_items(intents, 2 if quick else 5, rng)
        negatives = [*development.non_commands, *development.negations]
    else:
        heldout = heldout_items()
        grammar = grammar_items(intents, 2 if quick else 5, rng)
        negatives = negative_items()
    return heldout, grammar, negatives, rng


def build_corpus(
    directory: Path,
    quick: bool,
    voices: list[str],
    seed: int = 7,
    sample: int | None = None,
    conditions: tuple[tuple[str, float | None], ...] = CONDITIONS,
    tuning: bool = False,
    dev: bool = False,
    trail: float = 0.3,
    safety: bool = False,
) -> list[Item]:
    """Write the corpus WAVs into `directory`; return what each should be.

    `tuning`: phrasings from intents/ and the bench's own non-commands
    (voicecoach.bench._tuning), never tests/data, for choosing thresholds.

    `dev`: the development set (tests/data_dev/dev.toml: phrasings and non-commands
    written for tuning, never trained on) as kind "dev" instead of the held-out set.

    `trail`: seconds of room after each sentence (a TV does not stop when the person does).

    `sample`: at most this many held-out phrasings, in-grammar phrases and non-commands
    each (a random, seeded sample), for machines where the whole corpus is too slow.

    `safety`: instead of all that, the safety phrasings and the short commands of
    voicecoach.bench.safety_words, each said by every voice in every condition, and its
    short talk as the non-commands.
    """
    rng = random.Random(seed)
    if safety:
        kinds = _safety_rows(len(voices))
        negatives = safety_words.talk(len(voices))
    else:
        heldout, grammar, negatives, rng = _sources(quick, rng, seed, tuning, dev)
        if quick:
            heldout = rng.sample(heldout, min(60, len(heldout)))
            grammar = rng.sample(grammar, min(40, len(grammar)))
            negatives = rng.sample(negatives, min(50, len(negatives)))
        if sample is not None:
            heldout = rng.sample(heldout, min(sample, len(heldout)))
            grammar = rng.sample(grammar, min(sample, len(grammar)))
            negatives = rng.sample(negatives, min(sample, len(negatives)))
        kinds = [("dev" if dev else "heldout", heldout), ("grammar", grammar)]
    negative_conditions = (
        tuple(c for c in NEGATIVE_CONDITIONS if c in conditions) or (conditions[:1])
    )
    if any(noise == "babble" for noise, _ in conditions):
        import numpy as np

        from voicecoach.bench import noises

        np.save(directory / BABBLE_FILE, noises.babble_track(seed=seed).astype(np.float32))
    items: list[Item] = []
    n = 0
    # Each phrase gets a different voice at each noise level, so every voice meets every
    # level without multiplying the corpus by the number of voices.
    for kind, rows in kinds:
        for i, (text, intent, slots) in enumerate(rows):
            for j, (noise, snr) in enumerate(conditions):
                voice = voices[(i + j) % len(voices)]
                items.append(
                    Item(f"{n:05d}.wav", text, intent, slots, kind, voice, snr, noise, trail)
                )
                n += 1
    for i, text in enumerate(negatives):
        for j, (noise, snr) in enumerate(negative_conditions):
            voice = voices[(i + j) % len(voices)]
            items.append(
                Item(f"{n:05d}.wav", text, "none", {}, "negative", voice, snr, noise, trail)
            )
            n += 1
    jobs = [
        (it.text, it.voice, it.snr, it.noise, k, str(directory / it.file), it.trail)
        for k, it in enumerate(items)
    ]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(_synth_one, jobs, chunksize=16))
    return items


def _safety_rows(voices: int) -> list[tuple[str, list[tuple[str, str, dict[str, str]]]]]:
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.intents import Matcher, load_intents

    matcher = Matcher(load_intents(None, load_catalogue()))
    return [(kind, said) for kind, _, said in safety_words.rows(matcher, voices)]


# --- the per-engine worker (a child process) -----------------------------------------------


def _streamed(recognizer, pcm: bytes) -> tuple[Transcript, float, list[Transcript]]:
    """Feed `pcm` as a microphone would; (what was heard, seconds from the last chunk, the
    stream's final transcripts one by one)."""
    from voicecoach.hear.audio import pcm_chunks

    stream = recognizer.stream()
    heard = []
    for chunk in pcm_chunks(pcm, 0.1):
        heard += stream.feed(chunk)
    t0 = time.perf_counter()
    heard += stream.flush()
    # A pause inside the command can split it: the matcher sees it whole.
    return joined(heard, recognizer.name), t0, [t for t in heard if not t.tentative]


def _verification_details(transcript: Transcript, matcher, expecting_answer: bool) -> dict:
    """For tuning closed-set verification: what the layers before it said, and the best
    phrasing's score against the score of the words heard (every file, whatever the bar)."""
    from dataclasses import replace

    from voicecoach.understand.rejection import thresholds_for, understand, verify

    if transcript.verify is None:
        return {}
    th = thresholds_for(transcript.engine)
    before = understand(transcript, matcher, expecting_answer, replace(th, verify_min=None))
    verdict = verify(
        transcript, matcher, expecting_answer, replace(th, verify_min=-1e9, verify_margin=-1e9)
    )
    m = verdict.match
    return {
        "before_verify": before.intent,
        "before_slots": dict(before.slots),
        "verify_best": verdict.best,
        "verify_intent": m.intent if m else "none",
        "verify_slots": dict(m.slots) if m else {},
        "verify_score": verdict.best_score,
        "heard_score": verdict.heard_score,
        "verify_same": bool(m)
        and " ".join(verdict.best.split())
        == " ".join(matcher.intents.normalise(transcript.text).split()),
    }


#: --diagnose: how many of each intent's first sentences the fallback's record scores.
FALLBACK_DIAGNOSED_PER_INTENT = 2


def _fallback_details(transcript: Transcript, match, matcher, expecting_answer: bool) -> dict:
    """For tuning the command fallback (voicecoach.understand.fallback): on every utterance
    understood as nothing, the scores of a wide pool (the safety sentences and the first
    sentences of every intent without a slot), and the intents the learned recogniser ranks
    highest in the words heard and in the words dropped.  The sweep then replays any
    candidate set and bar from these."""
    from voicecoach.understand.fallback import _first_sentences, ranked_intents
    from voicecoach.understand.rescue import RESCUE_SENTENCES

    if transcript.verify is None or match.intent != "none" or transcript.tentative:
        return {}
    pool = [(s, matcher.match(s).intent) for s in RESCUE_SENTENCES]
    for intent, sentences in _first_sentences(matcher, FALLBACK_DIAGNOSED_PER_INTENT).items():
        pool += [(s, intent) for s in sentences if s not in {p for p, _ in pool}]
    started = time.perf_counter()
    scores = transcript.verify([s for s, _ in pool])
    return {
        "fb_pool": [[s, i, sc] for (s, i), sc in zip(pool, scores, strict=True)],
        "fb_seconds": time.perf_counter() - started,
        "fb_words": len((transcript.text or transcript.dropped).split()),
        "fb_span": transcript.end - transcript.start,
        "fb_dropped": transcript.dropped,
        "fb_rank_heard": ranked_intents(transcript.text, matcher)[:6],
        "fb_rank_dropped": ranked_intents(transcript.dropped, matcher)[:6],
    }


def _stage_details(recognizer, matcher, item: Item, pcm: bytes, pieces: list[Transcript]) -> dict:
    """For the stage breakdown (voicecoach.bench.asr_stages): where the stream cut the
    audio, and what the same recognizer and layers make of the known speech alone."""
    from voicecoach.bench import asr_stages
    from voicecoach.understand.rejection import understand

    yes_no = item.intent in ("yes", "no")
    oracle = recognizer.transcribe(asr_stages.oracle_cut(pcm, LEAD_SECONDS, item.trail))
    understood = understand(oracle, matcher, expecting_answer=yes_no)
    matched = matcher.match(oracle.text, expecting_answer=yes_no)
    dropped = getattr(getattr(recognizer, "last", None), "rejected", "")
    segments = [[t.start, t.end, t.text] for t in pieces]
    start, end = asr_stages.speech_span(len(pcm) / 32000, LEAD_SECONDS, item.trail)
    return {
        "segments": segments,
        "endpoint": asr_stages.endpoint_verdict(segments, start, end),
        "oracle_text": oracle.text,
        "oracle_dropped": dropped,
        "oracle_intent": understood.intent,
        "oracle_slots": dict(understood.slots),
        "oracle_matched": matched.intent,
        "oracle_matched_slots": dict(matched.slots),
    }


def _decoder_record(recognizer) -> dict:
    """What the engine's last decode said about itself (Whisper), for tuning its floors."""
    last = getattr(recognizer, "last", None)
    if last is None or not hasattr(last, "avg_logprob"):
        return {}
    return {
        "avg_logprob": last.avg_logprob,
        "no_speech_prob": last.no_speech_prob,
        "dropped_because": last.rejected,
    }


def _apply(recognizer, settings: list[str]) -> None:
    """--set NAME=VALUE: an existing attribute of the recognizer, given a Python literal."""
    import ast

    for setting in settings:
        name, _, value = setting.partition("=")
        if not hasattr(recognizer, name):
            raise SystemExit(f"{recognizer.name} has no setting {name!r}")
        setattr(recognizer, name, ast.literal_eval(value))


def worker(
    engine: str,
    corpus: Path,
    model: str | None,
    mode: str = "stream",
    out=None,
    diagnose: bool = False,
    settings: list[str] | None = None,
) -> None:
    """Recognize every corpus file with one engine; runs in its own process.

    Writes one JSON line per file as it goes, then a summary line: results are not kept in
    memory, so the peak RSS is the engine's, not the benchmark's bookkeeping.
    """
    from voicecoach.bench import asr_stages
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.hear.audio import read_wav
    from voicecoach.understand.intents import Matcher, load_intents
    from voicecoach.understand.rejection import understand

    out = out or sys.stdout
    items = [Item(**d) for d in json.loads((corpus / "manifest.json").read_text())]
    intents = load_intents(None, load_catalogue())
    matcher = Matcher(intents)
    started = time.perf_counter()
    recognizer = _open(engine, Path(model) if model else None, intents)
    load = time.perf_counter() - started
    # An engine the coach does not ship brings its own bars (None: the engine's, from
    # voicecoach.understand.rejection).
    thresholds = getattr(recognizer, "thresholds", None)
    _apply(recognizer, settings or [])
    audio_seconds = decode_seconds = 0.0
    for item in items:
        pcm = read_wav(corpus / item.file)
        started_file = t0 = time.perf_counter()
        pieces: list[Transcript] = []
        if mode == "stream":
            transcript, t0, pieces = _streamed(recognizer, pcm)
        else:
            transcript = recognizer.transcribe(pcm)
        decoded = time.perf_counter() - t0
        yes_no = item.intent in ("yes", "no")
        match = understand(transcript, matcher, expecting_answer=yes_no, thresholds=thresholds)
        elapsed = time.perf_counter() - t0
        audio_seconds += len(pcm) / 32000
        decode_seconds += time.perf_counter() - started_file
        raw = matcher.match(transcript.text, expecting_answer=item.intent in ("yes", "no"))
        extra = (
            {
                **_verification_details(transcript, matcher, item.intent in ("yes", "no")),
                **_fallback_details(transcript, match, matcher, item.intent in ("yes", "no")),
                **(
                    _stage_details(recognizer, matcher, item, pcm, pieces)
                    if item.kind in asr_stages.DIAGNOSED and mode == "stream"
                    else {}
                ),
            }
            if diagnose
            else {}
        )
        print(
            json.dumps(
                {
                    "file": item.file,
                    "heard": transcript.text,
                    **extra,
                    "alternatives": list(transcript.alternatives),
                    "asr_confidence": transcript.confidence,
                    "min_word": transcript.min_word_confidence,
                    "intent": match.intent,
                    "slots": dict(match.slots),
                    "confidence": match.confidence,
                    # a none the coach would ask about ("did you mean ...?")
                    "guess": match.guess,
                    "guess_slots": dict(match.guess_slots),
                    "rescued": match.phrase.startswith("rescued"),  # understand.rescue
                    "fallback": match.phrase.startswith("fallback"),  # understand.fallback
                    "latency": elapsed,
                    # of which the recognizer's last step (the rest is understanding)
                    "latency_decode": decoded,
                    "seconds": transcript.end - transcript.start,
                    **_decoder_record(recognizer),
                    # what the matcher said before the rejection layers (for tuning)
                    "matched": raw.intent,
                    "matched_slots": dict(raw.slots),
                    "match_confidence": raw.confidence,
                }
            ),
            file=out,
        )
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "engine": recognizer.name,
                "load_seconds": load,
                "peak_rss_mb": rss_kb / 1024,
                "rtf": decode_seconds / max(audio_seconds, 1e-9),
            }
        ),
        file=out,
    )


def _open(engine: str, model: Path | None, intents):
    """The recognizer to measure: one of the coach's engines, or Moonshine (bench only,
    voicecoach.bench.engine_moonshine; `--model` is then its folder)."""
    if engine == "moonshine":
        from voicecoach.bench.engine_moonshine import MoonshineRecognizer

        return MoonshineRecognizer(model)
    from voicecoach.hear.engines import open_recognizer
    from voicecoach.hear.vocab import PhraseSource

    return open_recognizer(engine, model, PhraseSource.from_intents(intents))


def read_worker_output(text: str) -> dict:
    """The worker's lines -> its summary, with "results" holding the per-file lines."""
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {**lines[-1], "results": lines[:-1]}


# --- scoring and the table -----------------------------------------------------------------


def _sorry(r: dict) -> bool:
    """A spoken session would answer this with a sorry (one utterance alone: before any
    run of sorries makes the coach go quiet, voicecoach.coach.unclear): words that meant
    nothing, not asked about, not sure to be talk meant for someone else."""
    from voicecoach.coach.unclear import QUIET_NONE

    unsure = r.get("confidence", 0.0) < QUIET_NONE
    words = bool(r.get("heard", "").strip())
    return r["intent"] == "none" and words and not r.get("guess") and unsure


def score(items: list[Item], run: dict) -> dict:
    by_file = {r["file"]: r for r in run["results"]}
    acc: dict[str, dict[str, list[bool]]] = {
        kind: {} for kind in dict.fromkeys(i.kind for i in items if i.kind != "negative")
    }
    by_family: dict[str, dict[str, list[bool]]] = {}
    fa_by_level: dict[str, list[bool]] = {}
    false_accepts, negatives, false_rejects, commands = 0, 0, 0, 0
    asked_right, talk_asked = 0, 0
    talk_sorry, missed_silently = 0, 0
    rescued = {"negative": 0, "command": 0}
    for item in items:
        r = by_file[item.file]
        rescued["negative" if item.kind == "negative" else "command"] += r.get("rescued", False)
        if item.kind == "negative":
            negatives += 1
            false_accepts += r["intent"] != "none"
            talk_asked += bool(r.get("guess"))
            talk_sorry += _sorry(r)
            fa_by_level.setdefault(condition(item), []).append(r["intent"] != "none")
            continue
        ok = r["intent"] == item.intent and r["slots"] == item.slots
        acc[item.kind].setdefault(condition(item), []).append(ok)
        family = f"{item.kind}, {'espeak-ng' if item.voice.startswith('espeak') else 'flite'}"
        by_family.setdefault(family, {}).setdefault(condition(item), []).append(ok)
        commands += 1
        false_rejects += r["intent"] == "none"
        missed_silently += r["intent"] == "none" and not r.get("guess") and not _sorry(r)
        asked_right += r["intent"] == "none" and (r.get("guess"), r.get("guess_slots")) == (
            item.intent,
            item.slots,
        )
    levels = [
        lvl
        for lvl in (_level(snr, noise) for noise, snr in CONDITIONS)
        if any(lvl in by_level for by_level in acc.values())
    ]
    latencies = sorted(r["latency"] for r in run["results"])
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    return {
        "accuracy": {
            k: {lvl: sum(v) / len(v) for lvl, v in levels.items()} for k, levels in acc.items()
        },
        "by_family": {
            k: {lvl: sum(v) / len(v) for lvl, v in levels.items()}
            for k, levels in sorted(by_family.items())
        },
        "levels": levels,
        "counts": {k: {lvl: len(v) for lvl, v in levels_.items()} for k, levels_ in acc.items()},
        "false_accept": false_accepts / max(negatives, 1),
        "rescued": rescued,
        "false_accept_by_level": {k: sum(v) / len(v) for k, v in fa_by_level.items()},
        "false_reject": false_rejects / max(commands, 1),
        "asked_right": asked_right / max(commands, 1),
        "talk_asked": talk_asked / max(negatives, 1),
        "talk_sorry": talk_sorry / max(negatives, 1),
        "missed_silently": missed_silently / max(commands, 1),
        "latency_median_ms": 1000 * statistics.median(latencies),
        "latency_p95_ms": 1000 * p95,
        "rtf": run["rtf"],
        "load_seconds": run["load_seconds"],
        "peak_rss_mb": run["peak_rss_mb"],
        "negatives": negatives,
        "commands": commands,
    }


KIND_LABELS = (
    ("heldout", "held-out phrasings"),
    ("dev", "dev phrasings"),
    ("grammar", "in-grammar phrases"),
    ("safety", "safety phrasings (--safety)"),
    ("short", "short commands (--safety)"),
)


def table(engine: str, s: dict) -> str:
    levels = s.get("levels") or [_level(x) for x in NOISE_LEVELS]
    lines = [
        f"### {engine}",
        "",
        "| intent+slot accuracy | " + " | ".join(levels) + " |",
        "|---|" + "---:|" * len(levels),
    ]
    for kind, label in KIND_LABELS:
        if kind not in s["accuracy"]:
            continue
        row = [f"{100 * s['accuracy'].get(kind, {}).get(lvl, float('nan')):.1f}%" for lvl in levels]
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    lines += [
        "",
        "| measure | value |",
        "|---|---:|",
        f"| false accepts (non-commands, "
        f"{' + '.join(s.get('false_accept_by_level', {}) or ['clean', '10 dB'])}, "
        f"n={s['negatives']}) | {100 * s['false_accept']:.1f}% |",
        f"| false rejects (commands, all levels, n={s['commands']}) "
        f"| {100 * s['false_reject']:.1f}% |",
        "| of those, asked about with the right command (did you mean ...?), of all commands "
        f"| {100 * s.get('asked_right', 0):.1f}% |",
        f"| non-commands asked about (did you mean ...?) | {100 * s.get('talk_asked', 0):.1f}% |",
        f"| non-commands answered with a sorry (spoken sessions) | "
        f"{100 * s.get('talk_sorry', 0):.1f}% |",
        f"| commands missed with no answer at all (no words, or sure not a command) | "
        f"{100 * s.get('missed_silently', 0):.1f}% |",
        "| safety rescues (understand.rescue): non-commands / commands "
        f"| {s.get('rescued', {}).get('negative', 0)} / {s.get('rescued', {}).get('command', 0)} |",
        f"| latency end of audio -> intent, median | {s['latency_median_ms']:.0f} ms |",
        f"| latency end of audio -> intent, p95 | {s['latency_p95_ms']:.0f} ms |",
        f"| real-time factor | {s['rtf']:.3f} |",
        f"| model load time | {s['load_seconds']:.2f} s |",
        f"| peak RSS (engine process) | {s['peak_rss_mb']:.0f} MB |",
        "",
        "| by voice family | " + " | ".join(levels) + " |",
        "|---|" + "---:|" * len(levels),
    ]
    for family, by_level in s.get("by_family", {}).items():
        row = [f"{100 * by_level.get(lvl, float('nan')):.1f}%" for lvl in levels]
        lines.append(f"| {family} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def side_by_side(scores: dict[str, dict]) -> str:
    """One table, engines as columns: accuracy per condition (held-out and in-grammar
    together), false accepts, latency, memory."""
    engines = list(scores)
    levels: list[str] = []
    for s in scores.values():
        levels += [lvl for lvl in s.get("levels", []) if lvl not in levels]
    lines = [
        "| intent+slot accuracy, all commands | " + " | ".join(engines) + " |",
        "|---|" + "---:|" * len(engines),
    ]

    def both(s: dict, lvl: str) -> str:
        # held-out and in-grammar weighted by their counts
        parts = [
            (s["accuracy"].get(k, {}).get(lvl), s.get("counts", {}).get(k, {}).get(lvl, 0))
            for k in ("heldout", "dev", "grammar")
        ]
        n = sum(c for a, c in parts if a is not None)
        if not n:
            return "-"
        return f"{100 * sum(a * c for a, c in parts if a is not None) / n:.1f}%"

    for lvl in levels:
        lines.append(f"| {lvl} | " + " | ".join(both(scores[e], lvl) for e in engines) + " |")

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    def fa(lvl: str):
        return lambda s: pct(s.get("false_accept_by_level", {}).get(lvl))

    fa_levels = next(iter(scores.values())).get("false_accept_by_level", {})
    rows = [
        ("held-out phrasings, clean", lambda s: pct(s["accuracy"].get("heldout", {}).get("clean"))),
        ("dev phrasings, clean", lambda s: pct(s["accuracy"].get("dev", {}).get("clean"))),
        ("false accepts, all", lambda s: pct(s["false_accept"])),
        *((f"false accepts, {lvl}", fa(lvl)) for lvl in fa_levels),
        ("false rejects", lambda s: pct(s["false_reject"])),
        ("latency median", lambda s: f"{s['latency_median_ms']:.0f} ms"),
        ("latency p95", lambda s: f"{s['latency_p95_ms']:.0f} ms"),
        ("real-time factor", lambda s: f"{s['rtf']:.3f}"),
        ("load time", lambda s: f"{s['load_seconds']:.2f} s"),
        ("peak RSS", lambda s: f"{s['peak_rss_mb']:.0f} MB"),
    ]
    for label, fmt in rows:
        lines.append(f"| {label} | " + " | ".join(fmt(scores[e]) for e in engines) + " |")
    return "\n".join(lines)


def machine() -> str:
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m voicecoach.bench asr", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a small corpus (about a minute)")
    p.add_argument(
        "--engine",
        action="append",
        choices=ENGINE_NAMES,
        help="engines to run (default: pocketsphinx, whisper if installed, and "
        "vosk if a model is found)",
    )
    p.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="at most N held-out, N in-grammar and N non-command sentences (each "
        "in every condition): for slow machines",
    )
    p.add_argument(
        "--conditions",
        metavar="LIST",
        help="comma-separated: clean,pink20,pink10,pink5,babble20,babble10,"
        "babble5,reverb (default: all)",
    )
    p.add_argument(
        "--taskset",
        metavar="CPUS",
        help="pin each engine's process to these CPUs (taskset -c), e.g. 0",
    )
    p.add_argument("--model", help="Vosk model folder")
    p.add_argument("--voices", help="comma-separated voice names (see voice.synth.VOICES)")
    p.add_argument("--keep", metavar="DIR", help="write the corpus and raw results here")
    p.add_argument(
        "--corpus",
        metavar="DIR",
        help="reuse a corpus kept by an earlier --keep instead of building one",
    )
    p.add_argument(
        "--mode",
        choices=("stream", "whole"),
        default="stream",
        help="stream: 0.1 s chunks through the live stream (default); "
        "whole: each file in one piece",
    )
    p.add_argument(
        "--tuning",
        action="store_true",
        help="the tuning corpus (phrasings from intents/ and the bench's own "
        "non-commands, voicecoach.bench._tuning) instead of tests/data, with "
        "verification details per file: for choosing thresholds",
    )
    p.add_argument(
        "--diagnose",
        action="store_true",
        help="record what verification made of every file (with --keep: in "
        "results-ENGINE.json), e.g. the intent before it, and for files understood as "
        "nothing the scores the command fallback could use (replayed by "
        "python -m voicecoach.bench.asr_fallback DIR); slower",
    )
    p.add_argument(
        "--dev",
        action="store_true",
        help="the development set (tests/data_dev: phrasings and non-commands written for "
        "tuning) instead of the held-out set, beside the in-grammar phrases",
    )
    p.add_argument(
        "--trail",
        type=float,
        default=0.3,
        metavar="SECONDS",
        help="seconds of room (silence or the noise) after each sentence (default 0.3)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set an attribute of the recognizer before the run (a Python literal), e.g. "
        "beam_size=3 or vad_options={'threshold':0.6}: for trying settings",
    )
    p.add_argument(
        "--safety",
        action="store_true",
        help="the safety-words corpus (voicecoach.bench.safety_words: the ways out and "
        "short commands like them, every voice in every condition; conditions by default "
        f"{safety_words.CONDITIONS}) instead of the held-out set",
    )
    p.add_argument("--worker", nargs=2, metavar=("ENGINE", "CORPUS"), help=argparse.SUPPRESS)
    return p


def _chosen_conditions(
    args: argparse.Namespace,
) -> tuple[tuple[str, float | None], ...] | None:
    """The conditions asked for; the safety corpus has its own default."""
    spec = args.conditions or (safety_words.CONDITIONS if args.safety else None)
    return _conditions(spec) if spec else CONDITIONS


def _available_engines(model: str | None) -> list[str]:
    """Every engine this machine can run: PocketSphinx always, the others when present."""
    from voicecoach.hear.engines import _whisper_problem, find_vosk_model

    return (
        ["pocketsphinx"]
        + (["whisper"] if _whisper_problem() is None else [])
        + (["vosk"] if (model or find_vosk_model()) else [])
    )


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        worker(
            args.worker[0],
            Path(args.worker[1]),
            args.model,
            args.mode,
            diagnose=args.diagnose,
            settings=args.set,
        )
        return 0
    from voicecoach.voice import synth

    voices = (
        args.voices.split(",")
        if args.voices
        else [v for v in synth.DEFAULT_VOICES if v in synth.available_voices()]
    )
    if not voices:
        print("no speech synthesizer found (apt install flite espeak-ng sox)", file=sys.stderr)
        return 1
    engines = args.engine or _available_engines(args.model)
    conditions = _chosen_conditions(args)
    if conditions is None:
        return 2
    with tempfile.TemporaryDirectory(prefix="voicecoach-bench-") as tmp:
        if args.corpus:
            corpus = Path(args.corpus)
            items = [Item(**d) for d in json.loads((corpus / "manifest.json").read_text())]
            print(f"corpus: {len(items)} files from {corpus}", file=sys.stderr)
        else:
            corpus = Path(args.keep) if args.keep else Path(tmp)
            corpus.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            items = build_corpus(
                corpus,
                args.quick,
                voices,
                sample=args.sample,
                conditions=conditions,
                tuning=args.tuning,
                dev=args.dev,
                trail=args.trail,
                safety=args.safety,
            )
            (corpus / "manifest.json").write_text(json.dumps([asdict(i) for i in items]))
            print(
                f"corpus: {len(items)} files, voices {', '.join(voices)}, "
                f"built in {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
            )
        print(
            f"machine: {machine()}; mode: {args.mode}"
            + (f"; pinned to CPU {args.taskset}" if args.taskset else "")
            + "\n"
        )
        scores: dict[str, dict] = {}
        for engine in engines:
            proc = _run_worker(engine, corpus, args)
            if proc.returncode != 0:
                print(f"### {engine}\n\nfailed: {proc.stderr.strip()[-500:]}\n")
                continue
            run = read_worker_output(proc.stdout)
            if args.keep:
                (corpus / f"results-{engine}.json").write_text(json.dumps(run, indent=1))
            scores[engine] = score(items, run)
            print(table(engine, scores[engine]) + "\n")
            if args.diagnose or args.tuning:
                print(_stages(engine, items, run) + "\n")
        if len(scores) > 1:
            print("### side by side\n\n" + side_by_side(scores) + "\n")
    return 0


def _conditions(names: str) -> tuple[tuple[str, float | None], ...] | None:
    """--conditions "clean,babble10" -> the conditions (None, said why, when unknown)."""
    named = {_name(c): c for c in CONDITIONS}
    unknown = [c for c in names.split(",") if c not in named]
    if unknown:
        print(
            f"unknown conditions: {', '.join(unknown)} (known: {', '.join(named)})",
            file=sys.stderr,
        )
        return None
    return tuple(named[c] for c in names.split(","))


def _run_worker(engine: str, corpus: Path, args: argparse.Namespace):
    """One engine over the corpus in a child process of its own (pinned with --taskset)."""
    pin = ["taskset", "-c", args.taskset] if args.taskset else []
    cmd = (
        [*pin, sys.executable, "-m", "voicecoach.bench", "asr", "--worker", engine]
        + [str(corpus), "--mode", args.mode]
        + (["--diagnose"] if args.tuning or args.diagnose else [])
        + (["--model", args.model] if args.model else [])
        + [f"--set={s}" for s in args.set]
    )
    return subprocess.run(cmd, capture_output=True, text=True)


def _stages(engine: str, items: list[Item], run: dict) -> str:
    """The stage breakdown of the in-grammar and development commands (never held-out)."""
    from voicecoach.bench import asr_stages
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.understand.intents import Matcher, load_intents

    matcher = Matcher(load_intents(None, load_catalogue()))
    lost = asr_stages.breakdown(items, run, matcher, condition)
    cuts = asr_stages.endpoint_counts(items, run, condition)
    if not lost:
        return ""
    table_ = asr_stages.stage_table(lost)
    levels = list(cuts)
    rows = sorted({v for c in cuts.values() for v in c})
    endpoint = [
        "| endpointer, every diagnosed command | " + " | ".join(levels) + " |",
        "|---|" + "---:|" * len(levels),
        *(f"| {v} | " + " | ".join(str(cuts[lvl][v]) for lvl in levels) + " |" for v in rows),
    ]
    return f"### {engine}: where commands are lost\n\n{table_}\n\n" + "\n".join(endpoint)


def _name(c: tuple[str, float | None]) -> str:
    noise, snr = c
    if noise == "reverb":
        return "reverb"
    return "clean" if snr is None else f"{noise}{snr:g}"
