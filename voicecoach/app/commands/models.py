"""`voicecoach models [list | download [NAME] | prepare]`: speech models on this machine."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

HELP = (
    "show the speech-recognition models, download a Vosk model into models/, or prepare "
    "the Whisper model's int8 copy"
)

DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
BASE_URL = "https://alphacephei.com/vosk/models/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", nargs="?", choices=("list", "download", "prepare"), default="list"
    )
    parser.add_argument(
        "name",
        nargs="?",
        default=DEFAULT_MODEL,
        help=f"model to download (default {DEFAULT_MODEL})",
    )
    parser.add_argument("--dir", type=Path, help="models folder (default: models/)")


def run(args: argparse.Namespace) -> int:
    from voicecoach.hear.engines import models_dir

    root = args.dir or models_dir()
    if args.action == "download":
        return download(args.name, root)
    if args.action == "prepare":
        return prepare()
    return show(root)


def prepare() -> int:
    """Make (or check) the int8 copy of the Whisper model now, so the first start of the
    coach does not; install.sh runs it."""
    from voicecoach.hear.engine_whisper import find_model
    from voicecoach.hear.whisper_int8 import STORED_INT8, int8_model

    path, problem = find_model()
    if problem or path is None:
        print(f"Whisper: {problem}.", file=sys.stderr)
        return 1
    folder, stored = int8_model(path)
    print(f"Whisper tiny.en: {stored}: {folder}")
    return 0 if folder != path or stored == STORED_INT8 else 1


def show(root: Path) -> int:
    from voicecoach.hear.engines import describe_choice, find_vosk_model, is_vosk_model

    folders = sorted(p for p in root.iterdir() if is_vosk_model(p)) if root.is_dir() else []
    if folders:
        print(f"Vosk models in {root}/:")
        for p in folders:
            print(f"  {p.name}")
    else:
        print(f"No Vosk model in {root}/.")
    print("PocketSphinx: built in (US English, inside the pocketsphinx package).")
    _, why = describe_choice(None, find_vosk_model(root))
    print(f"The coach will use: {why}.")
    return 0


def _progress(done: int, total: int) -> None:
    if total > 0:
        width = 40
        filled = int(width * done / total)
        print(
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {done / 1e6:5.1f} / "
            f"{total / 1e6:.1f} MB",
            end="",
            file=sys.stderr,
            flush=True,
        )
    else:
        print(f"\r  {done / 1e6:5.1f} MB", end="", file=sys.stderr, flush=True)


def offline_help(name: str, root: Path) -> str:
    return (
        f"Could not download {name}. This computer seems to be offline (or the model site is "
        f"down). On a computer with internet, download {BASE_URL}{name}.zip, unzip it, and "
        f"copy the folder {name}/ into {root.resolve()}/ (a USB stick will do). Until then "
        "the coach uses PocketSphinx, which is built in."
    )


def download(name: str, root: Path) -> int:
    import urllib.error
    import urllib.request

    target = root / name
    if target.exists():
        print(f"{target} is already there.")
        return verify(target)
    root.mkdir(parents=True, exist_ok=True)
    url = f"{BASE_URL}{name}.zip"
    print(f"Downloading {url}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="voicecoach-model-", dir=root) as tmp:
        archive = Path(tmp) / f"{name}.zip"
        try:
            with urllib.request.urlopen(url, timeout=30) as response, archive.open("wb") as out:
                total = int(response.headers.get("Content-Length") or 0)
                done = 0
                while block := response.read(1 << 16):
                    out.write(block)
                    done += len(block)
                    _progress(done, total)
            print(file=sys.stderr)
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            print(file=sys.stderr)
            print(f"{offline_help(name, root)}\n(the error was: {e})", file=sys.stderr)
            return 1
        try:
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)
        except zipfile.BadZipFile:
            print(f"The download of {name} is damaged; please try again.", file=sys.stderr)
            return 1
        unpacked = Path(tmp) / name
        if not unpacked.is_dir():
            print(f"The archive did not contain a folder {name}/.", file=sys.stderr)
            return 1
        shutil.move(str(unpacked), target)
    return verify(target)


def verify(path: Path) -> int:
    from voicecoach.hear.engines import is_vosk_model

    if not is_vosk_model(path):
        print(f"{path} does not look like a Vosk model (no am/ conf/ graph/).", file=sys.stderr)
        return 1
    try:
        import vosk

        vosk.SetLogLevel(-1)
        vosk.Model(str(path))
    except Exception as e:  # noqa: BLE001 - any failure to load means the same to the user
        print(f"{path} is there but does not load: {e}", file=sys.stderr)
        return 1
    print(f"{path} loads. The coach will now use Vosk.")
    return 0
