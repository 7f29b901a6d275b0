"""`voicecoach run` (also plain `voicecoach`): the coach, hands-free."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HELP = "start the coach: listen on the microphone, speak on the speaker"

log = logging.getLogger("voicecoach")

#: Silence after which a short utterance is read early, so "it hurts" or "I've fallen" is
#: answered without waiting for the whole end-of-speech silence (slow speakers keep theirs:
#: only a safety word acts on the early reading).
EARLY_SILENCE = 0.3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from voicecoach.app.config import add_common_arguments

    add_common_arguments(parser)
    parser.add_argument(
        "--audio-in",
        type=Path,
        metavar="FILE.wav",
        help="read what the person says from a WAV file instead of the microphone",
    )
    parser.add_argument(
        "--audio-out",
        type=Path,
        metavar="FILE.wav",
        help="write everything the coach says, and every tone, to a WAV file",
    )
    parser.add_argument(
        "--log",
        type=Path,
        metavar="FILE.jsonl",
        help="write what was heard and every action, with times",
    )
    parser.add_argument(
        "--engine",
        choices=["auto", "whisper", "vosk", "pocketsphinx"],
        help="recognizer (auto: Whisper if it runs here, else PocketSphinx)",
    )
    parser.add_argument("--model", type=Path, metavar="PATH", help="Vosk model folder")
    parser.add_argument("--input-device", metavar="NAME|INDEX", help="microphone")
    parser.add_argument("--output-device", metavar="NAME|INDEX", help="speaker")
    parser.add_argument("--routine", metavar="ID", help="start this routine straight away")
    parser.add_argument(
        "--end-silence",
        type=float,
        metavar="SECONDS",
        help="silence that ends an utterance (longer for slow speech)",
    )
    parser.add_argument("--no-db", action="store_true", help="remember nothing from this session")


def _device(value: str | int | None) -> str | int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def run(args: argparse.Namespace) -> int:
    from voicecoach.app import heap

    # Before any thread allocates (the model's worker, the listener): one glibc arena.
    heap.limit_arenas()
    from voicecoach.app.config import ConfigError, settings_from_args

    try:
        settings = settings_from_args(args)
    except ConfigError as err:
        print(f"voicecoach: {err}", file=sys.stderr)
        return 2
    # First thing: a SIGTERM while the models load must end in a clean exit too.
    previous = _install_sigterm()
    try:
        return _run(args, settings)
    except _Terminated:
        log.info("stopped by SIGTERM while starting")
        return 0
    except _Trouble as trouble:
        print(f"voicecoach: {trouble}", file=sys.stderr)
        log.error("%s", trouble)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


class _Trouble(RuntimeError):
    """A plain-language reason the coach cannot start."""


class _Terminated(BaseException):
    """SIGTERM (systemd stopping the service, a shutdown): end the session cleanly."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def _install_sigterm() -> object | None:
    """SIGTERM ends the session like Ctrl-C does; None when not on the main thread."""
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding caller): leave signals alone
        return None


@contextmanager
def _signals_held() -> Iterator[None]:
    """While closing, a second SIGTERM or Ctrl-C must not cut the closing short."""
    try:
        saved = (signal.signal(signal.SIGTERM, signal.SIG_IGN),
                 signal.signal(signal.SIGINT, signal.SIG_IGN))  # fmt: skip
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, saved[0])
        signal.signal(signal.SIGINT, saved[1])


