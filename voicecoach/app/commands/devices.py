"""`voicecoach devices`: list the audio devices PortAudio can see."""

from __future__ import annotations

import argparse
import json

HELP = "list audio devices (microphones and speakers) and their numbers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per device per line")


def run(args: argparse.Namespace) -> int:
    from voicecoach.hear.audio import list_devices

    devices = list_devices()
    if args.json:
        for d in devices:
            print(json.dumps(d))
        return 0
    if not devices:
        print(
            "No audio devices found. Check that a USB microphone or sound card is plugged in "
            "(and, on a Raspberry Pi, that `arecord -l` lists it), then try again."
        )
        return 1
    print(f"{'#':>3}  {'in':>3} {'out':>3}  {'rate':>6}  name")
    for d in devices:
        print(
            f"{d['index']:>3}  {d['inputs']:>3} {d['outputs']:>3}  {d['default_rate']:>6.0f}  "
            f"{d['name']}"
        )
    if not any(d["inputs"] for d in devices):
        print("None of these can record: plug in a microphone.")
    else:
        print("Choose a microphone with `voicecoach run --input-device NUMBER` (or NAME).")
    return 0
