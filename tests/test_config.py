"""Settings from TOML: defaults, the example file, and messages that name the bad key."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest

from voicecoach.app.cli import main
from voicecoach.app.config import (
    ConfigError,
    Settings,
    add_common_arguments,
    load_settings,
    parse_settings,
    settings_from_args,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "deploy" / "config.example.toml"


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def test_no_file_means_defaults_under_the_xdg_folders(xdg: Path) -> None:
    settings = load_settings()
    assert settings == Settings()
    assert settings.source is None
    assert settings.engine == "auto"
    assert settings.db_path == xdg / "data" / "voicecoach" / "voicecoach.db"


def test_default_file_is_read(xdg: Path) -> None:
    path = xdg / "config" / "voicecoach" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('engine = "pocketsphinx"\nrate = 130\ninput_device = 2\n')
    settings = load_settings()
    assert (settings.engine, settings.rate, settings.input_device) == ("pocketsphinx", 130, 2)
    assert settings.source == path


def test_example_file_is_valid_and_mentions_every_key() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.source == EXAMPLE
    text = EXAMPLE.read_text()
    for key in Settings.__dataclass_fields__:
        if key != "source":
            assert f"{key} =" in text, key
    # Uncommenting every example line must still give valid settings.
    uncommented = "\n".join(
        line.removeprefix("# ") if " = " in line else line for line in text.splitlines()
    )
    data = tomllib.loads(uncommented)
    assert set(data) == set(Settings.__dataclass_fields__) - {"source"}
    full = parse_settings(data, EXAMPLE.parent)
    assert full.voice == "en-gb"
    assert full.db_path == Path.home() / ".local/share/voicecoach/voicecoach.db"


def test_paths_expand_home_and_are_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('model_path = "models/vosk"\ndb_path = "~/coach.db"\n')
    settings = load_settings(path)
    assert settings.model_path == tmp_path.resolve() / "models" / "vosk"
    assert settings.db_path == Path.home() / "coach.db"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('engine = "kaldi"', 'engine must be one of "auto", "whisper", "vosk", "pocketsphinx"'),
        ("rate = 500", "rate must be from 90 to 220 words per minute, got 500"),
        ('rate = "fast"', "rate must be a whole number of words per minute"),
        ("volume = 2", "volume must be from 0.3 to 1.0, got 2"),
        ("end_silence = 0", "end_silence must be from 0.2 to 3.0 seconds"),
        ("input_device = -1", "input_device must be a device number of 0 or more"),
        ("output_device = true", "output_device must be a device number or part of"),
        ("db_path = 3", "db_path must be a file or folder path in quotes"),
        ("voice = 1", "voice must be text in quotes"),
        ("speed = 3", "unknown setting 'speed'; the settings are: db_path, end_silence"),
        ("rate = ", "is not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file_named_on_the_command_line_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="there is no config file at"):
        load_settings(tmp_path / "nope.toml")


def test_db_on_the_command_line_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('db_path = "/somewhere/else.db"\nrate = 120\n')
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    settings = settings_from_args(parser.parse_args(["--config", str(path), "--db", "x.db"]))
    assert (settings.db_path, settings.rate) == (Path("x.db"), 120)
    assert settings_from_args(parser.parse_args([])) == Settings()


def test_config_command_shows_source_and_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('engine = "vosk"\n')
    assert main(["config", "--config", str(path), "--db", "/tmp/x.db"]) == 0
    out = capsys.readouterr().out
    assert f"# settings from {path}" in out
    assert "engine = vosk" in out
    assert "input_device = auto" in out
    assert "db_path = /tmp/x.db   # from --db" in out
    path.write_text("rate = 9\n")
    assert main(["config", "--config", str(path)]) == 2
    assert "rate must be from 90 to 220" in capsys.readouterr().err
