"""ProsePane: the current step's explanation, focusable and scrollable by keyboard.

Why a scroll container around ``Markdown`` rather than the bare widget: ``Markdown`` cannot take
the focus, so a step longer than its box could only be scrolled with a mouse wheel, and
"Maximize" (which acts on the focused widget) could not reach it. Focused, ↑ ↓ PgUp PgDn Home End
scroll it (``VerticalScroll``'s own bindings) and ``m`` shows it full screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown


class ProsePane(VerticalScroll, can_focus=True):
    """Holds one Markdown document; ``show`` replaces it and scrolls back to its top."""

    ALLOW_MAXIMIZE = True

    def compose(self) -> ComposeResult:
        yield Markdown()

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    def show(self, text: str) -> None:
        self.markdown.update(text)
        self.scroll_home(animate=False)

    @property
    def source(self) -> str:
        """The Markdown shown now (what a test or a screen reader would check)."""
        return self.markdown.source
