"""Reading and editing mode of the lesson screen, and which side a side command acts on.

A lesson opens in reading mode: the code panes are read-only, so letters are commands. ``e``,
Enter or a click puts one side in editing mode (its editor takes printable keys and Tab, the
other stays read-only, the explanation shrinks: ``-editing`` in the .tcss); Esc, or the focus
leaving that code by any means (a click elsewhere, a palette command), ends it, so the next
letter is a command again. The screen routes its keys and focus events here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

from fwlearn.frameworks import SIDES
from fwlearn.tui.widgets.code_pane import CodePane

if TYPE_CHECKING:
    from fwlearn.tui.screens.lesson import LessonScreen


class EditMode:
    """``side`` is the side being edited (None: reading mode); ``last_side`` the side the
    learner was in last, where side commands (e, r, t, Ctrl+O) act when no code has focus."""

    def __init__(self, screen: LessonScreen) -> None:
        self.screen = screen
        self.side: str | None = None
        self.last_side = SIDES[0]

    def focused_side(self) -> str | None:
        """The side whose code has focus, else (narrow) the side whose tab is shown."""
        screen = self.screen
        side = side_of(screen.focused) if screen.focused is not None else None
        if side is None and screen.narrow and screen.tab in SIDES:
            return screen.tab
        return side

    def current_side(self) -> str:
        """The side a side command acts on: the focused or shown one, else the last one."""
        return self.focused_side() or self.last_side

    def start(self, side: str) -> None:
        """Editing mode for ``side`` (narrow: its tab comes forward), its editor focused."""
        screen = self.screen
        if screen.narrow and screen.tab != side:
            screen.show_tab(side)
        self.side = self.last_side = side
        self._show(side)
        screen.sides[side].code.editor.focus()

    def stop(self) -> None:
        """Back to reading mode; the focus stays on the (now read-only) code, so Enter or e
        goes on editing where the cursor is. Runs are not touched; the edits are saved."""
        self.side = None
        self._show(None)
        self.screen.save_edits()

    def focus_moved(self, widget: Widget) -> None:
        """Focusing code remembers its side; focus leaving the edited code ends editing."""
        side = side_of(widget)
        self.last_side = side or self.last_side
        if self.side is not None and side != self.side:
            self.stop()

    def _show(self, side: str | None) -> None:
        screen = self.screen
        for name, pane in screen.sides.items():
            pane.code.editing = name == side
        screen.set_class(side is not None, "-editing")
        screen.refresh_bindings()  # Edit / Done in the footer


def side_of(widget: Widget) -> str | None:
    """The side of the code pane ``widget`` is in (or is), None outside the code."""
    for node in (widget, *widget.ancestors):
        if isinstance(node, CodePane):
            return node.side
    return None
