"""Typed events that one engine run yields, in order: ``Start`` first, ``End`` last.

Every event carries an envelope (``run_id``, ``t`` = seconds since the run started) so each log
line or metric maps back to the run that produced it, even when two runs stream at once.
Events serialise to one flat JSON object each (``to_dict``/``event_from_dict``), which is also
the ``fwlearn run --json`` wire format: exactly one event per line.

Every string in an event is safe to print: the engine builds events from the child's messages
only after ``safe_value`` has cleaned them (``output.clean``: no escape sequences or control
characters, bidi controls visible, no lone surrogates), so the CLI, ``--json`` and the app need
no cleaning of their own. They must still show these strings as text, never as markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal

# The wire's cleaning lives with the wire; re-exported for readers of ``--json`` lines.
from .protocol import SnippetFrame
from .protocol import load_message as load_message
from .protocol import safe_value as safe_value

Stream = Literal["stdout", "stderr"]
Split = Literal["train", "val", "test"]
Status = Literal["ok", "failed", "cancelled", "timeout"]
ErrorKind = Literal[
    "exception",
    "syntax",
    "exit",
    "timeout",
    "memory",
    "processes",
    "cancelled",
    "crashed",
    "import",
    "device",
    "internal",
]


@dataclass(frozen=True, slots=True)
class Event:
    """Envelope shared by every event."""

    run_id: str
    t: float
    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """The event as one flat JSON-ready dict. Shallow: nested values (``values``, ``rows``,
        ``limits``...) are the event's own, to read, not to change. ``dataclasses.asdict``
        deep-copied them and was 70% of ``fwlearn run --json``'s time in a report flood."""
        data: dict[str, Any] = {"type": self.type}
        for name in _FIELD_NAMES[type(self)]:
            value = getattr(self, name)
            data[name] = list(value) if isinstance(value, tuple) else value
        return data


@dataclass(frozen=True, slots=True)
class Start(Event):
    """The child is ready and the snippet is about to run."""

    framework: str = "python"
    python: str = ""
    device: str = "cpu"
    pid: int = 0
    keras_backend: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    threads: int = 1
    limits: dict[str, Any] = field(default_factory=dict)
    type: ClassVar[str] = "start"


@dataclass(frozen=True, slots=True)
class Output(Event):
    """Text the snippet printed, already cleaned for a terminal.

    ``lines`` are complete lines (no trailing newline). When ``partial`` is true there is exactly
    one line: the current, unfinished line (a progress bar being redrawn with ``\\r``/``\\b``). It
    replaces the previous partial line of the same stream; the next non-partial event carries the
    finished version of that line, so a consumer never shows both.
    """

    stream: Stream = "stdout"
    lines: tuple[str, ...] = ()
    partial: bool = False
    type: ClassVar[str] = "output"


@dataclass(frozen=True, slots=True)
class Metric(Event):
    """Named values at the end of an epoch (``step is None``) or, throttled, after a batch.

    Epochs are 1-based, as Keras prints them. Values that were NaN or infinite arrive as
    ``None`` (and a ``Warning`` event says so) so the JSON stays valid and charts skip them.
    """

    values: dict[str, float | None] = field(default_factory=dict)
    epoch: int | None = None
    step: int | None = None
    split: Split = "train"
    run: str = ""  # the run label in force (``fwlearn.run_label``); "" = unlabelled
    type: ClassVar[str] = "metric"


@dataclass(frozen=True, slots=True)
class Prediction(Event):
    """A bounded table of predictions: each row has ``input``, ``predicted`` and ``actual``."""

    rows: tuple[dict[str, Any], ...] = ()
    total: int = 0
    run: str = ""
    type: ClassVar[str] = "prediction"


@dataclass(frozen=True, slots=True)
class Fact(Event):
    """A named value for checks and comparisons, from the snippet or the engine (``params``)."""

    name: str = ""
    value: Any = None
    run: str = ""
    type: ClassVar[str] = "fact"


@dataclass(frozen=True, slots=True)
class Warning(Event):
    """Something the learner should notice that does not stop the run (e.g. a NaN loss)."""

    kind: str = ""
    message: str = ""
    type: ClassVar[str] = "warning"


@dataclass(frozen=True, slots=True)
class Error(Event):
    """Why the run failed: a kind, a one-line message, the traceback and the snippet's line.

    ``frames`` are the traceback's frames in the learner's file, outermost first, each
    ``{"line": int, "function": str}`` (the last is ``line``): the app lists them so the
    learner can jump from the failing line to its callers. Empty when no frame was in the file
    (a ``SyntaxError`` has only ``line``).
    """

    kind: ErrorKind = "exception"
    message: str = ""
    traceback: str = ""
    line: int | None = None
    exc_type: str | None = None
    frames: tuple[SnippetFrame, ...] = ()
    type: ClassVar[str] = "error"


@dataclass(frozen=True, slots=True)
class InputWanted(Event):
    """The program reads stdin and nothing is there: it waits for a line (``Run.send_input``)
    or the end of input (``Run.close_input``). ``prompt`` is what ``input(prompt)`` (pdb's
    "(Pdb) " too) printed before it; "" when the program read stdin directly. Only runs made
    with ``Run(..., interactive=True)`` ever wait: the others get EOF at once."""

    prompt: str = ""
    type: ClassVar[str] = "input"


@dataclass(frozen=True, slots=True)
class End(Event):
    """The last event of every run, whatever happened."""

    status: Status = "ok"
    exit_code: int | None = None
    wall: float = 0.0
    peak_memory_mb: float | None = None
    signal: int | None = None
    type: ClassVar[str] = "end"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (Start, Output, Metric, Prediction, Fact, Warning, Error, InputWanted, End)
}
_FIELD_NAMES: dict[type[Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in EVENT_TYPES.values()
}


ERROR_KINDS: frozenset[str] = frozenset(ErrorKind.__args__)  # type: ignore[attr-defined]


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from ``to_dict`` output (e.g. a line of ``fwlearn run --json``).

    Strings are cleaned on the way in (``safe_value``), so a hand-written line is as safe to
    print as one the engine produced.
    """
    data = safe_value(data)
    cls = EVENT_TYPES[data["type"]]
    names = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    for key in ("lines", "rows", "frames"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    return cls(**kwargs)


def finite_or_none(value: Any) -> float | None:
    """Metric values as JSON-safe floats: NaN and infinities become None."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int past 1e308
        return None
    return number if math.isfinite(number) else None
