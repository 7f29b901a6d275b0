"""`voicecoach recognize [--json] FILE.wav ...`: what the coach understands in recordings."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "recognize commands in WAV files (any rate, width, channels) and print the intents"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE.wav", help="recordings, one utterance each"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per file per line: {"file", "text", "intent", "slots", "confidence"}',
    )
    parser.add_argument(
        "--engine",
        choices=("whisper", "vosk", "pocketsphinx"),
        help="force an engine (default: Whisper if it is installed and fast "
        "enough here, else PocketSphinx)",
    )
    parser.add_argument("--model", type=Path, help="Vosk model folder (implies --engine vosk)")
    parser.add_argument(
        "--expecting-answer",
        action="store_true",
        help="treat the files as answers to a yes/no question",
    )


def run(args: argparse.Namespace) -> int:
    from voicecoach.coach.catalogue import load_catalogue
    from voicecoach.hear.audio import read_wav
    from voicecoach.hear.engines import open_with_fallback
    from voicecoach.hear.level import Levelled
    from voicecoach.hear.recognizer import RecognizerUnavailable
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.intents import Matcher, load_intents
    from voicecoach.understand.rejection import understand

    engine = args.engine or ("vosk" if args.model else None)
    intents = load_intents(None, load_catalogue())
    matcher = Matcher(intents)
    try:
        recognizer, fell_back = open_with_fallback(
            engine, args.model, PhraseSource.from_intents(intents)
        )
    except RecognizerUnavailable as e:
        print(f"voicecoach recognize: {e}", file=sys.stderr)
        return 2
    if fell_back:
        print(f"voicecoach recognize: {fell_back}", file=sys.stderr)
    recognizer = Levelled(recognizer)  # loud, clipped and quiet files heard alike
    print(f"voicecoach recognize: engine {recognizer.name}", file=sys.stderr)
    failed = 0
    for name in args.files:
        try:
            pcm = read_wav(name)
        except ValueError as e:
            failed += 1
            print(f"voicecoach recognize: {name}: {e}", file=sys.stderr)
            continue
        transcript = recognizer.transcribe(pcm)
        match = understand(transcript, matcher, expecting_answer=args.expecting_answer)
        row = {
            "file": name,
            "text": transcript.text,
            "intent": match.intent,
            "slots": dict(match.slots),
            "confidence": round(float(match.confidence), 3),
        }
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            slots = " ".join(f"{k}={v}" for k, v in row["slots"].items())
            print(
                f"{name}: {row['intent']} {slots} ({row['confidence']:.2f}) "
                f"heard {row['text']!r}".replace("  ", " "),
                flush=True,
            )
    return 1 if failed else 0
