"""`voicecoach doctor [--db PATH]`: check everything the coach needs, say what to fix.

Each check is a small function returning a Check; none may raise (a check that crashes is
itself reported as a problem), so this works on a machine with no sound card, no model and
a broken config, which is exactly when it is needed.  Other parts of voicecoach are
imported inside the checks, so a missing or broken module is reported, not fatal.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HELP = "check microphone, speaker, speech recognizer, voice and database, and say what to fix"

OK, WARN, FAIL = "ok", "warning", "PROBLEM"

NO_DEVICES_FIX = (
    "Plug in the USB microphone and speaker (or a USB sound card) and run `voicecoach doctor` "
    "again. `arecord -l` and `aplay -l` show what Linux itself sees; if they list devices but "
    "this does not, add the user to the audio group (`sudo adduser $USER audio`, then log out "
    "and in) and check that libportaudio2 is installed."
)

ENGINE_NAMES = {
    "FallbackSpeaker": "pyttsx3 and espeak-ng, with the espeak-ng command as a fallback",
    "Pyttsx3Speaker": "pyttsx3 and espeak-ng",
    "EspeakSpeaker": "the espeak-ng command",
}


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    """OK, WARN or FAIL."""
    message: str
    fix: str = ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from voicecoach.app.config import add_common_arguments

    add_common_arguments(parser)


# --- audio devices ----------------------------------------------------------------------------


def list_audio_devices() -> list[dict[str, Any]]:
    """Devices as voicecoach.hear.audio lists them, or straight from sounddevice."""
    try:
        from voicecoach.hear.audio import list_devices
    except Exception:  # audio module missing or broken: ask sounddevice ourselves
        try:
            import sounddevice as sd

            return [
                {
                    "index": int(d["index"]),
                    "name": str(d["name"]),
                    "inputs": int(d["max_input_channels"]),
                    "outputs": int(d["max_output_channels"]),
                }
                for d in sd.query_devices()
            ]
        except Exception:
            return []
    return list_devices()


def default_devices() -> tuple[int | None, int | None]:
    """PortAudio's default (input, output) device indices; None where there is none."""
    try:
        import sounddevice as sd

        found = [int(i) for i in sd.default.device]
    except Exception:
        return None, None
    return tuple(i if i >= 0 else None for i in found)  # type: ignore[return-value]


def pick_device(
    devices: list[dict[str, Any]],
    wanted: str | int | None,
    channels_key: str,
    default: int | None = None,
) -> dict[str, Any] | None:
    """The device `wanted` names (index or part of the name), among those with channels;
    with nothing wanted, the system default, else the first that can."""
    usable = [d for d in devices if d.get(channels_key, 0) > 0]
    if wanted is None:
        chosen = next((d for d in usable if d["index"] == default), None)
        return chosen or (usable[0] if usable else None)
    if isinstance(wanted, int) or str(wanted).isdigit():
        return next((d for d in usable if d["index"] == int(wanted)), None)
    return next((d for d in usable if str(wanted).lower() in d["name"].lower()), None)


def check_device(
    kind: str,
    devices: list[dict[str, Any]],
    wanted: str | int | None,
    probe: Callable[[str | int | None], None] | None = None,
    default: int | None = None,
) -> Check:
    """kind is "microphone" or "speaker"; `probe` opens the device and raises if it cannot."""
    channels_key = "inputs" if kind == "microphone" else "outputs"
    setting = "input_device" if kind == "microphone" else "output_device"
    if not devices:
        return Check(kind, FAIL, "This computer has no audio devices at all.", NO_DEVICES_FIX)
    chosen = pick_device(devices, wanted, channels_key, default)
    names = ", ".join(f"{d['index']}: {d['name']}" for d in devices if d.get(channels_key, 0) > 0)
    if chosen is None and wanted is not None:
        return Check(
            kind,
            FAIL,
            f"The settings ask for {setting} = {wanted!r}, and there is no such {kind}.",
            f"Choose one of these in the config file: {names or 'none found'}.",
        )
    if chosen is None:
        return Check(
            kind,
            FAIL,
            f"No {kind} found: none of the audio devices can "
            f"{'record' if kind == 'microphone' else 'play'} sound.",
            NO_DEVICES_FIX,
        )
    if probe is not None:
        try:
            probe(chosen["index"])
        except Exception as e:
            return Check(
                kind,
                FAIL,
                f"{chosen['name']} is there but cannot be opened ({e}).",
                "Another program may be using it, or it does not support mono 16-bit sound; "
                "unplug it and plug it in again, or pick another with `voicecoach devices`.",
            )
    return Check(kind, OK, f"{chosen['name']} (device {chosen['index']})")


