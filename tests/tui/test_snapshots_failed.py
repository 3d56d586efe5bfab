"""SVG snapshots of the lesson screen after a failed run (issue 16): the failing line's ✗ in the
gutter, the error summary and the frames (``g``) pinned last in the log, the ✗ in the Keras tab
label at 80 columns; and the same at 80x24 under NO_COLOR, where only glyphs tell states apart.

Regenerate after an intended change: ``pytest tests/tui/test_snapshots_failed.py
--snapshot-update``, and look at the SVGs. The scripted run's clock is frozen so its times
("failed in 0.0 s") are the same on a loaded machine.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any

import pytest

from fwlearn.engine import scripted
from fwlearn.engine.scripted import exception
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.code_pane import CodePane

SIZES = [(80, 24), (160, 48)]
PATH = "/tmp/fwlearn-run-1/work/in_keras.py"
SHAPES = """import numpy as np

def forward(x, w):
    return x @ w

x = np.ones((4, 3))
w = np.ones((2, 1))
print(forward(x, w).shape)
"""
MESSAGE = (
    "matmul: Input operand 1 has a mismatch in its core dimension 0 (size 2 is different from 3)"
)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripted runs take no time: their ``End.wall`` and event times are 0."""
    monkeypatch.setattr(scripted, "time", types.SimpleNamespace(monotonic=lambda: 1000.0))


async def fail_keras(pilot: Any, engine: Any, settle: Any) -> LessonScreen:
    """Open the first lesson, put the shape mistake in the Keras side, run it (F5). No
    animations: the tab underline slides to the relabelled "Keras ✗" on a timer of its own,
    which a loaded machine photographed halfway."""
    pilot.app.animation_level = "none"
    await pilot.press("enter")
    while not isinstance(pilot.app.screen, LessonScreen):
        await pilot.pause(0.05)
    screen = pilot.app.screen
    pane = screen.query_one("#code-keras", CodePane)
    pane.load(SHAPES)
    engine.will_run(
        exception(
            "ValueError",
            MESSAGE,
            [(PATH, 8, "<module>", "print(forward(x, w).shape)"), (PATH, 4, "forward", "x @ w")],
        )
    )
    await pilot.press("f5")
    while screen.runs["keras"].end is None or "keras" in screen.session.active:
        await pilot.pause(0.05)
    screen.set_focus(None)
    # The log's flush timer, the last tick, and the footer: it recomposes after the run's end
    # changed the keys (Esc's "Cancel" leaves), and under load a fixed pause saw it unstyled.
    await settle(pilot)
    return screen


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_lesson_after_a_failed_run(
    snap_compare: Any,
    make_app: Callable[..., Any],
    engine: Any,
    settle: Any,
    frozen_clock: None,
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Any) -> None:
        await fail_keras(pilot, engine, settle)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_lesson_after_a_failed_run_without_colour(
    snap_compare: Any,
    make_app: Callable[..., Any],
    engine: Any,
    settle: Any,
    frozen_clock: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot: Any) -> None:
        await fail_keras(pilot, engine, settle)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


async def test_without_colour_the_failure_still_reads(
    make_app: Callable[..., Any],
    engine: Any,
    settle: Any,
    screen_text: Callable[[Any], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the NO_COLOR snapshot shows, as text: each part of the failure is a glyph or words,
    none only a colour."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fail_keras(pilot, engine, settle)
        assert app.no_color
        text = screen_text(app)
        assert re.search(r"(?<!\d)4✗ +return x @ w", text), text  # the failing line
        assert "Keras ✗" in text  # the tab
        assert "✗ exception (line 4): ValueError: matmul" in text  # the summary
        assert "g steps through: line 4 in forward, line 8 in <module>" in text
        assert "Keras failed" in text  # the status bar, in words
