"""SVG snapshots of the browser and the lesson screen, narrow (80x24) and wide (160x48).

Regenerate after an intended change: ``pytest tests/tui/test_snapshots.py --snapshot-update``.
Editors never blink (CodePane turns the blink off), so the images are stable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fwlearn.tui.screens.lesson import LessonScreen

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_browser(snap_compare: Any, make_app: Callable[..., Any], size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_lesson_screen(
    snap_compare: Any,
    make_app: Callable[..., Any],
    wait: Any,
    settle: Any,
    size: tuple[int, int],
) -> None:
    async def open_lesson(pilot: Any) -> None:
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
        pilot.app.screen.set_focus(None)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=open_lesson)


def test_lesson_step_explanation(
    snap_compare: Any, make_app: Callable[..., Any], wait: Any, settle: Any
) -> None:
    """80x24 on a step, in reading mode: the explanation (with its pitfall) has the room and
    the focus, the footer lists the one-key commands."""

    async def open_step(pilot: Any) -> None:
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_step)
