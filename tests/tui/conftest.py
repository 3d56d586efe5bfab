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
from textual.app import App
from textual.errors import NoWidget
from textual.geometry import Region

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


def render_screen_text(app: App[Any]) -> str:
    """The current screen as plain text, one line per terminal row, built only on public API.

    Tests assert on what a learner sees, so they need the painted cells, not widget state.
    ``Screen.get_widget_at`` says which widget is on top at each cell and
    ``Widget.render_lines`` gives that widget's row; each run of cells owned by one widget is
    cut from its row with ``Strip.crop`` (in cells, so wide characters stay whole). This is what
    the compositor paints, without reaching into ``Screen._compositor``; an SVG screenshot
    (``App.export_screenshot``) would need parsing back and loses spacing.
    """
    screen = app.screen
    width, height = app.size
    rows: list[str] = []
    for y in range(height):
        cells: list[str] = []
        x = 0
        while x < width:
            try:
                widget, region = screen.get_widget_at(x, y)
            except NoWidget:
                cells.append(" ")
                x += 1
                continue
            end = x + 1
            right = min(width, region.right)
            while end < right and screen.get_widget_at(end, y)[0] is widget:
                end += 1
            strip = widget.render_lines(Region(0, y - region.y, region.width, 1))[0]
            cells.append(strip.crop(x - region.x, end - region.x).text)
            x = end
        rows.append("".join(cells))
    return "\n".join(rows)


@pytest.fixture
def screen_text() -> Callable[[App[Any]], str]:
    """``screen_text(app)``: the screen as a learner reads it (see ``render_screen_text``)."""
    return render_screen_text


def _record_notifications(app: Any) -> list[str]:
    """Every notification from now on, as "title: message", by wrapping the public
    ``App.notify`` (Textual's own list forgets a toast when it expires, and a loaded test
    machine can take longer than a toast's few seconds)."""
    said: list[str] = []
    notify = app.notify

    def recording(message: str, **kwargs: Any) -> None:
        said.append(f"{kwargs.get('title', '')}: {message}")
        notify(message, **kwargs)

    app.notify = recording
    return said


@pytest.fixture
def notifications() -> Callable[[Any], list[str]]:
    """``said = notifications(app)`` before ``run_test``: the list fills as the app notifies."""
    return _record_notifications
