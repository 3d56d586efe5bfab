"""What the app knows about one side's latest run, folded from engine events (no textual here).

The screen feeds every event to ``SideRun.apply`` and pushes the result down to the widgets.
Output events are not kept: a flooding snippet would grow memory without bound, and neither the
check nor the comparison needs them (the log widget keeps its own capped copy).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fwlearn.engine.events import End, Event, Fact, Metric, Output
from fwlearn.engine.runner import RunResult

RUNNING = "running"
IDLE = "idle"


@dataclass
class SideRun:
    """One side's current or last run."""

    side: str
    state: str = IDLE  # idle | running | ok | failed | cancelled | timeout
    started_at: float = 0.0  # time.monotonic() when the run began
    end: End | None = None
    epochs: dict[int, dict[str, float | None]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    loc: int = 0
    events: list[Event] = field(default_factory=list)

    def begin(self, source: str) -> None:
        """Forget the previous run and start timing a new one."""
        self.state = RUNNING
        self.started_at = time.monotonic()
        self.end = None
        self.epochs = {}
        self.facts = {}
        self.events = []
        self.loc = lines_of_code(source)

    def apply(self, event: Event) -> None:
        """Fold one event in; returns nothing, the caller decides what to repaint."""
        if isinstance(event, Output):
            return
        self.events.append(event)
        if isinstance(event, Metric):
            if event.step is None and event.epoch is not None:
                prefix = "" if event.split == "train" else f"{event.split}_"
                row = self.epochs.setdefault(event.epoch, {})
                for name, value in event.values.items():
                    row[prefix + name] = value
        elif isinstance(event, Fact):
            self.facts[event.name] = event.value
        elif isinstance(event, End):
            self.end = event
            self.state = event.status

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def elapsed(self) -> float:
        """Seconds the run took (or has taken so far)."""
        if self.end is not None:
            return self.end.wall
        return time.monotonic() - self.started_at if self.started_at else 0.0

    def series(self, metric: str) -> list[tuple[int, float]]:
        """``(epoch, value)`` points of one metric, skipping NaN/inf (sent as None)."""
        return [
            (epoch, row[metric])  # type: ignore[misc]
            for epoch, row in sorted(self.epochs.items())
            if row.get(metric) is not None
        ]

    def result(self) -> RunResult | None:
        """The engine's view of the finished run, for the exercise check."""
        return RunResult(list(self.events)) if self.end is not None else None

    def final_metrics(self) -> dict[str, float | None]:
        result = self.result()
        return result.final_metrics() if result is not None else {}

    @property
    def time_per_epoch(self) -> float | None:
        """Wall time over epochs; includes start-up, which is part of what a learner waits for."""
        if self.end is None or not self.epochs:
            return None
        return self.end.wall / len(self.epochs)


def lines_of_code(source: str) -> int:
    """Non-blank lines that are not only a comment: the count the comparison panel shows."""
    return sum(
        1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#")
    )
