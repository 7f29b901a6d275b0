"""The matcher's tables (every template sentence expanded and normalised) are made once and
kept in the cache: a start reads them back unchanged, and a damaged file is made again."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from voicecoach.understand import intents as intents_module
from voicecoach.understand.intents import build_tables, tables_for


def test_cached_tables_read_back_as_made(intent_set, tmp_path, monkeypatch):
    monkeypatch.setattr(intents_module, "_TABLES", {})
    made = tables_for(intent_set, tmp_path)
    assert made == build_tables(intent_set)
    (cached,) = tmp_path.glob("intent-tables-*.npz")
    monkeypatch.setattr(intents_module, "_TABLES", {})
    monkeypatch.setattr(intents_module, "build_tables", None)  # must not be needed
    assert tables_for(intent_set, tmp_path) == made
    assert made.exact("what is next") == "next"
    assert made.exact("what is next please love") is None
    assert made.not_command("what is for tea") == (
        "what is for tea" in set(intent_set.sentences("none", 10_000))
    )
    assert "cant_lie_down" in made.refusals


def test_a_damaged_cache_file_is_made_again(intent_set, tmp_path, monkeypatch):
    monkeypatch.setattr(intents_module, "_TABLES", {})
    made = tables_for(intent_set, tmp_path)
    (cached,) = tmp_path.glob("intent-tables-*.npz")
    cached.write_bytes(cached.read_bytes()[:1000])
    monkeypatch.setattr(intents_module, "_TABLES", {})
    assert tables_for(intent_set, tmp_path) == made
    assert tables_for(intent_set, tmp_path / "missing" / "deeper") == made


def test_the_cache_key_is_the_same_in_every_process(intent_set):
    """Sets print in a different order in each process (string hashing is salted): a key
    built from one would never find yesterday's file."""
    code = (
        "from voicecoach.coach.catalogue import load_catalogue\n"
        "from voicecoach.understand.intents import _tables_key, load_intents\n"
        "print(_tables_key(load_intents(None, load_catalogue())))\n"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(keys) == 1
    assert keys == {intents_module._tables_key(intent_set)}


def test_derived_files_unused_for_a_month_go_when_a_new_one_is_made(tmp_path):
    from voicecoach.hear.cache import STALE_DAYS, mark_used, prune

    old, recent, other, new = (tmp_path / n for n in ("m-old", "m-recent", "x-old", "m-new"))
    for path in (old, recent, other, new):
        path.write_bytes(b"derived")
    month = STALE_DAYS * 86400
    for path in (old, other, new):
        os.utime(path, (time.time() - month - 60,) * 2)
    os.utime(recent, (time.time() - month + 3600,) * 2)
    mark_used(new)  # the one just used is never stale
    assert prune(tmp_path, "m-*", keep=new) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-new", "m-recent", "x-old"]
    # The one being kept goes nowhere even when it is old.
    os.utime(new, (time.time() - month - 60,) * 2)
    assert prune(tmp_path, "m-*", keep=new) == []
