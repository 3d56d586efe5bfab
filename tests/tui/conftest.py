"""Shared fixtures for the app's tests: a fast numpy-only lesson pack and an app factory.

Every test gets its own ``FWLEARN_HOME`` (a tmp_path), so progress never leaks between tests
or into the developer's real data directory. Warm spares are off: they would import frameworks
in the background and slow the 2-core test machines down for nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwlearn.lessons import load_pack
from fwlearn.store import DB_NAME, Store
from fwlearn.tui.app import FwlearnApp

FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FWLEARN_HOME", str(tmp_path))
    monkeypatch.setenv("FWLEARN_NO_WARM", "1")
    return tmp_path


@pytest.fixture
def make_app(home: Path) -> Callable[..., FwlearnApp]:
    def factory(pack_dir: Path = FIXTURE_PACK, **kwargs: Any) -> FwlearnApp:
        kwargs.setdefault("warm", False)
        return FwlearnApp(load_pack(pack_dir), Store(home / DB_NAME), **kwargs)

    return factory


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds; fail with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)
    await asyncio.sleep(0)


@pytest.fixture
def wait() -> Callable[..., Any]:
    """``await wait(pilot, condition)`` (a fixture: test modules cannot import conftest)."""
    return wait_for
