"""The coach's data (exercises, routines, phrases), loaded so that a broken file never ends
in a traceback: it is named, with its line where the parser knows it and the fix, and the
coach carries on with the last good copy of the catalogue where that is safe.

The last good copy is the exercises and routines that last loaded and passed every check,
kept under the data folder (`last-good/`); it passed the same checks, so using it is as safe
as the day it was written.  The phrases (intents/) have no such copy: broken phrases stop
the coach with the reason, spoken and printed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from voicecoach.app.config import data_home
from voicecoach.coach.catalogue import (
    EXERCISES_FILE,
    ROUTINES_FILE,
    Catalogue,
    CatalogueError,
    load_catalogue,
)

log = logging.getLogger(__name__)

FIX = (
    "Fix the file as the message says (docs/catalogue.md describes it), or reinstall "
    "voicecoach to get the packaged data back: pip install --force-reinstall voicecoach"
)


class DataTrouble(RuntimeError):
    """The coach's data cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class LoadedCatalogue:
    catalogue: Catalogue
    problem: str | None = None
    """Set when the packaged data was broken and the last good copy is in use."""


def last_good_dir() -> Path:
    return data_home() / "voicecoach" / "last-good"


def packaged_path(name: str) -> str:
    return str(resources.files("voicecoach.data").joinpath(name))


def load_catalogue_safely(
    last_good: Path | None = None, source: Path | None = None
) -> LoadedCatalogue:
    """The catalogue in `source` (a folder; None: the packaged one); if it is broken, the
    last good copy (raises DataTrouble if there is none).  A catalogue that loads is kept
    as the new last good copy."""
    last_good = last_good_dir() if last_good is None else last_good
    try:
        if source is None:
            catalogue = load_catalogue()
        else:
            catalogue = load_catalogue(source / EXERCISES_FILE, source / ROUTINES_FILE)
    except CatalogueError as err:
        where = Path(packaged_path(EXERCISES_FILE)).parent if source is None else source
        problem = f"the exercise data is broken: {err} (in {where}/). {FIX}"
        log.error("%s", problem)
        try:
            catalogue = load_catalogue(last_good / EXERCISES_FILE, last_good / ROUTINES_FILE)
        except CatalogueError as err2:
            raise DataTrouble(f"{problem}. No good copy to fall back on ({err2}).") from err
        log.warning("using the last good copy of the exercises from %s", last_good)
        return LoadedCatalogue(catalogue, problem)
    _keep_last_good(last_good, source)
    return LoadedCatalogue(catalogue)


def _keep_last_good(folder: Path, source: Path | None) -> None:
    """Copy the files that just loaded; best effort (a full disk must not stop us)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in (EXERCISES_FILE, ROUTINES_FILE):
            data = (
                resources.files("voicecoach.data").joinpath(name).read_bytes()
                if source is None
                else (source / name).read_bytes()
            )
            target = folder / name
            if not target.exists() or target.read_bytes() != data:
                tmp = target.with_suffix(".tmp")
                tmp.write_bytes(data)
                tmp.replace(target)  # atomic: a half-written copy is never "good"
    except OSError as err:
        log.debug("could not keep a copy of the exercises: %s", err)


def load_phrases(catalogue: Catalogue):  # -> IntentSet
    """The packaged phrases and intent flags; DataTrouble naming the file if broken."""
    try:
        from voicecoach.understand.flags import FlagDataError, load_flags
        from voicecoach.understand.intents import IntentDataError, load_intents

        load_flags()
        return load_intents(None, catalogue)
    except UnicodeDecodeError as err:
        raise DataTrouble(
            f"the phrase data is not UTF-8 text ({err.reason} at byte {err.start}) in "
            f"{resources.files('voicecoach.phrases')}/; save it as UTF-8. {FIX}"
        ) from err
    except (IntentDataError, FlagDataError) as err:
        raise DataTrouble(
            f"the phrase data is broken: {err} (in {resources.files('voicecoach.phrases')}/). {FIX}"
        ) from err
