"""SidePane: everything one side (Keras or PyTorch) shows, and how a run's events reach it.

The lesson screen used to build the code pane and run log of each side itself and carry a
``side`` argument through every handler (``query_one(f"#log-{side}")`` twelve times). A
``SidePane`` holds the two widgets of one side and the per-side half of applying a run's events:
log lines, the progress line, the pinned error summary, the failing line marked in the code,
the state in the code pane's title. The screen makes one per side and routes to it.

It is a controller, not a container: the wide layout puts both code panes in one row and both
logs under them (with the results beside the logs), so a side's two widgets have no common
parent. Making each side a column would change that layout and every snapshot for no gain in
behaviour; owning the widgets logically keeps the layout and still gives each side one home.
The log alone is wrapped (``output``: the log with the line that answers the program's
``input()`` and pdb under it, hidden until a run asks), which leaves the layout as it was.
"""

from __future__ import annotations

from typing import Any

from fwlearn.engine import End, Error, Event, Output, Start, Warning
from fwlearn.engine.events import InputWanted
from fwlearn.frameworks import SIDE_LABELS
from fwlearn.lessons import section_line
from fwlearn.runstate import SideRun
from fwlearn.tui.failing_lines import FailingLines
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.input_line import InputLine, SideOutput
from fwlearn.tui.widgets.run_log import RunLog


def marker_line(text: str, title: str | None) -> int | None:
    """1-based line of the ``# %% title`` marker in ``text`` (None when the learner removed it)."""
    return section_line(text, title)


class SidePane:
    """One side's code pane and run log (ids ``code-<side>`` / ``log-<side>``, as the .tcss and
    the tests know them), kept for the screen's lifetime: edits are saved after unmount too."""

    def __init__(self, side: str, code: str) -> None:
        self.side = side
        self.label = SIDE_LABELS.get(side, side)
        self.code = CodePane(side, code, id=f"code-{side}")
        self.log = RunLog(id=f"log-{side}", classes=f"-{side}")
        self.log.border_title = f"{self.label} output"
        # The log with the line that answers the program's input() / pdb under it (the screen
        # lays out ``output`` where the log alone was).
        self.input = InputLine(side, id=f"input-{side}")
        self.output = SideOutput(self.log, self.input, id=f"output-{side}", classes=f"-{side}")
        self.failure: FailingLines | None = None  # where the last run failed in the code (g)

    @property
    def text(self) -> str:
        return self.code.text

    def load(self, text: str) -> None:
        """Put ``text`` in the editor unless it is there already (no needless Changed echo)."""
        if self.code.text != text:
            self.code.load(text)

    def show_step(self, title: str | None) -> int | None:
        """Scroll to the step's ``# %%`` marker, found in the *current* text so it survives
        edits (the top for the introduction); the line shown, None if the marker is gone."""
        line = marker_line(self.code.text, title) if title else 1
        if line:
            self.code.show_line(line)
        return line

    def editor_line(self, editing: bool, title: str | None) -> int:
        """Where $EDITOR opens: the cursor's line while editing, else the step's marker."""
        if editing:
            return self.code.editor.cursor_location[0] + 1
        return (marker_line(self.code.text, title) if title else None) or 1

    # -- runs -----------------------------------------------------------------------------------

    def cannot_run(self, problem: str, *, starting: bool = False) -> None:
        """The framework is missing: say so in the log (and, on open, in the title)."""
        if starting:
            self.log.reset()
        else:
            self.code.note = "cannot run here"
        self.log.push([f"! {problem}"])

    def refused(self, message: str) -> None:
        """The engine refused the run before it began (a ``UsageError``)."""
        self.log.push([f"✗ {message}"])

    def starting(self, keras_backend: str | None) -> None:
        """A new run: an empty log that says what starts, and no error mark from the last."""
        self.log.reset()
        backend = f" on {keras_backend}" if keras_backend else ""
        self.log.push([f"▶ {self.label}{backend}: starting…"])
        self.code.note = "running"
        self.code.clear_mark()  # the last run's failing line
        self.failure = None

    def apply(self, event: Event) -> None:
        """The per-side part of one engine event (the chart, table and status are not)."""
        log = self.log
        if isinstance(event, Output):
            if event.partial:
                log.set_partial(event.lines[0] if event.lines else "")
            else:
                log.push(event.lines)
        elif isinstance(event, Start):
            log.push([describe_limits(event.limits)])
        elif isinstance(event, Warning):
            log.push([f"! {event.message}"])
        elif isinstance(event, Error):
            # The traceback itself is already in the log: the snippet printed it to stderr.
            # The summary is pinned last: the traceback arriving after it must not hide it.
            where = f" (line {event.line})" if event.line else ""
            log.pin(f"✗ {event.kind}{where}: {event.message}")
            self.failure = FailingLines.of(event)
            if self.failure is not None:  # the frames in the learner's file, g to go to each
                log.pin(self.failure.listing())
            if event.line:
                self.code.mark_line(event.line)
        elif isinstance(event, InputWanted):
            self.input.wanted(event.prompt)
        elif isinstance(event, End):
            self.input.detach()
            log.push([f"── {event.status} in {event.wall:.2f} s"])

    def tick(self, run: SideRun) -> str:
        """The side's state for the status bar; a running side's title counts the seconds."""
        if run.running:
            self.code.note = f"running {run.elapsed:.0f} s"
            return f"running {run.elapsed:.1f} s"
        if run.end is not None:
            return f"{run.state} {run.elapsed:.1f} s"
        return run.state

    def finished(self, run: SideRun) -> None:
        """Everything the run printed is shown, and the title says how it ended."""
        self.log.flush_now()
        self.code.note = f"{run.state} in {run.elapsed:.1f} s"

    def crashed(self, error: BaseException | None) -> None:
        """fwlearn itself failed to run this side (an engine bug): said, not raised."""
        self.log.push([f"✗ fwlearn could not run this: {error!r}"])
        self.code.note = "failed to start"
        self.input.detach()

    def cancelling(self) -> None:
        self.log.push(["! cancelling…"])


def describe_limits(limits: dict[str, Any]) -> str:
    """One log line with the limits this run is under, so a stopped run is no surprise."""
    parts = []
    if limits.get("timeout_s"):
        parts.append(f"{limits['timeout_s']:g} s")
    if limits.get("memory_mb"):
        parts.append(f"{limits['memory_mb']} MB")
    if limits.get("max_processes"):
        parts.append(f"{limits['max_processes']} processes")
    network = str(limits.get("network") or "unknown")
    parts.append(f"network {network}")
    parts.append(f"sandbox {limits.get('sandbox') or 'unknown'}")
    return "  limits: " + " · ".join(parts)
