"""`voicecoach say TEXT`: speak one line on the speaker, or render it to a WAV file."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from voicecoach.coach.profile import DEFAULT_RATE, DEFAULT_VOLUME

HELP = "speak one line on the speaker (or render it to a WAV file with --out)"

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", help="what to say")
    parser.add_argument("--out", type=Path, metavar="FILE.wav", help="write a WAV file instead")
    parser.add_argument(
        "--rate",
        type=int,
        default=DEFAULT_RATE,
        help="words per minute, 90..220 (default %(default)s)",
    )
    parser.add_argument(
        "--volume", type=float, default=DEFAULT_VOLUME, help="0.3..1 (default %(default)s)"
    )
    parser.add_argument("--voice", help="espeak-ng voice, e.g. en-us or en+f3")
    parser.add_argument("--tone", metavar="NAME", help="play this cue tone before the line")
    parser.add_argument("--output-device", metavar="NAME|INDEX", help="speaker to use")


def run(args: argparse.Namespace) -> int:
    from voicecoach.voice.playback import NoOutputDevice, SoundDeviceOut, WavTimelineOut
    from voicecoach.voice.speech import SpeechError, open_speaker
    from voicecoach.voice.tones import tone

    text = " ".join(args.text)
    if args.out is not None:
        out: WavTimelineOut | SoundDeviceOut = WavTimelineOut(args.out)
    else:
        device = args.output_device
        try:  # before the voice: no speaker is the likelier trouble, and quick to find
            out = SoundDeviceOut(int(device) if device and device.isdigit() else device)
        except NoOutputDevice as e:
            print(
                f"voicecoach say: {e}\nTo render the line to a file instead: "
                f"voicecoach say --out line.wav {text!r}",
                file=sys.stderr,
            )
            return 1
    try:
        speaker = open_speaker(args.voice, args.rate, args.volume)
        try:
            clip = speaker.render(text)
            cue = tone(args.tone, volume=speaker.volume) if args.tone else None
        finally:
            speaker.close()
        start = out.now()
        if cue is not None:
            start = out.play(cue, start) + 0.1
        end = out.play(clip, start)
        if isinstance(out, SoundDeviceOut):
            out.wait(timeout=end - out.now() + 5)
            if out.lost:
                print(f"voicecoach say: {out.lost}", file=sys.stderr)
                return 1
        else:
            log.info("wrote %.2f s to %s", end, args.out)
    except (SpeechError, ValueError) as e:
        print(f"voicecoach say: {e}", file=sys.stderr)
        return 1
    finally:
        out.close()
    return 0