def _run(args: argparse.Namespace, settings) -> int:  # noqa: C901 - wiring, read top to bottom
    from voicecoach.app.data import DataTrouble, load_catalogue_safely, load_phrases
    from voicecoach.app.session import start_session
    from voicecoach.coach import script
    from voicecoach.coach.unclear import UnclearTalk
    from voicecoach.hear.engines import open_with_fallback
    from voicecoach.hear.level import Levelled
    from voicecoach.hear.recognizer import RecognizerUnavailable
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.intents import Matcher
    from voicecoach.understand.rejection import understand
    from voicecoach.voice import tones
    from voicecoach.voice.speech import SpeechError, open_speaker

    try:
        loaded = load_catalogue_safely()
        intents = load_phrases(loaded.catalogue)
    except DataTrouble as err:
        _say_alone(args, settings, script.DATA_BROKEN)
        raise _Trouble(str(err)) from err
    # Only now: the runtime reads the intent flags as it is imported.
    from voicecoach.app.runtime import EventLog, Runtime

    catalogue = loaded.catalogue
    if args.routine and args.routine not in catalogue.routines:
        raise _Trouble(f"unknown routine '{args.routine}' (known: {', '.join(catalogue.routines)})")
    matcher = Matcher(intents)
    engine = args.engine or settings.engine
    try:
        recognizer, fell_back = open_with_fallback(
            None if engine == "auto" else engine,
            args.model or settings.model_path,
            PhraseSource.from_intents(intents),
        )
    except RecognizerUnavailable as err:
        raise _Trouble(str(err)) from err
    db = None if args.no_db else settings.db_path
    warnings = ((script.DATA_FALLBACK,) if loaded.problem else ()) + (
        (script.ENGINE_FALLBACK,) if fell_back else ()
    )
    # Spoken: talk not meant for the coach (a TV, a phone call) gets no "sorry" each time.
    coach, recorder = start_session(
        catalogue,
        db,
        args.routine,
        settings.rate,
        settings.volume,
        warnings=warnings,
        unclear=UnclearTalk(),
    )
    try:
        out = _open_output(args, settings)
    except (_Trouble, _Terminated):
        recorder.close("terminated" if sys.exc_info()[0] is _Terminated else "error")
        raise
    try:
        # The resolved profile (config, then what the person said last time) opens the
        # speaker, so the voice heard is the one the coach believes it has.
        speaker = open_speaker(settings.voice, coach.profile.rate, coach.profile.volume)
    except SpeechError as err:
        out.close()
        recorder.close("error")
        raise _Trouble(f"no voice: {err}. Check that espeak-ng is installed.") from err
    except _Terminated:
        out.close()
        recorder.close("terminated")
        raise
    events = EventLog(args.log)

    def cue(name: str):
        # Cues follow the speaking volume, so "quieter" quietens them too.
        return tones.tone(name, volume=speaker.volume)

    runtime = Runtime(coach, matcher, speaker, out, cue, understand, events, recorder)
    if args.audio_in is not None and args.audio_out is not None:
        # A file played faster than real time is timed by its own audio, so history says
        # how long the session really took.
        recorder.follow(lambda: runtime.emitted_at)
    end_silence = args.end_silence or settings.end_silence
    # Shouted, clipped speech is declipped and turned down before the recognizer.  A short
    # utterance is also read early, after EARLY_SILENCE: a safety word acts on that reading.
    stream = Levelled(recognizer).stream(
        end_silence=end_silence, early_silence=min(EARLY_SILENCE, end_silence / 2)
    )
    reason: str | None = "error"  # unless the run says otherwise
    try:
        if args.audio_in is not None:
            from voicecoach.hear.audio import WavStream

            try:  # the header is checked now; the audio is read as it is needed
                chunks = WavStream(args.audio_in)
            except ValueError as err:
                raise _Trouble(f"cannot read {args.audio_in}: {err}") from err
            runtime.run_file(chunks, stream, pace=args.audio_out is None)
        else:
            from voicecoach.hear.audio import MicrophoneSource, NoInputDevice

            device = _device(args.input_device or settings.input_device)
            try:  # fail early and plainly when there is no microphone at all
                MicrophoneSource(device).close()
            except NoInputDevice as err:
                _say_trouble(runtime, str(err))
                raise _Trouble(str(err)) from err
            runtime.run_live(lambda: MicrophoneSource(device), stream)
        reason = "interrupted"  # only used if the coach did not end the session itself
    except KeyboardInterrupt:
        log.info("stopped by Ctrl-C")
        reason = "interrupted"
    except _Terminated:
        log.info("stopped by SIGTERM: closing the session")
        reason = "terminated"
    finally:
        with _signals_held():
            # The session's end and everything queued are written, the WAV rendered.
            recorder.close(None if runtime.ended else reason, timeout=5.0)
            events.close()
            out.close()
            speaker.close()
    return 0


def _open_output(args: argparse.Namespace, settings):
    from voicecoach.voice.playback import NoOutputDevice, SoundDeviceOut, WavTimelineOut

    if args.audio_out is not None:
        return WavTimelineOut(args.audio_out)
    try:
        return SoundDeviceOut(_device(args.output_device or settings.output_device))
    except NoOutputDevice as err:
        raise _Trouble(f"{err} (or write the coach's voice to a file with --audio-out)") from err


def _say_alone(args: argparse.Namespace, settings, message: str) -> None:
    """Say why the coach cannot start, before there is a runtime: on the speaker (or the
    --audio-out file), since the person may be nowhere near a screen."""
    try:
        from voicecoach.voice.speech import open_speaker

        out = _open_output(args, settings)
        try:
            speaker = open_speaker(settings.voice, settings.rate or 150, settings.volume or 0.8)
            out.play(speaker.render(message), out.busy_until())
            speaker.close()
        finally:
            out.close()
    except Exception as err:  # no speaker either: the message is printed all the same
        log.debug("could not speak the error: %s", err)


def _say_trouble(runtime, message: str) -> None:
    """Say what is wrong on the speaker too: the person may not be near a screen."""
    try:
        runtime.out.play(runtime.speaker.render(message), runtime.out.busy_until())
    except Exception as err:  # the speaker may be the trouble too; the message is printed
        log.debug("could not speak the error: %s", err)
