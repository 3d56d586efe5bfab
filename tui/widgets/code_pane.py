"""CodePane: one side's highlighted code, read-only until the learner asks to edit it.

Why read-only by default: a focused ``TextArea`` swallows every printable key and Tab, so the
one-key commands (``q``, ``?``, ``h``, ``s``, ``r``) would be typed into the code and saved. A
read-only ``TextArea`` consumes no key (``check_consume_key`` is False), so letters reach the
screen's bindings and Tab moves the focus; the cursor still moves, so the code can be read by
keyboard. The screen switches one pane at a time to editing (``editing = True``).

The failing line of the last run is marked in the gutter (``CodeEditor.error_row``): a ✗ after
its number, in the error colour. It used to be a selection, which vanished as soon as the cursor
moved; the mark stays until the next run, a reload of the code, or an edit of that line.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import TextArea

from fwlearn.frameworks import SIDE_LABELS

# TextArea binds F6 (select line) and F7 (select all); the lesson screen's priority F6/F7 (run)
# win anyway, but the footer would list them first whenever an editor has the focus, so its
# order changed with the focus ("f6 f7 f5"). The editor drops them; nothing else is lost.
_SCREEN_KEYS = {"f6", "f7"}


ERROR_MARK = "✗"  # a glyph, not only a colour: it reads under NO_COLOR too


class CodeEditor(TextArea, inherit_bindings=False):
    """``TextArea`` without the function-key bindings the lesson screen uses, and with the
    failing line's mark in the gutter (TextArea has no API for a gutter mark)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        binding
        for binding in TextArea.BINDINGS
        if not (isinstance(binding, Binding) and binding.key in _SCREEN_KEYS)
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {*TextArea.COMPONENT_CLASSES, "code-editor--error"}
    DEFAULT_CSS = """
    CodeEditor > .code-editor--error { color: $text-error; background: $error-muted; }
    CodeEditor > .code-editor--error { text-style: bold; }
    """

    error_row: reactive[int | None] = reactive(None)  # 0-based; None: no mark

    def render_line(self, y: int) -> Strip:
        """TextArea's line (cached by TextArea), with the mark put into the gutter's margin:
        ``12  code`` becomes ``12✗ code``. Only the marked row pays for the rebuilt gutter."""
        strip = super().render_line(y)
        row = self.error_row
        if row is None or not self.show_line_numbers or row >= self.document.line_count:
            return strip
        if self.wrapped_document.location_to_offset((row, 0)).y != self.scroll_offset.y + y:
            return strip
        width = self.gutter_width
        number = f"{row + self.line_number_start:>{width - 2}}{ERROR_MARK} "
        style = self.get_component_rich_style("code-editor--error")
        return Strip.join([Strip([Segment(number, style)], width), strip.crop(width)])

    def watch_error_row(self) -> None:
        self.refresh()


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
        self._editor: CodeEditor | None = None
        self._marked = ""  # the marked line's text, to tell when the learner edits it
        self._line_count = 0
        self.border_title = SIDE_LABELS.get(side, side)

    def compose(self) -> ComposeResult:
        # The language is set after construction: passed to the constructor, TextArea builds
        # the document twice, and each build compiles tree-sitter's Python highlight query,
        # ~36 ms of CPU (cProfile of opening the fixture lesson, 2026-12-02). One compile per
        # editor instead of two takes ~70 ms off opening a lesson.
        editor = CodeEditor.code_editor(
            self._initial,
            language=None,
            show_line_numbers=True,
            soft_wrap=False,
            read_only=True,
            id=f"editor-{self.side}",
        )
        assert isinstance(editor, CodeEditor)  # code_editor() is typed as making a TextArea
        editor.cursor_blink = False  # steadier snapshots, and less repainting over SSH
        editor.language = "python"
        self._editor = editor
        yield editor

    @property
    def editor(self) -> CodeEditor:
        """Kept, not queried: the screen saves the text while closing, after unmounting."""
        if self._editor is None:
            raise RuntimeError("CodePane.editor before compose")
        return self._editor

    @property
    def text(self) -> str:
        return self.editor.text

    def load(self, text: str) -> None:
        """Replace the code without it counting as a learner edit: the edit posts one
        ``Changed`` that arrives later, so a flag around the call would not catch it.

        An edit of the whole document, not ``load_text``: that builds a new document and
        compiles the highlight query again (~36 ms of CPU each time), where an edit re-parses
        the one document. The undo history is cleared as ``load_text`` would: undo must not
        bring back the code from before a reset or a step change."""
        self._echoes += 1
        self.clear_mark()  # a reset or a taken solution: the mark was for other code
        editor = self.editor
        editor.replace(text, editor.document.start, editor.document.end)
        editor.history.clear()
        editor.move_cursor((0, 0))

    def show_line(self, line: int) -> None:
        """Scroll so that 1-based ``line`` is at the top and put the cursor there."""
        editor = self.editor
        row = max(0, min(line - 1, editor.document.line_count - 1))
        editor.move_cursor((row, 0))
        editor.scroll_to(y=row, animate=False, immediate=True)

    def mark_line(self, line: int) -> None:
        """Mark the failing 1-based ``line`` in the gutter, and bring it into view."""
        editor = self.editor
        document = editor.document
        row = max(0, min(line - 1, document.line_count - 1))
        editor.error_row = row
        self._marked, self._line_count = document.get_line(row), document.line_count
        self.go_to(line)

    def clear_mark(self) -> None:
        self.editor.error_row = None

    @property
    def marked_line(self) -> int | None:
        """The 1-based line marked as failing, None when there is no mark."""
        row = self.editor.error_row
        return None if row is None else row + 1

    def go_to(self, line: int) -> None:
        """Cursor to the start of 1-based ``line``, two lines of context above it."""
        editor = self.editor
        row = max(0, min(line - 1, editor.document.line_count - 1))
        editor.move_cursor((row, 0))
        editor.scroll_to(y=max(0, row - 2), animate=False, immediate=True)

    def _follow_edit(self) -> None:
        """Keep the mark on its line through edits elsewhere (lines added or removed above it
        move it); an edit of the line itself clears it: what failed there is gone."""
        row = self.editor.error_row
        if row is None:
            return
        document = self.editor.document
        moved = row + document.line_count - self._line_count
        self._line_count = document.line_count
        if row < document.line_count and document.get_line(row) == self._marked:
            return
        if 0 <= moved < document.line_count and document.get_line(moved) == self._marked:
            self.editor.error_row = moved
        else:
            self.clear_mark()

    def watch_note(self) -> None:
        self._retitle()

    def watch_editing(self, editing: bool) -> None:
        self.editor.read_only = not editing
        self.set_class(editing, "-editing")
        self._retitle()

    def _retitle(self) -> None:
        label = SIDE_LABELS.get(self.side, self.side)
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
            self._follow_edit()
            self.post_message(self.Edited(self.side, event.text_area.text))
