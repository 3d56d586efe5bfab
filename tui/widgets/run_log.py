"""RunLog: one side's streamed stdout/stderr, batched so a flooding snippet cannot freeze the app.

Measured (FACTS.md): a widget write per line manages ~1k lines/s at 98% CPU, while a deque drained
by one ``write_lines`` every 50-100 ms delivers ~100k lines/s at ~25% CPU. So producers only
``push`` into a deque and a timer flushes it. The deque is bounded too: when a snippet floods
faster than we flush, only the newest ``max_lines`` can ever be shown anyway.

textual 8.2.8 bug: ``Log(max_lines=N)`` stops repainting once it prunes old lines while following
the tail (it refreshes the rows of the *pre-prune* indices, which are off screen). ``_flush``
works around it with a full ``refresh()`` whenever lines were dropped; a test keeps it honest.
"""

from __future__ import annotations

import re
import textwrap
from collections import deque
from collections.abc import Iterable
from typing import ClassVar

from rich.style import Style
from textual.strip import Strip
from textual.widgets import Log

FLUSH_INTERVAL = 0.08
DEFAULT_MAX_LINES = 2000
# Lines worth a learner's eye in a wall of output: tracebacks, exceptions, fwlearn's own notes.
ERROR_LINE = re.compile(
    r"^(Traceback \(most recent call last\)|\s*File \"|[\w.]*(Error|Exception|Interrupt)\b|✗|!)"
)


class RunLog(Log):
    """A capped, batched ``Log`` whose error lines stand out; the progress line sits in the
    bottom border so a redrawn progress bar never scrolls the log."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"run-log--error"}
    DEFAULT_CSS = """
    RunLog > .run-log--error { color: $text-error; text-style: bold; }
    """

    def __init__(
        self, max_lines: int = DEFAULT_MAX_LINES, *, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(max_lines=max_lines, id=id, classes=classes, highlight=False)
        self._pending: deque[str] = deque(maxlen=max_lines)
        self._partial = ""
        self._partial_dirty = False
        self.lines_seen = 0

    def on_mount(self) -> None:
        self.set_interval(FLUSH_INTERVAL, self._flush, name="run-log-flush")

    def push(self, lines: Iterable[str]) -> None:
        """Queue complete lines; they reach the screen on the next flush. Cheap: no repaint."""
        batch = lines if isinstance(lines, (list, tuple)) else list(lines)
        self._pending.extend(batch)
        self.lines_seen += len(batch)
        if self._partial:
            self._partial, self._partial_dirty = "", True

    def set_partial(self, line: str) -> None:
        """Show the current unfinished line (a progress bar redrawn with ``\\r``)."""
        if line != self._partial:
            self._partial, self._partial_dirty = line, True

    def reset(self) -> None:
        """Empty the log for a new run."""
        self._pending.clear()
        self._partial, self._partial_dirty = "", True
        self.lines_seen = 0
        self.clear()

    def flush_now(self) -> None:
        """Write everything queued (tests and the end of a run)."""
        self._flush()

    def _flush(self) -> None:
        if self._partial_dirty:
            self._partial_dirty = False
            self.border_subtitle = _shorten(self._partial, max(10, self.size.width - 6))
        if not self._pending:
            return
        batch = _wrap(list(self._pending), self.scrollable_content_region.width)
        self._pending.clear()
        pruned = self.max_lines is not None and self.line_count + len(batch) > self.max_lines
        self.write_lines(batch)
        if pruned:
            self.refresh()  # textual 8.2.8: Log stops repainting once it prunes (see module doc)

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        if y < len(self._lines) and ERROR_LINE.match(self._lines[y]):
            rich_style = rich_style + self.get_component_rich_style("run-log--error")
        return super()._render_line_strip(y, rich_style)

    @property
    def text(self) -> str:
        """Everything currently in the log (flushed lines only)."""
        return "\n".join(self._lines)


def _wrap(lines: list[str], width: int) -> list[str]:
    """Fold lines wider than the log, so the end of a Keras epoch line (the loss!) is not lost
    off the right edge of a half-screen pane. Only long lines pay: the common case is one
    C-level ``max`` over the batch."""
    if width < 20 or not lines or max(map(len, lines)) <= width:
        return lines
    folded: list[str] = []
    for line in lines:
        if len(line) <= width:
            folded.append(line)
        else:
            folded.extend(
                textwrap.wrap(
                    line,
                    width,
                    subsequent_indent="  ",
                    break_on_hyphens=False,
                )
                or [""]
            )
    return folded


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]
