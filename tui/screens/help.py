"""HelpScreen: every key, in one place, for learners without a mouse."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# fwlearn keys

## Lesson list
| key | does |
|---|---|
| ↑ ↓ / j k | choose a lesson |
| Enter | open it |
| c | continue where you left off |
| ? | this help |
| q | quit |
| Ctrl+P | command palette (every action, searchable) |

## Lesson
| key | does |
|---|---|
| F5 / F6 / F7 | run Keras / run PyTorch / run both |
| Esc | cancel running side(s); in an editor with nothing running: leave the editor |
| Ctrl+C | cancel the run of the side you are editing (copies when nothing runs) |
| Ctrl+↓ / F3, Ctrl+↑ / F2 | next / previous step: both editors jump to it |
| Tab | move between the editors and panels |
| Ctrl+T | narrow terminals: next tab (Keras, PyTorch, Results) |
| F8 | results: Chart, Compare, Predictions, Exercise |
| h | show the exercise hint |
| s | show the solution (asks first) |
| r | reset the focused side to the original code |
| b | switch the Keras backend (tensorflow / torch) |
| Ctrl+O | edit the focused side in $EDITOR |
| q | back to the lesson list |

Your edits are saved as you type and come back after a restart.
A lesson is **done** when both sides ran successfully and the exercise check passed.
"""


class HelpScreen(ModalScreen[None]):
    """Keys and what "done" means; Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close")
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Markdown(HELP)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
