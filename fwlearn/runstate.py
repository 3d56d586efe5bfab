"""What the app knows about one side's latest run, folded from engine events (no textual here).

The screen feeds every event to ``SideRun.apply`` and pushes the result down to widgets.
Output events are not kept: a flooding snippet would grow memory without bound, and neither the
check nor the comparison needs them (the log widget keeps its own capped copy). The rest is
bounded too: the run's events go into a ``RunResult`` (which thins metrics and keeps the latest
fact values and predictions), and the chart rows keep at most ``MAX_EPOCH_ROWS`` epochs, thinned
evenly (``history.Thinning``) with the first and the latest always there.

``apply`` is the per-event hot path of a run that reports a million times, so it does O(1) work
per metric: ``series`` is kept up to date as rows arrive instead of being re-sorted from all
epochs on each call (which kept the app "running" for 235 s after a short many-epoch run ended).
Measured with ``.venv/bin/python bench/report_flood.py --only app esc`` (80x24, Pilot): from
the snippet's last report to the side showing "ok", 10.25 s already at 5,000 reports before
(20,000 had not ended after 400 s), 0.28 s at 1,000,000 now, app RSS 58 -> 65 MB; Esc during
an endless flood showed "cancelled" in 0.6 s (before: not within 240 s).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from fwlearn.engine.events import End, Event, Fact, Metric, Output
from fwlearn.engine.history import Thinning
from fwlearn.engine.runner import RunResult
from fwlearn.engine.spec import RunSpec
from fwlearn.series import series_name


class EngineRun(Protocol):
    """What the Runner uses of a run: ``fwlearn.engine.Run`` is one, and so is a test's
    ``fwlearn.engine.scripted.ScriptedRun``."""

    def events(self) -> AsyncIterator[Event]: ...

    def cancel(self) -> None: ...

    def readiness(self) -> str:
        """ "ready", "warming up" (a spare still importing) or "cold" (``WarmPool.readiness``)."""
        ...


class Engine(Protocol):
    """Where the app's runs come from (``FwlearnApp(engine=...)``; the real engine when none
    is given). ``run`` raises ``UsageError`` for a spec the engine refuses."""

    def run(self, spec: RunSpec) -> EngineRun: ...


RUNNING = "running"
NOT_RUN = "idle"  # the state before a side's first run
MAX_EPOCH_ROWS = 2_000  # the chart draws <= 2 points per column; a check needs only the last


@dataclass
class SideRun:
    """One side's current or last run."""

    side: str
    state: str = NOT_RUN  # idle | running | ok | failed | cancelled | timeout
    started_at: float = 0.0  # time.monotonic() when the run began
    end: End | None = None
    # Metrics by epoch ("loss", "val_loss", ...): thinned past MAX_EPOCH_ROWS epochs.
    epochs: dict[int, dict[str, float | None]] = field(default_factory=dict)
    epoch_count: int = 0  # distinct epochs reported, thinned or not
    facts: dict[str, Any] = field(default_factory=dict)
    loc: int = 0
    _result: RunResult = field(default_factory=RunResult, repr=False)
    _series: dict[str, list[tuple[int, float]]] = field(default_factory=dict, repr=False)
    _thinning: Thinning = field(default_factory=lambda: Thinning(MAX_EPOCH_ROWS), repr=False)
    _index: dict[int, int] = field(default_factory=dict, repr=False)  # epoch -> arrival index
    _latest: int | None = field(default=None, repr=False)  # the epoch that arrived last

    def begin(self, source: str) -> None:
        """Forget the previous run and start timing a new one."""
        self.state = RUNNING
        self.started_at = time.monotonic()
        self.end = None
        self.epochs = {}
        self.epoch_count = 0
        self.facts = {}
        self._result = RunResult()
        self._series = {}
        self._thinning = Thinning(MAX_EPOCH_ROWS)
        self._index = {}
        self._latest = None
        self.loc = lines_of_code(source)

    def apply(self, event: Event) -> None:
        """Fold one event in; returns nothing, the caller decides what to repaint."""
        if isinstance(event, Output):
            return
        self._result.add(event)
        if isinstance(event, Metric):
            if event.step is None and event.epoch is not None:
                prefix = "" if event.split == "train" else f"{event.split}_"
                row = self._row(event.epoch)
                for name, value in event.values.items():
                    row[prefix + name] = value
                    # Per run label: two labelled fits are two series (fwlearn/series.py).
                    self._set_point(series_name(prefix + name, event.run), event.epoch, value)
        elif isinstance(event, Fact):
            self.facts[event.name] = event.value
        elif isinstance(event, End):
            self.end = event
            self.state = event.status

    def _row(self, epoch: int) -> dict[str, float | None]:
        """The row for ``epoch``, making room by thinning when it is a new one."""
        row = self.epochs.get(epoch)
        if row is not None:
            return row
        self.epoch_count += 1
        thinning = self._thinning
        latest = self._latest
        if latest is not None and not thinning.keeps(self._index[latest]):
            self._drop_epoch(latest)  # it was kept only while it was the latest
        index = thinning.arrive()
        if thinning.over():
            thinning.halve()
            for old in [e for e, i in self._index.items() if not thinning.keeps(i)]:
                self._drop_epoch(old)
        self._index[epoch] = index
        self._latest = epoch
        row = self.epochs[epoch] = {}
        return row

    def _drop_epoch(self, epoch: int) -> None:
        self.epochs.pop(epoch, None)
        self._index.pop(epoch, None)
        for points in self._series.values():
            self._set_in(points, epoch, None)

    def _set_point(self, name: str, epoch: int, value: float | None) -> None:
        points = self._series.setdefault(name, [])
        if value is not None and (not points or points[-1][0] < epoch):
            points.append((epoch, value))  # the usual case: epochs arrive in order
        else:
            self._set_in(points, epoch, value)

    @staticmethod
    def _set_in(points: list[tuple[int, float]], epoch: int, value: float | None) -> None:
        """Put ``(epoch, value)`` in its sorted place (None removes the point)."""
        at = bisect.bisect_left(points, epoch, key=lambda point: point[0])
        present = at < len(points) and points[at][0] == epoch
        if value is None:
            if present:
                del points[at]
        elif present:
            points[at] = (epoch, value)
        else:
            points.insert(at, (epoch, value))

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
        """``(epoch, value)`` points of one metric in epoch order, skipping NaN/inf (sent as
        None). The live list, updated in place as metrics arrive: read it, do not change it.
        ``metric`` is a series name: ``loss``, or ``loss@sgd`` under ``run_label("sgd")``."""
        return self._series.get(metric, [])

    @property
    def series_names(self) -> list[str]:
        """Every series reported so far (``loss``, ``val_loss``, ``loss@sgd``...)."""
        return list(self._series)

    def result(self) -> RunResult | None:
        """The engine's view of the finished run, for the exercise check."""
        return self._result if self.end is not None else None

    def final_metrics(self) -> dict[str, float | None]:
        result = self.result()
        return result.final_metrics() if result is not None else {}

    @property
    def time_per_epoch(self) -> float | None:
        """Wall time over epochs; includes start-up, which is part of what a learner waits for."""
        if self.end is None or not self.epoch_count:
            return None
        return self.end.wall / self.epoch_count


def lines_of_code(source: str) -> int:
    """Non-blank lines that are not only a comment: the count the comparison panel shows."""
    return sum(
        1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#")
    )
