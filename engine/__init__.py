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
    "run_label": "runtime",
}
__all__ = sorted(_EXPORTS)

# `import X as X`: an explicit re-export, so type checkers see these names as the package's.
if TYPE_CHECKING:
    from .environment import default_threads as default_threads
    from .events import End as End
    from .events import Error as Error
    from .events import Event as Event
    from .events import Fact as Fact
    from .events import Metric as Metric
    from .events import Output as Output
    from .events import Prediction as Prediction
    from .events import Start as Start
    from .events import Warning as Warning
    from .events import event_from_dict as event_from_dict
    from .pool import SpareKey as SpareKey
    from .pool import WarmPool as WarmPool
    from .result import RunResult as RunResult
    from .runner import Run as Run
    from .runner import run_async as run_async
    from .runner import run_sync as run_sync
    from .runtime import report as report
    from .runtime import report_fact as report_fact
    from .runtime import report_predictions as report_predictions
    from .runtime import run_label as run_label
    from .spec import RunSpec as RunSpec
    from .spec import UsageError as UsageError
    from .spec import infer_framework as infer_framework


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
