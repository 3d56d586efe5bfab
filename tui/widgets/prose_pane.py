"""ProsePane: the current step's explanation, focusable and scrollable by keyboard.

Why a scroll container around ``Markdown`` rather than the bare widget: ``Markdown`` cannot take
the focus, so a step longer than its box could only be scrolled with a mouse wheel, and
"Maximize" (which acts on the focused widget) could not reach it. Focused, ↑ ↓ PgUp PgDn Home End
scroll it (``VerticalScroll``'s own bindings) and ``m`` shows it full screen.

The text goes through ``numbers`` before it is shown: a lesson's references to run values
(``{keras.metric.val_accuracy:.3f}``) become numbers. The lesson screen sets it to render from
reference.json (``tui.numbers``); alone, the pane still never shows a raw reference: each reads
"(not recorded)".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from fwlearn.lessons.recorded import render_text


def unrecorded(text: str) -> str:
    """``text`` with every run reference shown as "(not recorded)"."""
    return render_text(text, None, "")


class ProsePane(VerticalScroll, can_focus=True):
    """Holds one Markdown document; ``show`` replaces it and scrolls back to its top."""

    ALLOW_MAXIMIZE = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.numbers: Callable[[str], str] = unrecorded
        self._text = ""  # as the lesson writes it, references included

    def compose(self) -> ComposeResult:
        yield Markdown()

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    def show(self, text: str) -> None:
        self._text = text
        self.markdown.update(self.numbers(text))
        self.scroll_home(animate=False)

    def rerender(self) -> None:
        """Render the same text again (new numbers), where the learner had scrolled to."""
        self.markdown.update(self.numbers(self._text))

    @property
    def source(self) -> str:
        """The Markdown shown now (what a test or a screen reader would check)."""
        return self.markdown.source
