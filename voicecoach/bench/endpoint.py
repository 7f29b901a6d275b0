"""`python -m voicecoach.bench endpoint [--quick] [--no-whisper] [--gate off]`: a TV room.

Long recordings (a few minutes) of a room where something talks or hisses all the time --
3-talker babble (a talk show), one continuous talker (a newsreader), pink noise -- at
several levels below the person's speech, with commands from several voices (none of them
a babble voice) said at known times; plus a quiet room with normal and very quiet (-30 dB)
speech.  Each recording goes through the live path as `run` hears it (the level stage, the
denoiser, Silero endpointing; by default Whisper too) in 0.1 s chunks.  Per condition:

- commands found: an utterance overlaps the command's spoken span; split: more than one does;
- extra: how much longer the found utterance is than the command (median, p90, seconds);
- TV utterances per minute: utterances that overlap no command (opened by the room alone);
- with Whisper: commands understood (the right intent) and TV-only utterances accepted as
  a command (any intent but none), and TV-only utterances Whisper made no words of.

`--gate off` measures the endpointer without its foreground gate (as before issue 10);
`--open/--hold/--window` try other gate settings; `--decode-silence` hands the decoder the
end-of-speech silence as well (as before).  Pin it to one core
(`taskset -c 0 python -m ...`) when the time column matters.
"""

from __future__ import annotations

import argparse
import functools
import random
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicecoach.bench.noises import babble_track, speech_power
from voicecoach.hear.audio import pcm_chunks
from voicecoach.hear.recognizer import DecodingStream, Transcript

RATE = 16000
#: (text, intent): ordinary commands, safety words among them, short and long.
COMMANDS = [
    ("next", "next"),
    ("pause", "pause"),
    ("it hurts", "pain"),
    ("i'm tired", "tired"),
    ("skip this one", "skip"),
    ("slower please", "slower"),
    ("stop", "stop"),
    ("help me", "help"),
    ("can we do something easier", "easier"),
    ("i'm stuck in my chair today", "seated"),
    ("say that again", "repeat"),
    ("i can't stand up today", "cant_stand"),
]
#: Command voices: four flite, one espeak-ng, one slowed flite (never a babble voice).
VOICES = ("slt", "rms", "awb", "kal16", "espeak-f3", "slt-slow")
NOISES = ("babble", "tv", "pink")
LEVELS = (20.0, 14.0, 10.0, 5.0)
#: Active level of every command: about -24 dBFS, a person a metre or two away.
SPEECH_RMS = 2000.0
#: A quiet room's own hiss (a microphone's noise), about -70 dBFS.
QUIET_RMS = 10.0


@dataclass(frozen=True)
class Said:
    """A command in a recording, where its speech really is."""

    text: str
    intent: str
    voice: str
    start: float
    end: float


@dataclass(frozen=True)
class Condition:
    """A room: what it hears besides the person, and how far below the speech (dB); for the
    quiet room, `level` is the speech's own gain instead (0 or -30 dB)."""

    noise: str  # babble | tv | pink | quiet
    level: float

    @property
    def label(self) -> str:
        if self.noise == "quiet":
            return f"quiet room, speech {self.level:+g} dB"
        return f"{self.noise} {self.level:g} dB below"


def conditions(noises: list[str], levels: list[float], quiet: bool) -> list[Condition]:
    rooms = [Condition(n, lv) for n in noises for lv in levels]
    return rooms + ([Condition("quiet", 0.0), Condition("quiet", -30.0)] if quiet else [])


def _command_audio(text: str, voice: str) -> tuple[np.ndarray, int, int]:
    """The command at SPEECH_RMS active level, and where its speech starts and ends."""
    from voicecoach.voice.synth import synthesize

    x = np.frombuffer(synthesize(text, voice, pad=0.0), "<i2").astype(np.float64)
    x *= SPEECH_RMS / max(np.sqrt(speech_power(x)), 1e-9)
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.max(np.abs(x)))
    return x, int(loud[0]), int(loud[-1]) + 1


@functools.lru_cache(maxsize=4)
def _room_noise(noise: str, seconds: float, seed: int) -> np.ndarray:
    """Unit-RMS noise of the given kind, made once for all its levels (not to be changed)."""
    from voicecoach.voice.synth import pink_noise

    if noise == "babble":
        return babble_track(seconds, talkers=3, seed=seed)
    if noise == "tv":
        return babble_track(seconds, talkers=1, seed=seed)
    return pink_noise(int(seconds * RATE), seed=seed)


