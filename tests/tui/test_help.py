"""The help screen puts the keys of the screen it was opened from first: at 80x24 only its
first table is on screen, and a learner in a lesson asks about the lesson's keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fwlearn.tui.keys import READING
from fwlearn.tui.screens.browser import BrowserScreen
from fwlearn.tui.screens.help import LIST, HelpScreen, help_text
from fwlearn.tui.screens.lesson import LessonScreen


def test_the_lesson_keys_come_first_when_asked_from_a_lesson() -> None:
    lesson_first = help_text(lesson_first=True)
    assert lesson_first.index(READING) < lesson_first.index(LIST)
    browser_first = help_text()
    assert browser_first.index(LIST) < browser_first.index(READING)


async def test_question_mark_opens_the_help_for_the_screen_it_is_on(
    make_app: Callable[..., Any], wait: Any
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait(pilot, lambda: isinstance(app.screen, BrowserScreen))
        await pilot.press("question_mark")
        await wait(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert not app.screen.lesson_first
        await pilot.press("escape")
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(app.screen, LessonScreen))
        await pilot.press("question_mark")
        await wait(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.screen.lesson_first
        await pilot.press("escape")
        await wait(pilot, lambda: isinstance(app.screen, LessonScreen))
