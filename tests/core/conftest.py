"""Fixtures for the core's tests (command line, store): no app, no Textual."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ``FWLEARN_HOME``: progress never leaks between tests or into real data."""
    monkeypatch.setenv("FWLEARN_HOME", str(tmp_path))
    monkeypatch.setenv("FWLEARN_NO_WARM", "1")
    return tmp_path
