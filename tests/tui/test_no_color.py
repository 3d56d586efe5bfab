"""NO_COLOR: the app turns colour off and stays usable (series told apart by markers)."""

from __future__ import annotations

import pytest
from textual.filter import Monochrome, NoColor

from fwlearn.tui.screens.lesson import LessonScreen


async def test_no_color_strips_colour_and_the_lesson_still_opens(
    make_app, wait, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.no_color
        assert any(isinstance(f, (NoColor, Monochrome)) for f in app.get_line_filters())
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(app.screen, LessonScreen))
