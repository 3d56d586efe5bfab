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

## Lesson: reading mode (where a lesson opens)
Letters are commands; nothing you type goes into the code.

| key | does |
|---|---|
| ↑ ↓ PgUp PgDn | scroll the focused pane (the explanation when a lesson opens) |
| Tab / Shift+Tab | move between the explanation, the code, the logs and the results |
| m | full screen for the focused pane (Esc returns) |
| F3 / Ctrl+↓, F2 / Ctrl+↑ | next / previous step: both editors jump to it |
| F5 / F6 / F7 | run Keras / run PyTorch / run both |
| Esc | cancel the running side (all running sides if the focus is on neither) |
| e / Enter | edit the code of the current side (a click in the code does it too) |
| h | show the exercise hint |
| s | show the solution (asks first) |
| t | take the solution into the current side's code (asks first; u undoes) |
| r | reset the current side to the original code (asks first; u undoes) |
| R | start the lesson over: code, progress and run history (asks first; u undoes) |
| u | undo the last reset or taken solution |
| b | switch the Keras backend (tensorflow / torch) |
| Ctrl+T | narrow terminals: next tab (Keras, PyTorch, Results) |
| F8 | results: Chart, Compare, Predictions, Exercise |
| Ctrl+O | edit the current side in $VISUAL / $EDITOR (opens at the step's line) |
| ? | this help |
| q | back to the lesson list |

## Lesson: editing mode
| key | does |
|---|---|
| letters, Tab, Enter | type into the code (Ctrl+Z / Ctrl+Y undo and redo typing) |
| Esc | stop editing: back to reading mode (a run goes on) |
| F5 / F6 / F7, F2 / F3 | run, and change steps, as in reading mode |
| Ctrl+C | cancel the run of the side you are editing (copies when nothing runs) |
| Ctrl+O | continue in $EDITOR at the cursor's line |

Your edits are saved as you type and come back after a restart.
A lesson is **done** while its exercise check passes: both sides ran successfully and the check
passed. A later run whose check fails (or resetting code that passed) makes it not done again.
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
