"""CodePane: one side's highlighted code, read-only until the learner asks to edit it.

Why read-only by default: a focused ``TextArea`` swallows every printable key and Tab, so the
one-key commands (``q``, ``?``, ``h``, ``s``, ``r``) would be typed into the code and saved. A
read-only ``TextArea`` consumes no key (``check_consume_key`` is False), so letters reach the
screen's bindings and Tab moves the focus; the cursor still moves, so the code can be read by
keyboard. The screen switches one pane at a time to editing (``editing = True``).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import TextArea

LABELS = {"keras": "Keras", "pytorch": "PyTorch"}
# TextArea binds F6 (select line) and F7 (select all); the lesson screen's priority F6/F7 (run)
# win anyway, but the footer would list them first whenever an editor has the focus, so its
# order changed with the focus ("f6 f7 f5"). The editor drops them; nothing else is lost.
_SCREEN_KEYS = {"f6", "f7"}


class CodeEditor(TextArea, inherit_bindings=False):
    """``TextArea`` without the function-key bindings the lesson screen uses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        binding
        for binding in TextArea.BINDINGS
        if not (isinstance(binding, Binding) and binding.key in _SCREEN_KEYS)
    ]


class CodePane(Vertical, can_focus=False):
    """A code editor for one side. Posts ``Edited`` (up) when the text changes and
    ``EditRequested`` when clicked; the screen pushes text, the mode, the section to show and
    the failing line down."""

    note: reactive[str] = reactive("")
    editing: reactive[bool] = reactive(False)

    class Edited(Message):
        """The learner changed the code of ``side``."""

        def __init__(self, side: str, text: str) -> None:
            super().__init__()
            self.side = side
            self.text = text

    class EditRequested(Message):
        """The learner clicked into the code of ``side``: a click means "edit here"."""

        def __init__(self, side: str) -> None:
            super().__init__()
            self.side = side

    def __init__(self, side: str, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes=f"-{side}")
        self.side = side
        self._initial = text
        self._echoes = 0  # TextArea.Changed messages still to come from load() calls
        self._editor: TextArea | None = None
        self.border_title = LABELS.get(side, side)

    def compose(self) -> ComposeResult:
        editor = CodeEditor.code_editor(
            self._initial,
            language="python",
            show_line_numbers=True,
            soft_wrap=False,
            read_only=True,
            id=f"editor-{self.side}",
        )
        editor.cursor_blink = False  # steadier snapshots, and less repainting over SSH
        self._editor = editor
        yield editor

    @property
    def editor(self) -> TextArea:
        """Kept, not queried: the screen saves the text while closing, after unmounting."""
        if self._editor is None:
            raise RuntimeError("CodePane.editor before compose")
        return self._editor

    @property
    def text(self) -> str:
        return self.editor.text

    def load(self, text: str) -> None:
        """Replace the code without it counting as a learner edit. ``load_text`` posts one
        ``Changed`` that arrives later, so a flag around the call would not catch it."""
        self._echoes += 1
        self.editor.load_text(text)

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

    def watch_note(self) -> None:
        self._retitle()

    def watch_editing(self, editing: bool) -> None:
        self.editor.read_only = not editing
        self.set_class(editing, "-editing")
        self._retitle()

    def _retitle(self) -> None:
        label = LABELS.get(self.side, self.side)
        self.border_title = f"{label} · {self.note}" if self.note else label
        self.border_subtitle = "editing · Esc: done" if self.editing else "e: edit"

    @on(events.Click)
    def _clicked(self) -> None:
        if not self.editing:
            self.post_message(self.EditRequested(self.side))

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if self._echoes:
            self._echoes -= 1
        else:
            self.post_message(self.Edited(self.side, event.text_area.text))
