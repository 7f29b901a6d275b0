"""Shared fixtures: the real catalogue, phrase data and matcher, loaded once."""

from __future__ import annotations

import pytest

from voicecoach.coach.catalogue import Catalogue, load_catalogue
from voicecoach.understand.intents import IntentSet, Matcher, load_intents


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def intent_set(catalogue: Catalogue) -> IntentSet:
    return load_intents(None, catalogue)


@pytest.fixture(scope="session")
def matcher(intent_set: IntentSet) -> Matcher:
    return Matcher(intent_set)
