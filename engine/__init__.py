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
    "RunSpec": "runner",
    "RunResult": "runner",
    "UsageError": "runner",
    "run_sync": "runner",
    "run_async": "runner",
    "infer_framework": "runner",
    "default_threads": "runner",
    "WarmPool": "pool",
    "SpareKey": "pool",
    "report": "runtime",
    "report_predictions": "runtime",
    "report_fact": "runtime",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
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
    from .runner import (  # noqa: F401
        Run,
        RunResult,
        RunSpec,
        UsageError,
        default_threads,
        infer_framework,
        run_async,
        run_sync,
    )
    from .runtime import report, report_fact, report_predictions  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
