"""InputLine: the line under a side's run log where the learner answers ``input()`` and pdb.

The engine says when the program waits on stdin (an ``InputWanted`` event, with the prompt it
printed); the line then shows, focused, with that prompt. Enter sends what was typed (the
program's stdout echoes it into the log, after the prompt, as a terminal would), Ctrl+D ends the
input (EOF: what was typed goes first, without a newline, as in a terminal), and the line goes
away when the run ends. Esc is the screen's priority key, so it still cancels the run.

Keys: the lesson screen's one-key commands (``e``, ``r``, ``q``...) are ordinary bindings, and
a focused ``Input`` takes printable keys and Enter before them, so typing ``p x`` or ``c`` into
pdb never runs a command. Focusing the line ends editing mode like any focus outside the code.

``SideOutput`` is the column that holds a side's log with its input line under it; it has the
log's place in the layout (``width: 1fr``), so the screen looks the same until a run asks.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

NO_PROMPT = "input ›"  # shown when the program read stdin without input()'s prompt


class InputSink(Protocol):
    """What the line needs of a run (``fwlearn.engine.Run`` has it; a test engine may not)."""

    def send_input(self, text: str) -> bool: ...

    def write_input(self, data: bytes) -> bool: ...

    def close_input(self) -> None: ...


class StdinInput(Input):
    """The text field: Ctrl+D is the end of input here, not "delete right"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+d", "end_of_input", "End input", show=False),
    ]

    def action_end_of_input(self) -> None:
        line = self.parent
        if isinstance(line, InputLine):
            line.end_of_input()


class InputLine(Horizontal):
    """The prompt and the field; hidden unless a run of this side waits on stdin."""

    DEFAULT_CSS = """
    InputLine { height: 1; display: none; }
    InputLine.-open { display: block; }
    InputLine > Static { width: auto; max-width: 50%; color: $text-accent; }
    InputLine > StdinInput { width: 1fr; }
    """

    def __init__(self, side: str, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.side = side
        self.run: InputSink | None = None
        self.prompt = Static("", markup=False)
        self.field = StdinInput(compact=True, select_on_focus=False, id=f"stdin-{side}")

    def compose(self) -> ComposeResult:
        yield self.prompt
        yield self.field

    @property
    def open(self) -> bool:
        return self.has_class("-open")

    def attach(self, run: Any) -> None:
        """A new run of this side: input goes to it (if it takes any), nothing shown yet."""
        self.close()
        self.run = run if callable(getattr(run, "send_input", None)) else None

    def wanted(self, prompt: str) -> None:
        """The program waits on stdin: show the line with its prompt, focused."""
        if self.run is None:
            return
        self.prompt.update(prompt.rstrip() + " " if prompt.strip() else NO_PROMPT + " ")
        self.add_class("-open")
        self.field.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.run is None:
            return
        if self.run.send_input(event.value):
            self.field.clear()
        else:
            self.notify("the program no longer reads its input", severity="warning")

    def end_of_input(self) -> None:
        """Ctrl+D: what was typed (no newline), then EOF; the line closes."""
        if self.run is None:
            return
        if self.field.value:
            self.run.write_input(self.field.value.encode("utf-8", "replace"))
        self.run.close_input()
        self.close()

    def detach(self) -> None:
        """The run ended: no more input, the line goes away."""
        self.close()
        self.run = None

    def close(self) -> None:
        had_focus = self.field.has_focus
        self.field.clear()
        self.remove_class("-open")
        if had_focus and self.parent is not None:  # the log above keeps the focus on this side
            log = self.parent.children[0] if self.parent.children else None
            if log is not None and log.focusable:
                log.focus()


class SideOutput(Vertical):
    """A side's run log with its input line under it, where the log alone used to be."""

    SCOPED_CSS = False  # the narrow layout's results tab hides the column, not just the log
    DEFAULT_CSS = """
    SideOutput { width: 1fr; height: 1fr; }
    SideOutput > RunLog { height: 1fr; }
    LessonScreen.-narrow.-tab-results SideOutput { display: none; }
    """
