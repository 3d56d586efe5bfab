"""Shared fixtures for the app's tests: a fast numpy-only lesson pack, an app factory and a
scripted engine.

Every test gets its own ``FWLEARN_HOME`` (a tmp_path), so progress never leaks between tests
or into the developer's real data directory. Warm spares are off: they would import frameworks
in the background and slow the 2-core test machines down for nothing.

Runs go to a scripted engine (``fwlearn.engine.scripted``) unless a test asks for the real one
(``make_app(real_engine=True)``, marked ``slow``): a real run of the fixture pack costs a
sandboxed child process, 2-5 s of a Pilot test on 2 cores, where the scripted one yields the
same events at once. ``fixture_pack_script`` is what the fixture pack's programs print and
report; ``test_fake_engine.py`` checks it against real runs of those programs.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.errors import NoWidget
from textual.geometry import Region

from fwlearn.engine import RunSpec
from fwlearn.engine.scripted import (
    HOLD,
    ScriptedEngine,
    ScriptItem,
    epoch,
    fact,
    predictions,
    printed,
)
from fwlearn.lessons import load_pack
from fwlearn.store import DB_NAME, Store
from fwlearn.tui.app import FwlearnApp

FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FWLEARN_HOME", str(tmp_path))
    monkeypatch.setenv("FWLEARN_NO_WARM", "1")
    return tmp_path


# What 01-basics reports (report_predictions([[0.1, 0.2], [0.3, 0.4]], [1, 0], [1, 1])).
BASICS_PREDICTIONS = [
    {"input": [0.1, 0.2], "predicted": 1, "actual": 1},
    {"input": [0.3, 0.4], "predicted": 0, "actual": 1},
]
SLOW_LINES_BEFORE_HOLD = 4  # 02-slow prints a step every 50 ms; the script waits after these


def fixture_pack_script(spec: RunSpec) -> list[ScriptItem]:
    """What a fixture-pack program prints and reports, read from the numbers tests edit.

    01-basics (``EPOCHS = n``): "data ready", then per epoch a line and (unless its ``report``
    call was edited out) the train and val metrics, then the ``epochs`` fact and predictions.
    02-slow (``STEPS = n``): "step i" lines; past the first four the run holds, as the real
    one keeps printing for a minute, until the test releases or cancels it. Any other code
    prints nothing and ends ok: a test scripts it with ``engine.will_run``.
    """
    source = spec.source or ""
    steps = re.search(r"^STEPS = (\d+)", source, re.MULTILINE)
    if steps:
        count = int(steps[1])
        items: list[ScriptItem] = [printed(f"step {i}") for i in range(count)]
        if count > SLOW_LINES_BEFORE_HOLD:
            items.insert(SLOW_LINES_BEFORE_HOLD, HOLD)
        return [*items, fact("steps", count)]
    epochs = re.search(r"^EPOCHS = (\d+)", source, re.MULTILINE)
    if not epochs:
        return []
    items = [printed("data ready")]
    for number in range(1, int(epochs[1]) + 1):
        loss = 1.0 / number
        items.append(printed(f"epoch {number} loss {loss:.4f}"))
        if "    report(epoch=epoch" in source:
            items += epoch(
                number, loss=loss, accuracy=1 - loss / 2, val_loss=loss, val_accuracy=0.5
            )
    return [*items, fact("epochs", int(epochs[1])), predictions(BASICS_PREDICTIONS)]


@pytest.fixture
def engine() -> ScriptedEngine:
    """The scripted engine ``make_app`` gives the app: ``engine.will_run(...)`` scripts the
    next run, ``engine.runs`` are the runs started (``release()``/``cancel()`` pace them)."""
    return ScriptedEngine(fixture_pack_script)


@pytest.fixture
def make_app(home: Path, engine: ScriptedEngine) -> Callable[..., FwlearnApp]:
    def factory(
        pack_dir: Path = FIXTURE_PACK, *, real_engine: bool = False, **kwargs: Any
    ) -> FwlearnApp:
        kwargs.setdefault("warm", False)
        if not real_engine:
            kwargs.setdefault("engine", engine)
        return FwlearnApp(load_pack(pack_dir), Store(home / DB_NAME), **kwargs)

    return factory


POLL = 0.02  # between two looks at a condition: threads and child processes need the CPU too


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds; fail with a clear message otherwise.

    Each look follows a refresh (``pilot.pause()``: the screen's pending messages processed),
    so a condition on what is painted sees the latest frame; ``timeout`` is only the limit."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(POLL)
        await pilot.pause()


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


STILL_FOR = 0.35  # the slowest redraw that can follow a key: the chart's timer (0.25 s)


async def settle_screen(pilot: Any, timeout: float = 20.0) -> None:
    """Let the app run until the painted screen holds still: no animation scheduled and the
    same text in every frame for ``STILL_FOR`` seconds. What a snapshot waits for after a
    key, instead of a fixed pause: Markdown mounts, the footer's rebuild after the bindings
    change, the log's flush and the chart's redraw all come a little later, and later still on
    a loaded machine, where a fixed pause photographed them half done."""
    deadline = time.monotonic() + timeout
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    shown, since = render_screen_text(pilot.app), time.monotonic()
    while time.monotonic() - since < STILL_FOR:
        if time.monotonic() > deadline:
            raise AssertionError(f"the screen kept changing for {timeout} s")
        await asyncio.sleep(POLL)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        now = render_screen_text(pilot.app)
        if now != shown:
            shown, since = now, time.monotonic()


@pytest.fixture
def settle() -> Callable[..., Any]:
    """``await settle(pilot)`` before a snapshot (see ``settle_screen``)."""
    return settle_screen


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