def _probe(kind: str) -> Callable[[str | int | None], None]:
    def probe(device: str | int | None) -> None:
        import sounddevice as sd

        if kind == "microphone":
            sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=16000)
        else:
            sd.check_output_settings(device=device, channels=1, dtype="int16")

    return probe


# --- recognizer, speech, database -------------------------------------------------------------


def check_data() -> Check:
    """The exercises, routines and phrases load and pass their checks."""
    from voicecoach.app.data import DataTrouble, load_catalogue_safely, load_phrases

    try:
        loaded = load_catalogue_safely()
        load_phrases(loaded.catalogue)
    except DataTrouble as e:
        return Check("data", FAIL, f"The coach cannot start: {e}")
    if loaded.problem:
        return Check("data", WARN, f"Using the last good copy of the exercises: {loaded.problem}")
    return Check("data", OK, "Exercises, routines and phrases load and pass their checks.")


def check_recognizer(engine: str, model: Path | None) -> Check:
    try:
        from voicecoach.coach.catalogue import load_catalogue
        from voicecoach.hear.engines import describe_choice, open_recognizer
        from voicecoach.hear.vocab import PhraseSource
        from voicecoach.understand.intents import load_intents
    except Exception as e:
        return Check(
            "recognizer",
            FAIL,
            f"The speech recognizer is not available ({e}).",
            "Reinstall voicecoach: pip install --force-reinstall voicecoach.",
        )
    name = None if engine == "auto" else engine
    try:
        phrases = PhraseSource.from_intents(load_intents(None, load_catalogue()))
    except Exception as e:  # the data, not the recognizer: say so (see the data check)
        return Check(
            "recognizer", WARN, f"Not checked: the phrases it listens for are broken ({e})."
        )
    try:
        expected, why = describe_choice(name, model)
        recognizer = open_recognizer(name, model, phrases)
    except Exception as e:
        return Check(
            "recognizer",
            FAIL,
            f"The speech recognizer cannot start: {e}",
            'Set engine = "pocketsphinx" in the config file (it needs no download), or put '
            "an English Vosk model in the models folder (see deploy/README.md).",
        )
    close = getattr(recognizer, "close", None)
    if callable(close):
        close()
    if recognizer.name != expected:
        # Whisper could not load or was too slow here: open_recognizer fell back.
        why = f"fallback: {why} could not be used here (the log says why)"
    return Check("recognizer", OK, f"engine {recognizer.name}: {why}")


def check_speech(voice: str | None, rate: int | None, volume: float | None) -> Check:
    try:
        from voicecoach.voice.speech import open_speaker
    except Exception as e:
        return Check(
            "voice",
            FAIL,
            f"Text-to-speech is not available ({e}).",
            "Install espeak-ng (sudo apt install espeak-ng) and pyttsx3 (pip install pyttsx3).",
        )
    kwargs: dict[str, Any] = {"voice": voice}
    if rate is not None:
        kwargs["rate"] = rate
    if volume is not None:
        kwargs["volume"] = volume
    try:
        speaker = open_speaker(**kwargs)
    except Exception as e:
        return Check(
            "voice",
            FAIL,
            f"The coach cannot speak: {e}",
            "Install espeak-ng: sudo apt install espeak-ng.",
        )
    try:
        clip = speaker.render("Hello, this is your exercise coach.")
        seconds = clip.seconds
    except Exception as e:
        return Check(
            "voice",
            FAIL,
            f"The voice engine started but could not speak: {e}",
            "Install espeak-ng: sudo apt install espeak-ng.",
        )
    finally:
        speaker.close()
    if seconds <= 0:
        return Check(
            "voice",
            FAIL,
            "The voice engine produced no sound.",
            "Install espeak-ng: sudo apt install espeak-ng.",
        )
    which = f"the voice {voice!r}" if voice else "the default voice"
    engine = ENGINE_NAMES.get(type(speaker).__name__, type(speaker).__name__)
    return Check("voice", OK, f"speaks with {which}, using {engine}")


def _writable_dir(path: Path) -> Path | None:
    """The nearest existing folder at or above `path` if it is writable, else None."""
    for folder in (path, *path.parents):
        if folder.exists():
            return folder if os.access(folder, os.W_OK | os.X_OK) else None
    return None


