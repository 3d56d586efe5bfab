"""RunLog: one side's streamed stdout/stderr, batched so a flooding snippet cannot freeze the app.

Measured on 2 cores (a producer at 100k lines/s into a textual 8.2.8 ``Log``, keys every 250 ms):
a widget write per line manages ~1k lines/s at 98% CPU, while a deque drained by one
``write_lines`` every 50-100 ms delivers ~100k lines/s at ~25% CPU. So producers only ``push``
into a deque and a timer flushes it. The deque is bounded too: when a snippet floods
faster than we flush, only the newest ``max_lines`` can ever be shown anyway.

textual 8.2.8 bug: ``Log(max_lines=N)`` stops repainting once it prunes old lines while following
the tail (it refreshes the rows of the *pre-prune* indices, which are off screen). ``_flush``
works around it with a full ``refresh()`` whenever lines were dropped; a test keeps it honest.

What is shown is derived from what was printed: framework-internal traceback frames and C++ log
lines are folded into one line (``log_fold``; ``f`` on the log shows them), lines wider than the
pane are folded at its width, and a pinned line (the run's one-line error summary) stays last.
The printed lines are kept (capped like the rest), so the view is rebuilt when the width changes:
a pane hidden behind a tab has width 0 while its run streams in, and its lines were left uncut,
then truncated at the edge once shown (F7 at 80 columns cut "val_accur…"). Rebuilding is
O(kept lines) and happens only on a resize, the ``f`` key, or a flush after a pinned line.
"""

from __future__ import annotations

import re
import textwrap
from collections import deque
from collections.abc import Iterable
from typing import ClassVar

from rich.highlighter import Highlighter
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Log

from fwlearn.tui.widgets.log_fold import LineFolder, fold_all, is_placeholder

FLUSH_INTERVAL = 0.08
DEFAULT_MAX_LINES = 2000
# Lines worth a learner's eye in a wall of output: tracebacks, exceptions, fwlearn's own notes.
ERROR_LINE = re.compile(
    r"^(Traceback \(most recent call last\)|\s*File \"|[\w.]*(Error|Exception|Interrupt)\b|✗|!)"
)
FOLD_KEY = "f"


class RunLog(Log):
    """A capped, batched ``Log`` whose error lines stand out; the progress line sits in the
    bottom border so a redrawn progress bar never scrolls the log."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"run-log--error", "run-log--folded"}
    # Lines are folded at the pane's width, so a horizontal scrollbar would only take one of the
    # 3-4 rows a log gets at 80x24.
    DEFAULT_CSS = """
    RunLog { overflow-x: hidden; }
    RunLog > .run-log--error { color: $text-error; text-style: bold; }
    RunLog > .run-log--folded { color: $text-muted; text-style: italic; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(FOLD_KEY, "toggle_fold", "Framework lines"),
    ]

    _rebuild_on_flush = False  # a pinned line waits to be placed last

    def __init__(
        self, max_lines: int = DEFAULT_MAX_LINES, *, id: str | None = None, classes: str = ""
    ) -> None:
        # ``highlight`` turns on Log's documented hook: each line shown goes through
        # ``self.highlighter`` (a Rich ``Highlighter``), which colours the lines that matter.
        super().__init__(max_lines=max_lines, id=id, classes=classes, highlight=True)
        self.highlighter = LineStyler(self)
        self._pending: deque[str] = deque(maxlen=max_lines)
        self._printed: deque[str] = deque(maxlen=max_lines)  # flushed, as printed
        self._folder = LineFolder(key=FOLD_KEY)
        self._folded_for = 0  # the width the shown lines were cut for
        self._pinned: list[str] = []
        self._partial = ""
        self._partial_dirty = False
        self.lines_seen = 0
        self.show_all = False  # True: framework lines shown, not folded

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

    def pin(self, line: str) -> None:
        """Keep ``line`` at the end of the log whatever is printed after it (a run's error
        summary: a traceback and C++ log lines arriving later must not scroll it away)."""
        self._pinned.append(line)
        self.lines_seen += 1
        self._rebuild_on_flush = True

    @property
    def hidden_lines(self) -> int:
        """Framework lines currently folded away."""
        return 0 if self.show_all else self._folder.total_hidden

    def action_toggle_fold(self) -> None:
        self.show_all = not self.show_all
        self._rebuild()

    def on_resize(self) -> None:
        if self._printed and self._width_now() != self._folded_for:
            self._rebuild()

    def reset(self) -> None:
        """Empty the log for a new run."""
        self._pending.clear()
        self._printed.clear()
        self._pinned.clear()
        self._folder.reset()
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
        if not self._pending and not self._rebuild_on_flush:
            return
        printed = list(self._pending)
        self._pending.clear()
        self._printed.extend(printed)
        shown = printed if self.show_all else self._folder.feed(printed)
        if shown is None or self._pinned:  # an open fold grows, or the pinned line must stay last
            self._rebuild()
            return
        width = self._folded_for = self._width_now()
        self._write(_wrap(shown, width))

    def _width_now(self) -> int:
        return self.scrollable_content_region.width

    def _rebuild(self) -> None:
        """Show the kept lines again from scratch: folded (or not) and cut for this width."""
        self._rebuild_on_flush = False
        if self.show_all:
            shown = list(self._printed)
        else:
            shown, self._folder = fold_all(self._printed, FOLD_KEY)
        width = self._folded_for = self._width_now()
        following = self.is_vertical_scroll_end  # after clear() it is False: the view stayed
        self.clear()  # at the old offset and the pinned summary could end below it
        self._write(_wrap([*shown, *self._pinned], width))
        if following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _write(self, lines: list[str]) -> None:
        pruned = self.max_lines is not None and self.line_count + len(lines) > self.max_lines
        self.write_lines(lines)
        if pruned:
            self.refresh()  # textual 8.2.8: Log stops repainting once it prunes (see module doc)

    @property
    def text(self) -> str:
        """Everything the run printed that the log keeps (flushed lines only, unfolded and
        uncut: ``lines`` is what is shown), then the pinned lines."""
        return "\n".join([*self._printed, *self._pinned])


class LineStyler(Highlighter):
    """Colours a whole line by what it is: an error line (traceback, exception, fwlearn's ✗/!)
    or a folded-lines placeholder; anything else keeps the log's style (no number or string
    colouring: Log's default ``ReprHighlighter`` would paint every loss value).

    The styles are the log's component classes, read at paint time, so a theme switch or
    NO_COLOR applies. Cost: one anchored regex match per painted row; Log caches nothing
    without a selection, so this runs only for rows on screen, not for every line written."""

    def __init__(self, log: RunLog) -> None:
        self.log = log

    def highlight(self, text: Text) -> None:
        line = text.plain
        if ERROR_LINE.match(line):
            text.stylize(self.log.get_component_rich_style("run-log--error"))
        elif is_placeholder(line):
            text.stylize(self.log.get_component_rich_style("run-log--folded"))


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
