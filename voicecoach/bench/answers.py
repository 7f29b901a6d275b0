"""`python -m voicecoach.bench answers`: yes and no to the coach's question, through Whisper.

Each clip is one short reply, said while the coach waits for an answer (`expecting_answer`),
in a voice of the synthesizer, clean or with TV-like babble under it, and read through
the file path (level stage, Whisper, the understanding layers) twice: without and with
the answer layer (voicecoach.understand.answers).  Replies of three kinds:

- the answer sentences the layer scores ("yes", "nope", ...): what the bar was chosen on;
- other ways of answering ("yeah go on", "nah", "not really"): never scored by name;
- replies that are no answer ("pardon", "hang on", "i don't know", "next one"), and the
  TV alone (a stretch of babble at a talker's level): these must stay no answer.

Prints, per condition, answers right / missed / wrong and the other replies taken for an
answer, without and with the layer.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace

import numpy as np

ANSWERS_SCORED = {
    "yes": ["yes", "yeah", "yes please", "yep"],
    "no": ["no", "no thanks", "nope", "no not now"],
}
ANSWERS_OTHER = {
    "yes": ["yeah go on", "yes thanks", "go on then", "okay yes", "sure"],
    "no": ["nah", "not really", "no ta", "no i'm fine", "no way"],
}
NOT_ANSWERS = [
    "pardon",
    "what was that",
    "hang on",
    "i don't know",
    "hmm let me think",
    "next one",
    "pause",
    "hello",
    "oh dear",
    "right",
]
TV = "<tv>"


VERDICTS = ("right", "missed", "wrong")


def verdict(got: str, expected: str) -> str:
    return "right" if got == expected else "missed" if got == "none" else "wrong"


def clips() -> list[tuple[str, str, str]]:
    """(kind, expected intent, text): kind is scored / other / not / tv."""
    out = [("scored", side, t) for side, ts in ANSWERS_SCORED.items() for t in ts]
    out += [("other", side, t) for side, ts in ANSWERS_OTHER.items() for t in ts]
    out += [("not", "none", t) for t in NOT_ANSWERS]
    out += [("tv", "none", TV)] * 3
    return out


def tv_alone(track: np.ndarray, seconds: float, level: float, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    n = int(seconds * 16000)
    start = int(rng.integers(0, len(track) - n))
    x = track[start : start + n] * level
    return np.clip(x, -32768, 32767).astype("<i2").tobytes()


def main(argv: list[str]) -> int:
    from voicecoach.bench.noises import add_babble, babble_track
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.hear.engines import open_with_fallback
    from voicecoach.hear.level import Levelled
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.intents import Matcher, load_intents
    from voicecoach.understand.rejection import WHISPER_THRESHOLDS, understand
    from voicecoach.voice.synth import DEFAULT_VOICES, synthesize

    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench answers")
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES))
    parser.add_argument("--babble", default="14,10", help="babble levels, dB below the voice")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    voices = args.voices.split(",")
    conditions: list[float | None] = [None, *(float(x) for x in args.babble.split(",") if x)]

    intents = load_intents(None, load_catalogue())
    matcher = Matcher(intents)
    raw, _ = open_with_fallback("whisper", None, PhraseSource.from_intents(intents))
    recognizer = Levelled(raw)
    track = babble_track(120, talkers=3, seed=args.seed)
    off = replace(WHISPER_THRESHOLDS, answer=None)
    print(f"voices {', '.join(voices)}; babble seed {args.seed}\n")
    print(
        "| condition | replies | answers right (off -> on) | missed | wrong | "
        "no answer taken for one (off -> on) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    n = 0
    for snr in conditions:
        counts: dict[str, Counter[str]] = {"off": Counter(), "on": Counter()}
        for voice in voices:
            for kind, expected, text in clips():
                n += 1
                if text == TV:
                    pcm = tv_alone(track, 1.5, 1500.0 * 10 ** (-(snr or 14.0) / 20), n)
                else:
                    pcm = synthesize(text, voice, pad=0.3)
                    if snr is not None:
                        pcm = add_babble(pcm, snr, track, seed=n + args.seed)
                t = recognizer.transcribe(pcm)
                for name, th in (("off", off), ("on", WHISPER_THRESHOLDS)):
                    got = understand(t, matcher, expecting_answer=True, thresholds=th).intent
                    c = counts[name]
                    if expected == "none":
                        c["others"] += 1
                        c["taken"] += got in ("yes", "no")
                    else:
                        c[f"{kind} total"] += 1
                        verdict = (
                            "right" if got == expected else "missed" if got == "none" else "wrong"
                        )
                        c[f"{kind} {verdict}"] += 1
        name = "clean" if snr is None else f"babble {snr:g} dB below"
        for kind in ("scored", "other"):
            a, b = counts["off"], counts["on"]
            cells = " | ".join(f"{a[f'{kind} {v}']} -> {b[f'{kind} {v}']}" for v in VERDICTS)
            print(f"| {name} | {kind} answers ({a[f'{kind} total']}) | {cells} | |")
        print(
            f"| {name} | not answers, TV ({counts['off']['others']}) | | | | "
            f"{counts['off']['taken']} -> {counts['on']['taken']} |"
        )
    return 0
