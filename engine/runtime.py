"""The snippet side: ``report``, ``report_predictions``, ``report_fact`` and ``run_label``.

A lesson file calls these the same way whether it runs inside fwlearn or under plain
``python file.py``. Inside fwlearn the engine passes an extra pipe in ``FWLEARN_EVENT_FD``
and each call writes one JSON line to it; outside, the variable is unset and every call is a
silent no-op. Messages never go through stdout, so whatever the snippet prints cannot corrupt
them. Stdlib and ``protocol`` only: importing this must cost next to nothing in a snippet.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Iterable
from typing import Any

from .protocol import (
    MAX_PREDICTION_ROWS,
    RUN_LABEL,
    ChildMessage,
    FactMessage,
    MetricMessage,
    PredictionMessage,
    encode,
)

ENV_FD = "FWLEARN_EVENT_FD"

_lock = threading.Lock()
_fd: int | None = None
_fd_pid: int | None = None
_label = ""  # the run label in force (``run_label``); "" = unlabelled


def active() -> bool:
    """True when running under the fwlearn engine (so reports go somewhere)."""
    return _channel() is not None


def _channel() -> int | None:
    global _fd, _fd_pid
    if _fd_pid == os.getpid():
        return _fd
    raw = os.environ.get(ENV_FD)
    fd: int | None = None
    if raw and raw.isdigit():
        fd = int(raw)
        try:
            os.fstat(fd)
        except OSError:
            fd = None
    _fd, _fd_pid = fd, os.getpid()
    return fd


def send(message: ChildMessage) -> None:
    """Write one message to the event channel (the worker uses this too)."""
    fd = _channel()
    if fd is None:
        return
    data = encode(message, default=_jsonable)
    with _lock:
        try:
            while data:
                written = os.write(fd, data)
                data = data[written:]
        except OSError:
            pass  # the engine went away; the snippet should not die because of it


def run_label(label: str) -> None:
    """Label everything reported from now on, until the next call: ``run_label("sgd")``.

    Every report carries the label in force, Keras' automatic fit/evaluate reports too
    (``keras_hook`` calls ``report``). A program that trains twice (two optimisers, before/after a fix) names each run, so a
    lesson check (``run = "sgd"``) and the prose (``{keras.metric.loss@sgd}``) can say which
    run's value they mean; ``run_label("")`` goes back to unlabelled. Checked even outside
    fwlearn, so a bad label fails under plain ``python`` too, where the author tries it.
    """
    global _label
    if not isinstance(label, str) or (label and not RUN_LABEL.match(label)):
        raise ValueError(
            f'run_label needs letters, digits, "_", "-" or "." (at most 64), not {label!r}'
        )
    _label = label


def report(
    epoch: int | None = None,
    step: int | None = None,
    split: str | None = None,
    **values: Any,
) -> None:
    """Report metrics, e.g. ``report(epoch=3, loss=0.41, accuracy=0.88, val_loss=0.45)``.

    ``val_``-prefixed names go to a separate validation series, as Keras names them, so both
    frameworks land on the same chart. Tensors and NumPy scalars are accepted as values.
    """
    if _channel() is None:
        return
    groups: dict[str, dict[str, float | None]] = {}
    for name, value in values.items():
        target = split or "train"
        if split is None and name.startswith("val_"):
            target, name = "val", name[4:]
        groups.setdefault(target, {})[name] = _number(value)
    for target, group in groups.items():
        send(
            MetricMessage(
                type="metric",
                epoch=_int_or_none(epoch),
                step=_int_or_none(step),
                split=target,  # type: ignore[typeddict-item]  # the engine checks it
                values=group,
                run=_label,
            )
        )


def report_predictions(
    inputs: Any,
    predicted: Any,
    actual: Any = None,
    *,
    limit: int = 20,
) -> None:
    """Send a small predictions table (first ``limit`` rows, at most 50) to the app."""
    if _channel() is None:
        return
    predicted_rows = _rows(predicted)
    input_rows = _rows(inputs)
    actual_rows = _rows(actual) if actual is not None else [None] * len(predicted_rows)
    limit = max(0, min(int(limit), MAX_PREDICTION_ROWS))
    rows = [
        {"input": _round(x), "predicted": _round(p), "actual": _round(a)}
        for x, p, a in zip(
            input_rows[:limit], predicted_rows[:limit], actual_rows[:limit], strict=False
        )
    ]
    send(PredictionMessage(type="prediction", rows=rows, total=len(predicted_rows), run=_label))


def report_fact(name: str, value: Any) -> None:
    """Report a named value (a shape, a count, a final accuracy) that a lesson check can use."""
    if _channel() is None:
        return
    send(FactMessage(type="fact", name=str(name), value=_jsonable(value), run=_label))


def _rows(values: Any) -> list[Any]:
    values = _jsonable(values)
    if isinstance(values, Iterable) and not isinstance(values, (str, bytes, dict)):
        return list(values)
    return [values]


def _jsonable(value: Any) -> Any:
    """Tensors, arrays and NumPy scalars to plain Python, without importing any framework."""
    if callable(getattr(value, "detach", None)) and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu()
    if hasattr(value, "numpy") and callable(value.numpy) and not isinstance(value, type):
        with contextlib.suppress(Exception):
            value = value.numpy()
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _number(value: Any) -> float | None:
    value = _jsonable(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number  # NaN travels as NaN: the engine turns it into a warning event


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(_jsonable(value))


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 4)
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value
