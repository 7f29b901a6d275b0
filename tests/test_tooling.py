"""The project's own checks, run with the tests so that neither CI nor a developer can skip
them: ruff (lint, complexity 10, formatting) and mypy (strict on the pure core)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy", "voicecoach")],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_code_passes_its_checks(command: tuple[str, ...]) -> None:
    done = run(*command)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