def recording(
    room: Condition, minutes: float, voices: list[str], seed: int = 0
) -> tuple[bytes, list[Said]]:
    """A recording of `minutes` in `room`, commands said every 8-16 s from 6 s on."""
    rng = random.Random(seed)
    n = int(minutes * 60 * RATE)
    speech = np.zeros(n)
    said: list[Said] = []
    at = 6.0
    k = seed
    while True:
        text, intent = COMMANDS[k % len(COMMANDS)]
        voice = voices[k % len(voices)]
        x, first, last = _command_audio(text, voice)
        begin = int(at * RATE)
        if begin + len(x) > n - 3 * RATE:
            break
        speech[begin : begin + len(x)] += x
        said.append(Said(text, intent, voice, (begin + first) / RATE, (begin + last) / RATE))
        at = (begin + len(x)) / RATE + rng.uniform(8.0, 16.0)
        k += 1
    # Every room has a microphone's own faint hiss, so the TV's gaps are not digital zeros.
    noise = _room_noise("pink", minutes * 60, seed + 100) * QUIET_RMS
    if room.noise == "quiet":
        speech *= 10 ** (room.level / 20)
    else:
        tv = _room_noise(room.noise, minutes * 60, seed) * SPEECH_RMS * 10 ** (-room.level / 20)
        noise = noise + tv[:n]
    mixed = np.clip(np.round(speech + noise[:n]), -32768, 32767).astype("<i2")
    return mixed.tobytes(), said


class Unheard:
    """An IncrementalDecoder that decodes nothing: endpointing alone, on the live path."""

    def begin(self) -> None: ...
    def accept(self, pcm: bytes) -> None: ...
    def abandon(self) -> None: ...

    def finish(self) -> Transcript:
        return Transcript("", 0.0)

    def peek(self) -> Transcript:
        return Transcript("", 0.0)


def live_stream(recognizer: Any, gate: dict[str, Any], end_silence: float, denoise: bool) -> Any:
    """The live path `run` uses (level stage, denoiser, Silero endpointer, the engine),
    with the endpointer's gate settings `gate`; recognizer None: endpointing alone."""
    from voicecoach.hear.engine_whisper import whisper_denoiser
    from voicecoach.hear.level import Levelled, LevelledStream, StreamLevel
    from voicecoach.hear.vad import SileroEndpointer

    if recognizer is not None:
        recognizer.vad_options = dict(gate)
        recognizer.denoise = denoise
        return Levelled(recognizer).stream(end_silence)
    inner = DecodingStream(
        Unheard(),
        end_silence,
        denoiser=whisper_denoiser() if denoise else None,
        endpointer=SileroEndpointer,
        **gate,
    )
    return LevelledStream(inner, StreamLevel())


@dataclass
class Outcome:
    """What one recording's utterances came to."""

    said: list[Said]
    heard: list[Transcript]
    minutes: float
    seconds: float  # processing time, the recognizer's included


def hear(pcm: bytes, said: list[Said], stream: Any) -> Outcome:
    started = time.process_time()
    heard: list[Transcript] = []
    for chunk in pcm_chunks(pcm, 0.1):
        heard += [t for t in stream.feed(chunk) if not t.tentative]
    heard += [t for t in stream.flush() if not t.tentative]
    took = time.process_time() - started
    return Outcome(said, heard, len(pcm) / (2 * RATE * 60), took)


def _overlaps(t: Transcript, s: Said) -> bool:
    return t.start < s.end and t.end > s.start


def _pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(q * len(values)))]:.1f}"


