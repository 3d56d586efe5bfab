"""The runner <-> worker wire protocol: one JSON object per line, each a typed message.

Engine -> worker, on the control pipe: one ``Job``. Worker -> engine, on the event channel:
``Ready`` (the framework is imported), ``StartMessage``, then any number of ``MetricMessage``,
``PredictionMessage``, ``FactMessage``, ``WarningMessage``, ``ErrorMessage``, ``InputMessage``
(the snippet waits on stdin), and ``Done`` last.
``encode`` writes any of them; ``decode`` is the one parser, used for "ready" too.

The event channel is written by learner code as well (``fwlearn.report`` writes to it, and
nothing stops a snippet from writing garbage), so ``decode`` treats every line as hostile:
strings are cleaned (``safe_value``), nesting is capped, every field is checked and given its
type, and anything it cannot use raises (``ValueError``/``TypeError``/``KeyError``/
``RecursionError``); the reader turns that into one warning and goes on. The job is the
engine's own and is not cleaned (cleaning would change the snippet's source).

Imported by ``runtime`` in every snippet, so it stays small: stdlib plus ``output.clean``.
``.venv/bin/python -X importtime -c "import fwlearn.engine.runtime"``, 3 runs on the 2-core
dev box: this module 5.8-6.8 ms with what it imports (``output`` 2.2-2.8 ms of it, and
``json``, which ``runtime`` imported before anyway).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, Literal, TypedDict

from .output import clean

MAX_PREDICTION_ROWS = 50  # rows of one prediction table that travel
MAX_FRAMES = 50  # snippet frames of one error that travel (the innermost: where it failed)
MAX_DEPTH = 20  # nesting a message may have: a prediction row of lists of lists is ~4
MAX_INT = 2**63  # larger integers cannot become a float a chart or ``:.4g`` could use
MAX_PROMPT = 200  # characters of an input prompt that travel (pdb's is "(Pdb) ")
MAX_WHOLE = 2**53  # epochs, steps, pids... past this a float no longer holds them exactly
_LONG_DIGITS = re.compile(rb"\d{19}")  # could be an integer past MAX_INT
SPLITS = ("train", "val", "test")
# A run label (``fwlearn.run_label("sgd")``), as a check's ``run = "sgd"`` and a prose
# reference's ``@sgd`` name it: short, no spaces, nothing a reference grammar would split on.
RUN_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class JobLimits(TypedDict, total=False):
    cpu_seconds: int  # RLIMIT_CPU backstop, should the engine itself be stopped


class _JobInput(TypedDict, total=False):
    """``echo_input`` may be absent (``NotRequired`` is not in python 3.10's typing)."""

    echo_input: bool  # the worker writes what it reads from stdin to stdout, as a tty echoes


class Job(_JobInput):
    """What the worker runs: the engine writes it once, then closes the control pipe."""

    type: Literal["job"]
    run_id: str
    path: str
    source: str
    cwd: str
    threads: int
    limits: JobLimits


class Ready(TypedDict):
    """The worker imported its framework and waits for its job (a warm spare says it early)."""

    type: Literal["ready"]
    import_seconds: float | None


class StartMessage(TypedDict):
    """The job arrived and the snippet is about to run: what it runs on."""

    type: Literal["start"]
    framework: str | None
    python: str
    device: str
    pid: int | None
    keras_backend: str | None
    versions: dict[str, str]
    threads: int | None
    network: str
    sandbox: dict[str, Any] | None  # sandbox.Report: "summary" and one entry per protection


class MetricMessage(TypedDict):
    """``report()``: values as sent (NaN, a string...); the engine decides what is a number."""

    type: Literal["metric"]
    epoch: int | None
    step: int | None
    split: Literal["train", "val", "test"]
    values: dict[str, Any]
    run: str  # the run label in force ("" (or absent on the wire): unlabelled)


class PredictionMessage(TypedDict):
    type: Literal["prediction"]
    rows: list[dict[str, Any]]
    total: int | None
    run: str


class FactMessage(TypedDict):
    type: Literal["fact"]
    name: str
    value: Any
    run: str


class WarningMessage(TypedDict):
    type: Literal["warning"]
    kind: str
    message: str


class SnippetFrame(TypedDict):
    """One traceback frame in the learner's file: its 1-based line and the function's name."""

    line: int
    function: str


class _ErrorFrames(TypedDict, total=False):
    """``frames`` may be absent (``NotRequired`` is not in python 3.10's typing)."""

    frames: list[SnippetFrame]  # in the learner's file, outermost first


class ErrorMessage(_ErrorFrames):
    """Why the snippet failed, as the worker saw it (``kind`` is checked by the engine)."""

    type: Literal["error"]
    kind: str
    message: str
    exc_type: str | None
    traceback: str
    line: int | None


class InputMessage(TypedDict):
    """The snippet reads stdin and nothing is there: it waits for the learner (``stdin``).
    ``prompt`` is what ``input()`` (pdb too) printed before it, "" when it is not known."""

    type: Literal["input"]
    prompt: str


class Done(TypedDict):
    """The worker's last words: its exit code and peak resident memory."""

    type: Literal["done"]
    exit_code: int
    peak_rss_mb: float | None


ChildMessage = (
    Ready
    | StartMessage
    | MetricMessage
    | PredictionMessage
    | FactMessage
    | WarningMessage
    | ErrorMessage
    | InputMessage
    | Done
)
Message = Job | ChildMessage


def encode(message: Message, default: Callable[[Any], Any] | None = None) -> bytes:
    """One line of the wire format. ``default`` converts what JSON cannot hold (tensors)."""
    return (json.dumps(message, default=default) + "\n").encode()


def decode(line: bytes | str) -> Message:
    """Parse, clean and type one line; raises on anything that is not a message we know."""
    raw = line.encode() if isinstance(line, str) else line
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a message fwlearn knows")
    kind = value.get("type")
    if kind == "job":
        return _job(value)
    parse = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parse is None:
        raise ValueError("not a message fwlearn knows")
    return parse(value if _plain(raw) else safe_value(value))


def _plain(line: bytes) -> bool:
    """True when the raw line shows cleaning would change nothing: plain ASCII with no escapes
    (JSON must escape control characters, and bidi controls or surrogates need non-ASCII or
    ``\\u``), no DEL, no integer that long, and fewer brackets than MAX_DEPTH. That is every
    message ``report()`` writes, and the walk was the reader's largest cost in a
    1,000,000-report flood."""
    return (
        line.isascii()
        and b"\\" not in line
        and b"\x7f" not in line
        and line.count(b"[") + line.count(b"{") < MAX_DEPTH
        and not _LONG_DIGITS.search(line)
    )


def load_message(line: bytes) -> Any:
    """``safe_value(json.loads(line))``, skipping the walk when ``_plain`` says it changes
    nothing (for JSON lines that are not protocol messages, e.g. ``fwlearn run --json``)."""
    value = json.loads(line)
    return value if _plain(line) else safe_value(value)


def safe_value(value: Any, depth: int = 0) -> Any:
    """JSON-like data from a run, safe to print: every string (dict keys too) through
    ``output.clean``, integers beyond ``MAX_INT`` as ±inf (so the rules for non-finite numbers
    apply: a metric value None, an epoch refused, null in JSON), anything else that is not JSON
    as its cleaned ``str``. Non-finite floats are kept (a check may ask ``math.isnan``); whoever
    writes strict JSON turns them into null (``fwlearn run --json`` does).

    Raises ValueError past ``MAX_DEPTH`` levels of nesting: the caller drops the message rather
    than recurse into a hostile one (``json.loads`` alone accepts ~1,000 levels here and raises
    RecursionError beyond, which a reader must not die of either).
    """
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if -MAX_INT <= value <= MAX_INT else math.copysign(math.inf, value)
    if depth >= MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        return {clean(str(k)): safe_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe_value(v, depth + 1) for v in value]
    return clean(str(value))


def whole(value: Any, name: str) -> int | None:
    """An integer field (epoch, step, pid...), or None when absent.

    ``int(float("inf"))`` raised OverflowError inside the reader once; a huge epoch crashed
    the app's chart. Anything that is not a finite whole number within 2**53 is refused.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} is {value}")
    if abs(value) > MAX_WHOLE:
        raise ValueError(f"{name} is out of range")
    return int(value)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _job(m: dict[str, Any]) -> Job:
    limits = m.get("limits") or {}
    if not isinstance(limits, dict):
        raise TypeError("job limits are not a mapping")
    job_limits: JobLimits = {}
    if limits.get("cpu_seconds"):
        job_limits["cpu_seconds"] = int(limits["cpu_seconds"])
    job = Job(
        type="job",
        run_id=str(m.get("run_id", "")),
        path=str(m["path"]),
        source=str(m["source"]),
        cwd=str(m["cwd"]),
        threads=int(m.get("threads") or 1),
        limits=job_limits,
    )
    if m.get("echo_input"):
        job["echo_input"] = True
    return job


def _ready(m: dict[str, Any]) -> Ready:
    return Ready(type="ready", import_seconds=_finite(m.get("import_seconds")))


def _start(m: dict[str, Any]) -> StartMessage:
    sandbox = m.get("sandbox")
    return StartMessage(
        type="start",
        framework=_optional_str(m.get("framework")),
        python=str(m.get("python", "")),
        device=str(m.get("device", "cpu")),
        pid=whole(m.get("pid"), "pid"),
        keras_backend=_optional_str(m.get("keras_backend")),
        versions={str(k): str(v) for k, v in dict(m.get("versions") or {}).items()},
        threads=whole(m.get("threads"), "threads"),
        network=str(m.get("network") or ""),
        sandbox=dict(sandbox) if isinstance(sandbox, dict) else None,
    )


def _metric(m: dict[str, Any]) -> MetricMessage:
    values = m.get("values") or {}
    if not isinstance(values, dict):
        raise TypeError("metric values are not a mapping")
    split = str(m.get("split"))
    return MetricMessage(
        type="metric",
        epoch=whole(m.get("epoch"), "epoch"),
        step=whole(m.get("step"), "step"),
        split=split if split in SPLITS else "train",  # type: ignore[typeddict-item]
        values={str(k): v for k, v in values.items()},
        run=_run_label(m),
    )


def _prediction(m: dict[str, Any]) -> PredictionMessage:
    rows = [dict(row) for row in list(m.get("rows") or [])[:MAX_PREDICTION_ROWS]]
    return PredictionMessage(
        type="prediction", rows=rows, total=whole(m.get("total"), "total"), run=_run_label(m)
    )


def _fact(m: dict[str, Any]) -> FactMessage:
    return FactMessage(type="fact", name=str(m["name"]), value=m.get("value"), run=_run_label(m))


def _run_label(m: dict[str, Any]) -> str:
    """The message's run label; one that breaks the grammar is refused like any bad field."""
    run = m.get("run") or ""
    if run and (not isinstance(run, str) or not RUN_LABEL.match(run)):
        raise ValueError(f"bad run label {str(run)[:70]!r}")
    return str(run)


def _warning(m: dict[str, Any]) -> WarningMessage:
    return WarningMessage(
        type="warning", kind=str(m.get("kind", "")), message=str(m.get("message", ""))
    )


def _error(m: dict[str, Any]) -> ErrorMessage:
    line = m.get("line")
    error = ErrorMessage(
        type="error",
        kind=str(m.get("kind", "exception")),
        message=str(m.get("message", "")),
        exc_type=_optional_str(m.get("exc_type")),
        traceback=str(m.get("traceback") or ""),
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
    )
    if "frames" in m:
        error["frames"] = _frames(m["frames"])
    return error


def _frames(value: Any) -> list[SnippetFrame]:
    """The innermost ``MAX_FRAMES`` well-formed frames; a bad frame is skipped, not fatal: the
    error it came with must still reach the learner."""
    if not isinstance(value, list):
        raise TypeError("error frames are not a list")
    frames: list[SnippetFrame] = []
    for item in value[-MAX_FRAMES:]:
        line = item.get("line") if isinstance(item, dict) else None
        if isinstance(line, int) and not isinstance(line, bool) and 0 < line <= MAX_WHOLE:
            frames.append(SnippetFrame(line=line, function=str(item.get("function") or "")))
    return frames


def _input(m: dict[str, Any]) -> InputMessage:
    return InputMessage(type="input", prompt=str(m.get("prompt") or "")[:MAX_PROMPT])


def _done(m: dict[str, Any]) -> Done:
    return Done(
        type="done",
        exit_code=whole(m.get("exit_code"), "exit_code") or 0,
        peak_rss_mb=_finite(m.get("peak_rss_mb")),
    )


_PARSERS: dict[str, Callable[[dict[str, Any]], ChildMessage]] = {
    "ready": _ready,
    "start": _start,
    "metric": _metric,
    "prediction": _prediction,
    "fact": _fact,
    "warning": _warning,
    "error": _error,
    "input": _input,
    "done": _done,
}
