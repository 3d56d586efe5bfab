"""HelpScreen: every key, in one place, for learners without a mouse."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from fwlearn.tui.keys import EDITING, LESSON_KEYS, READING, KeyRow, binding_rows, help_table
from fwlearn.tui.screens.browser import BrowserScreen

LIST = "Lesson list"
# Keys Textual's widgets and the app handle on the lesson list: no screen binding names them.
LIST_EXTRA = (
    KeyRow("choose a lesson", (LIST,), keys="↑ ↓"),
    KeyRow("command palette (every action, searchable)", (LIST,), keys="Ctrl+P"),
)
READING_NOTE = "Letters are commands; nothing you type goes into the code."
FOOTNOTE = """\
Your edits are saved as you type and come back after a restart.
A lesson is **done** while its exercise check passes: both sides ran successfully and the check
passed. A later run whose check fails (or resetting code that passed) makes it not done again.
"""


def help_text(lesson_first: bool = False) -> str:
    """The help, generated from the screens' bindings (``keys.LESSON_KEYS`` for the lesson).
    ``lesson_first``: opened from a lesson, whose keys are what the learner is looking for."""
    listed = [*LIST_EXTRA, *binding_rows(_bindings(BrowserScreen.BINDINGS), LIST)]
    lesson = [
        f"## {READING}\n{READING_NOTE}\n\n{help_table(LESSON_KEYS, READING)}",
        f"## {EDITING}\n{help_table(LESSON_KEYS, EDITING)}",
    ]
    browser = [f"## {LIST}\n{help_table(listed, LIST)}"]
    sections = [*lesson, *browser] if lesson_first else [*browser, *lesson]
    return "\n\n".join(["# fwlearn keys", *sections, FOOTNOTE])


def _bindings(bindings: list[BindingType]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding)]


class HelpScreen(ModalScreen[None]):
    """Keys and what "done" means; Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close")
    ]

    def __init__(self, lesson_first: bool = False) -> None:
        super().__init__()
        self.lesson_first = lesson_first

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Markdown(help_text(self.lesson_first))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