def summary(room: Condition, outcomes: list[Outcome], intents: Any | None) -> str:
    """One table row for a condition (all its recordings together)."""
    from voicecoach.understand.flags import NONE
    from voicecoach.understand.rejection import understand

    found = split = understood = commands = 0
    extra: list[float] = []
    tv: list[Transcript] = []
    minutes = seconds = 0.0
    for o in outcomes:
        minutes += o.minutes
        seconds += o.seconds
        commands += len(o.said)
        for s in o.said:
            mine = [t for t in o.heard if _overlaps(t, s)]
            if not mine:
                continue
            found += 1
            split += len(mine) > 1
            best = max(mine, key=lambda t: min(t.end, s.end) - max(t.start, s.start))
            extra.append((best.end - best.start) - (s.end - s.start))
            if intents is not None:
                understood += any(understand(t, intents).intent == s.intent for t in mine)
        tv += [t for t in o.heard if not any(_overlaps(t, s) for s in o.said)]
    cells = [
        room.label,
        f"{found}/{commands}",
        str(split),
        _pct(extra, 0.5),
        _pct(extra, 0.9),
        f"{len(tv) / minutes:.1f}",
    ]
    if intents is not None:
        accepted = sum(understand(t, intents).intent != NONE for t in tv)
        empty = sum(not t.text for t in tv)
        cells += [f"{understood}/{commands}", f"{accepted}/{len(tv)}", f"{empty}/{len(tv)}"]
    cells.append(f"{seconds / (minutes * 60):.3f}")
    return "| " + " | ".join(cells) + " |"


def header(whisper: bool) -> list[str]:
    names = ["room", "commands found", "split", "extra s median", "extra s p90", "TV utt./min"]
    if whisper:
        names += ["understood", "TV accepted", "TV heard as ''"]
    names.append("CPU s per s")
    return ["| " + " | ".join(names) + " |", "|---" * len(names) + "|"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench endpoint")
    parser.add_argument("--quick", action="store_true", help="one level per noise, 2 minutes")
    parser.add_argument("--minutes", type=float, default=3.0, help="length of each recording")
    parser.add_argument("--seeds", type=int, default=1, help="recordings per condition")
    parser.add_argument("--noises", default=",".join(NOISES), help="babble,tv,pink")
    parser.add_argument("--levels", default=",".join(f"{v:g}" for v in LEVELS))
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--no-quiet", action="store_true", help="leave out the quiet room")
    parser.add_argument("--no-whisper", action="store_true", help="endpointing alone")
    parser.add_argument("--no-denoise", action="store_true", help="the endpointer hears raw")
    parser.add_argument("--end-silence", type=float, default=0.8)
    parser.add_argument("--gate", choices=("on", "off"), default="on")
    parser.add_argument("--open", type=float, default=None, help="foreground_db")
    parser.add_argument("--hold", type=float, default=None, help="hold_db")
    parser.add_argument("--window", type=float, default=None, help="background_seconds")
    parser.add_argument(
        "--decode-silence",
        action="store_true",
        help="hand the decoder the end-of-speech silence too (hold_silence off, as before)",
    )
    args = parser.parse_args(argv)

    gate: dict[str, Any] = {}
    if args.gate == "off":
        gate["foreground_db"] = None
    for key, value in (
        ("foreground_db", args.open),
        ("hold_db", args.hold),
        ("background_seconds", args.window),
    ):
        if value is not None:
            gate[key] = value
    if args.decode_silence:
        gate["hold_silence"] = False
    noises = args.noises.split(",")
    levels = [float(v) for v in args.levels.split(",")]
    if args.quick:
        levels, args.minutes = levels[1:2], min(args.minutes, 2.0)
    voices = args.voices.split(",")
    recognizer = intents = None
    if not args.no_whisper:
        from voicecoach.coach.catalogue import load_catalogue
        from voicecoach.hear.engines import open_recognizer
        from voicecoach.hear.vocab import PhraseSource
        from voicecoach.understand.intents import Matcher, load_intents

        loaded = load_intents(None, load_catalogue())
        intents = Matcher(loaded)
        recognizer = open_recognizer("whisper", None, PhraseSource.from_intents(loaded))
    print(
        f"endpoint bench: {args.minutes:g} min x {args.seeds} per room; voices "
        f"{', '.join(voices)}; end_silence {args.end_silence:g} s; gate "
        f"{args.gate} {gate or ''}; denoiser {'off' if args.no_denoise else 'on'}; "
        f"{'endpointing only' if recognizer is None else 'Whisper tiny.en'}"
    )
    lines = header(recognizer is not None)
    print("\n".join(lines), flush=True)
    for room in conditions(noises, levels, not args.no_quiet):
        outcomes = []
        for seed in range(args.seeds):
            pcm, said = recording(room, args.minutes, voices, seed=seed)
            stream = live_stream(recognizer, gate, args.end_silence, not args.no_denoise)
            outcomes.append(hear(pcm, said, stream))
        row = summary(room, outcomes, intents)
        lines.append(row)
        print(row, flush=True)
    return 0
