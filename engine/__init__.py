"""fwlearn's execution engine: run a snippet in a fresh, limited child process, stream events.

Stdlib and numpy only; never textual/rich, never torch/tensorflow in this process. Names are
loaded lazily so that a snippet doing ``from fwlearn import report`` pays for nothing else.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Event": "events",
    "Start": "events",
    "Output": "events",
    "Metric": "events",
    "Prediction": "events",
    "Fact": "events",
    "Warning": "events",
    "Error": "events",
    "End": "events",
    "event_from_dict": "events",
    "Run": "runner",
    "RunSpec": "spec",
    "RunResult": "result",
    "UsageError": "spec",
    "run_sync": "runner",
    "run_async": "runner",
    "infer_framework": "spec",
    "default_threads": "environment",
    "WarmPool": "pool",
    "SpareKey": "pool",
    "report": "runtime",
    "report_predictions": "runtime",
    "report_fact": "runtime",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .environment import default_threads  # noqa: F401
    from .events import (  # noqa: F401
        End,
        Error,
        Event,
        Fact,
        Metric,
        Output,
        Prediction,
        Start,
        Warning,
        event_from_dict,
    )
    from .pool import SpareKey, WarmPool  # noqa: F401
    from .result import RunResult  # noqa: F401
    from .runner import Run, run_async, run_sync  # noqa: F401
    from .runtime import report, report_fact, report_predictions  # noqa: F401
    from .spec import RunSpec, UsageError, infer_framework  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
