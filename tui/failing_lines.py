"""Where a failed run points in the learner's file: the failing line, then each caller, and ``g``.

The engine's ``Error`` carries the traceback's frames that are in the learner's file (``frames``,
outermost first; ``line`` alone for a ``SyntaxError``). The run log lists them under the error
summary, innermost first ("g steps through: line 12 in forward, line 30 in <module>"), and ``g``
moves the code's cursor to each in turn, around: the failing line first, then its callers. A key
rather than a list widget: at 80x24 the log has three or four rows, and a list would take them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fwlearn.engine import Error

if TYPE_CHECKING:
    from fwlearn.tui.screens.lesson import LessonScreen

GO_KEY = "g"
LISTED = 6  # frames named in the log line; a deep recursion says how many more there are


@dataclass
class FailingLines:
    """The lines one failed run points at, innermost first; ``at`` is where ``g`` went last."""

    frames: list[tuple[int, str]]  # (1-based line, function; "" when not known)
    at: int = -1

    @classmethod
    def of(cls, error: Error) -> FailingLines | None:
        """None when the error points at no line of the learner's file (a missing package)."""
        frames = [(int(f["line"]), str(f.get("function") or "")) for f in reversed(error.frames)]
        if not frames and error.line:
            frames = [(error.line, "")]
        return cls(frames) if frames else None

    def listing(self) -> str:
        """The log line under the error summary."""
        named = [f"line {line} in {fn}" if fn else f"line {line}" for line, fn in self.frames]
        more = len(named) - LISTED
        shown = ", ".join(named[:LISTED]) + (f", … {more} more" if more > 0 else "")
        return f"  {GO_KEY} steps through: {shown}"

    def next(self) -> int:
        """The line ``g`` goes to now: the failing line first, then each caller, around."""
        self.at = (self.at + 1) % len(self.frames)
        return self.frames[self.at][0]


def go_to_failing_line(screen: LessonScreen) -> None:
    """``g``: the current side's next failing line (else the other side's), its code focused so
    the cursor line shows (narrow: its tab comes forward). Only reading mode has ``g``: while
    editing it is a letter typed into the code."""
    current = screen.mode.current_side()
    panes = sorted(screen.sides.values(), key=lambda pane: pane.side != current)
    pane = next((p for p in panes if p.failure is not None), None)
    if pane is None or pane.failure is None:
        screen.notify("No failing line: the last runs raised no error in your code.")
        return
    line = pane.failure.next()
    if screen.narrow and screen.tab != pane.side:
        screen.show_tab(pane.side)
    pane.code.editor.focus()
    screen.call_after_refresh(pane.code.go_to, line)  # a tab just shown has no size yet
