"""SVG snapshot of the solution view at 80x24: the Keras side's diff against an edited editor.

Regenerate after an intended change: ``pytest tests/tui/test_snapshot_solution.py
--snapshot-update``, and look at the SVG.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.screens.solution import SolutionScreen
from fwlearn.tui.widgets.code_pane import CodePane


def test_solution_view(
    snap_compare: Any, make_app: Callable[..., Any], wait: Any, settle: Any
) -> None:
    async def open_solution(pilot: Any) -> None:
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
        screen = pilot.app.screen
        screen.set_focus(None)
        pane = screen.query_one("#code-keras", CodePane)
        pane.load(pane.text.replace("EPOCHS = 2", "EPOCHS = 3"))
        await pilot.press("s", "y")
        await wait(pilot, lambda: isinstance(pilot.app.screen, SolutionScreen))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_solution)