def check_database(db: Path, busy_timeout: float = 2.0) -> Check:
    if not db.exists():
        if _writable_dir(db.parent) is None:
            return Check(
                "database",
                FAIL,
                f"{db} does not exist and its folder is not writable.",
                "Choose another place with db_path in the config file, or --db PATH.",
            )
        return Check("database", OK, f"{db} will be created at the first session")
    try:
        from voicecoach.memory.report import short_date
        from voicecoach.memory.store import Store, StoreError
    except Exception as e:
        return Check(
            "database", FAIL, f"The store is not available ({e}).", "Reinstall voicecoach."
        )
    try:
        with Store.open(db, busy_timeout=busy_timeout) as store:
            sessions = store.sessions()
            warning = store.warning
    except StoreError as e:
        return Check(
            "database",
            FAIL,
            str(e)[:1].upper() + str(e)[1:],
            "Stop the other program using it (`systemctl --user stop voicecoach`), "
            "or point --db at another file.",
        )
    if not os.access(db, os.W_OK):
        return Check(
            "database",
            FAIL,
            f"{db} is read-only, so nothing new would be saved.",
            f"Fix its permissions: chmod u+w {db}",
        )
    if warning:
        return Check(
            "database",
            WARN,
            warning[:1].upper() + warning[1:],
            "Nothing to do now; keep the moved-aside file if you want to recover it.",
        )
    last = f", the last on {short_date(sessions[0].started)}" if sessions else ""
    return Check("database", OK, f"{db}: {len(sessions)} sessions{last}")


# --- running them all -------------------------------------------------------------------------


def guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as e:  # a doctor that crashes helps no one
        return Check(
            name,
            FAIL,
            f"The check itself failed: {type(e).__name__}: {e}",
            "Please report this, with the output of `voicecoach -v doctor`.",
        )


def run_checks(args: argparse.Namespace) -> list[Check]:
    from voicecoach.app.config import ConfigError, Settings, settings_from_args

    try:
        settings = settings_from_args(args)
        where = str(settings.source) if settings.source else "no config file, using defaults"
        checks = [Check("settings", OK, where)]
    except ConfigError as e:
        checks = [
            Check(
                "settings",
                FAIL,
                str(e),
                "Fix that line in the config file; deploy/config.example.toml shows every setting.",
            )
        ]
        settings = Settings(db_path=args.db) if args.db else Settings()
    try:
        device_list = list_audio_devices()
    except Exception as e:  # list_devices promises not to raise; a broken install might
        device_list = []
        checks.append(Check("devices", FAIL, f"Cannot list audio devices: {e}", NO_DEVICES_FIX))
    default_in, default_out = default_devices()
    mic, out = settings.input_device, settings.output_device
    checks += [
        guarded(
            "microphone",
            lambda: check_device("microphone", device_list, mic, _probe("microphone"), default_in),
        ),
        guarded(
            "speaker",
            lambda: check_device("speaker", device_list, out, _probe("speaker"), default_out),
        ),
        guarded("data", check_data),
        guarded("recognizer", lambda: check_recognizer(settings.engine, settings.model_path)),
        guarded("voice", lambda: check_speech(settings.voice, settings.rate, settings.volume)),
        guarded("database", lambda: check_database(settings.db_path)),
    ]
    return checks


def print_checks(checks: list[Check], out: Any = None, width: int = 100) -> None:
    out = out or sys.stdout
    name_w = max(len(c.name) for c in checks)
    indent = " " * (8 + 2 + name_w + 2)
    said: set[str] = set()
    for c in checks:
        lines = [c.message]
        if c.fix and c.status != OK:
            lines.append("How to fix: " + ("see above." if c.fix in said else c.fix))
            said.add(c.fix)
        first = f"{c.status:>8}  {c.name:<{name_w}}  "
        for i, line in enumerate(lines):
            text = textwrap.fill(
                line, width, initial_indent=first if i == 0 else indent, subsequent_indent=indent
            )
            print(text, file=out)
    problems = [c for c in checks if c.status == FAIL]
    if not problems:
        print("\nAll is well: the coach has what it needs.", file=out)
    else:
        n = len(problems)
        print(
            f"\n{n} problem{'s' if n > 1 else ''} found; fix them from the top, then run "
            "`voicecoach doctor` again.",
            file=out,
        )


def run(args: argparse.Namespace) -> int:
    checks = run_checks(args)
    print_checks(checks)
    return 1 if any(c.status == FAIL for c in checks) else 0
