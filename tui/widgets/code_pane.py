"""CodePane: one side's editable, highlighted code, with a title that says what is going on."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import TextArea

LABELS = {"keras": "Keras", "pytorch": "PyTorch"}


class CodePane(Vertical, can_focus=False):
    """A ``TextArea.code_editor`` for one side. Posts ``Edited`` (up) when the text changes;
    the screen pushes text, the section to show and the failing line down."""

    note: reactive[str] = reactive("")

    class Edited(Message):
        """The learner changed the code of ``side``."""

        def __init__(self, side: str, text: str) -> None:
            super().__init__()
            self.side = side
            self.text = text

    def __init__(self, side: str, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes=f"-{side}")
        self.side = side
        self._initial = text
        self._loading = False
        self.border_title = LABELS.get(side, side)

    def compose(self) -> ComposeResult:
        editor = TextArea.code_editor(
            self._initial,
            language="python",
            show_line_numbers=True,
            soft_wrap=False,
            id=f"editor-{self.side}",
        )
        editor.cursor_blink = False  # steadier snapshots, and less repainting over SSH
        yield editor

    @property
    def editor(self) -> TextArea:
        return self.query_one(TextArea)

    @property
    def text(self) -> str:
        return self.editor.text

    def load(self, text: str) -> None:
        """Replace the code without it counting as a learner edit."""
        self._loading = True
        self.editor.load_text(text)
        self._loading = False

    def show_line(self, line: int) -> None:
        """Scroll so that 1-based ``line`` is at the top and put the cursor there."""
        editor = self.editor
        row = max(0, min(line - 1, editor.document.line_count - 1))
        editor.move_cursor((row, 0))
        editor.scroll_to(y=row, animate=False, immediate=True)

    def mark_line(self, line: int) -> None:
        """Select the failing line so it stands out, and bring it into view."""
        editor = self.editor
        row = max(0, min(line - 1, editor.document.line_count - 1))
        editor.select_line(row)
        editor.scroll_to(y=max(0, row - 2), animate=False, immediate=True)

    def watch_note(self, note: str) -> None:
        label = LABELS.get(self.side, self.side)
        self.border_title = f"{label} · {note}" if note else label

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if not self._loading:
            self.post_message(self.Edited(self.side, event.text_area.text))
