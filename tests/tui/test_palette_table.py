"""The lesson's command palette entries are a table of action strings (``keys.LESSON_PALETTE``):
each must name an action the lesson screen has, or choosing it would do nothing."""

from __future__ import annotations

from fwlearn.tui.keys import LESSON_BINDINGS, LESSON_PALETTE
from fwlearn.tui.screens.lesson import LessonScreen


def action_name(action: str) -> str:
    return action.split("(", 1)[0]


def test_every_palette_entry_runs_an_action_of_the_lesson_screen() -> None:
    missing = [
        command.title
        for command in LESSON_PALETTE
        if not callable(getattr(LessonScreen, f"action_{action_name(command.action)}", None))
    ]
    assert not missing


def test_every_lesson_key_runs_an_action_of_the_lesson_screen() -> None:
    missing = [
        binding.key
        for binding in LESSON_BINDINGS
        if not binding.action.startswith("app.")
        and not callable(getattr(LessonScreen, f"action_{action_name(binding.action)}", None))
    ]
    assert not missing
