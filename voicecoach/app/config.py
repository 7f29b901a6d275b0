"""Settings from a TOML file, with defaults that suit a first run.

The file lives at $XDG_CONFIG_HOME/voicecoach/config.toml (normally
~/.config/voicecoach/config.toml); `--config PATH` picks another one and `--db PATH`
overrides the database path.  A missing default file is fine (all defaults); a missing
file named with --config, an unknown key or a bad value is a ConfigError whose message
names the key and says what is allowed, because the person fixing it is probably a
carer with a text editor, not a programmer.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from voicecoach.coach.profile import MAX_RATE, MAX_VOLUME, MIN_RATE, MIN_VOLUME

ENGINES = ("auto", "whisper", "vosk", "pocketsphinx")
MIN_END_SILENCE, MAX_END_SILENCE = 0.2, 3.0
DEFAULT_END_SILENCE = 0.8  # as voicecoach.hear.endpoint


class ConfigError(ValueError):
    """The config file is missing, unreadable or holds a bad value (message says which)."""


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def default_config_path() -> Path:
    return config_home() / "voicecoach" / "config.toml"


def default_db_path() -> Path:
    return data_home() / "voicecoach" / "voicecoach.db"


@dataclass(frozen=True)
class Settings:
    """Everything a carer may set in the config file; None means "choose automatically"."""

    input_device: str | int | None = None
    """Microphone: a device index or part of its name (see `voicecoach devices`)."""
    output_device: str | int | None = None
    """Speaker: a device index or part of its name."""
    engine: str = "auto"
    """Recognizer: one of ENGINES."""
    model_path: Path | None = None
    """Recognizer model folder (Vosk); None looks in the usual places."""
    voice: str | None = None
    """espeak-ng voice name, e.g. "en-gb"; None uses the system default."""
    rate: int | None = None
    """Starting speaking rate (words per minute) until the person changes it by voice."""
    volume: float | None = None
    """Starting volume (0.3..1.0) until the person changes it by voice."""
    end_silence: float = DEFAULT_END_SILENCE
    """Seconds of silence that end an utterance."""
    db_path: Path = field(default_factory=default_db_path)
    """SQLite database with the profile and session history."""
    source: Path | None = None
    """The config file these settings came from (None: defaults only)."""


# --- validation: one checker per key, each returns the clean value or raises ----------------


def _device(key: str, value: Any) -> str | int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{key} must be a device number or part of a device name in quotes")
    if isinstance(value, int) and value < 0:
        raise ConfigError(f"{key} must be a device number of 0 or more, got {value}")
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _engine(key: str, value: Any) -> str:
    if value not in ENGINES:
        allowed = ", ".join(f'"{e}"' for e in ENGINES)
        raise ConfigError(f"{key} must be one of {allowed}, got {value!r}")
    return str(value)


def _text(key: str, value: Any) -> str | None:
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be text in quotes, got {value!r}")
    return value.strip() or None


def _number(key: str, value: Any, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key} must be a number from {low} to {high}{unit}, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key} must be from {low} to {high}{unit}, got {value}")
    return float(value)


def _rate(key: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(
            f"{key} must be a whole number of words per minute from {MIN_RATE} to {MAX_RATE},"
            f" got {value!r}"
        )
    return int(_number(key, value, MIN_RATE, MAX_RATE, " words per minute"))


def _path(base: Path) -> Any:
    def check(key: str, value: Any) -> Path | None:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a file or folder path in quotes, got {value!r}")
        if not value.strip():
            return None
        path = Path(os.path.expandvars(value)).expanduser()
        # Relative paths are relative to the config file, not to wherever the service starts.
        return path if path.is_absolute() else base / path

    return check


def _checkers(base: Path) -> dict[str, Any]:
    return {
        "input_device": _device,
        "output_device": _device,
        "engine": _engine,
        "model_path": _path(base),
        "voice": _text,
        "rate": _rate,
        "volume": lambda k, v: _number(k, v, MIN_VOLUME, MAX_VOLUME, ""),
        "end_silence": lambda k, v: _number(k, v, MIN_END_SILENCE, MAX_END_SILENCE, " seconds"),
        "db_path": _path(base),
    }


def parse_settings(data: dict[str, Any], base: Path, source: Path | None = None) -> Settings:
    """Validate a parsed TOML table into Settings; relative paths are taken from `base`."""
    checkers = _checkers(base)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in checkers:
            known = ", ".join(sorted(checkers))
            raise ConfigError(f"unknown setting {key!r}; the settings are: {known}")
        clean = checkers[key](key, value)
        if clean is not None:
            values[key] = clean
    return Settings(**values, source=source)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read the config file at `path`, or the default one if it exists, else all defaults."""
    explicit = path is not None
    file = Path(path).expanduser() if path is not None else default_config_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"there is no config file at {file}") from None
        return Settings()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the config file {file}: {e}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"the config file {file} is not valid TOML: {e}") from None
    try:
        return parse_settings(data, file.parent.resolve(), source=file)
    except ConfigError as e:
        raise ConfigError(f"{file}: {e}") from None


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """--config and --db, for every command that reads settings or touches the store."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        help=f"settings file (default {default_config_path()})",
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        help=f"database file (default: db_path from the settings, else {default_db_path()})",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings for a command parsed with add_common_arguments; --db wins over the file."""
    settings = load_settings(getattr(args, "config", None))
    db = getattr(args, "db", None)
    if db is not None:
        settings = replace(settings, db_path=Path(db).expanduser())
    return settings


def describe(settings: Settings) -> list[tuple[str, str]]:
    """(key, value) pairs for display, "auto" where the value is chosen at run time."""
    rows = []
    for f in fields(settings):
        if f.name == "source":
            continue
        value = getattr(settings, f.name)
        rows.append((f.name, "auto" if value is None else str(value)))
    return rows
