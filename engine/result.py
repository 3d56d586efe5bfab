"""A finished run's events, bounded: ``RunResult``, what the CLI, checks and tests read.

Imports no framework and no process code, so a reader of results pays for neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .events import End, Error, Event, Fact, Metric, Output, Prediction, Start, Warning
from .history import Thinning

# What a RunResult keeps (see RunResult): the rest is counted in ``dropped``.
MAX_KEPT_METRICS = 2_000  # epochs with their metrics, evenly thinned (and as many batch points)
MAX_KEPT_FACTS = 1_000  # distinct fact names; a name reported again replaces its old value
MAX_KEPT_NOTES = 200  # warnings, and errors, each
MAX_KEPT_RUNS = 100  # distinct run labels whose finals and facts are kept apart


@dataclass
class _Groups:
    """Metric events grouped by position (epoch, step), thinned as one series."""

    thinning: Thinning = field(default_factory=lambda: Thinning(MAX_KEPT_METRICS))
    position: object = None  # (epoch, step) of the latest group
    index: int = -1  # the latest group's arrival index
    members: list[Metric] = field(default_factory=list)  # the latest group's events
    index_of: dict[int, int] = field(default_factory=dict)  # id(kept event) -> group index


@dataclass
class RunResult:
    """Everything a finished run produced, with the views tests and the CLI ask for.

    Bounded, so a run that reports a million times cannot exhaust the CLI's or the app's
    memory. 1,000,000 ``report(epoch=i, loss=...)`` calls, peak RSS of ``fwlearn run``: 518 MB
    when every event was kept, 38 MB now (``--json``: 510 -> 36 MB; ``.venv/bin/python
    bench/report_flood.py --only cli``, which measures it as ``/usr/bin/time`` does). Metric
    events are kept per epoch (all splits of one epoch together) for at most
    ``MAX_KEPT_METRICS`` epochs, thinned evenly over the run with the first and the latest
    epoch always kept (``history.Thinning``); batch metrics likewise. ``final_metrics`` still
    sees every value. Only the latest prediction table and the latest value of each fact are
    kept, at most ``MAX_KEPT_FACTS`` names and ``MAX_KEPT_NOTES`` warnings and errors. Output is
    kept whole: the engine caps it per stream (``reading.MAX_OUTPUT_CHARS``). ``dropped`` counts
    the events left out. Build one incrementally with ``add`` or from a list of events.
    """

    events: list[Event] = field(default_factory=list)
    dropped: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        given, self.events = self.events, []
        self._final: dict[str, float | None] = {}
        # Per run label ("" = unlabelled), in order of first appearance: finals and facts.
        self._run_final: dict[str, dict[str, float | None]] = {}
        self._run_facts: dict[str, dict[str, Any]] = {}
        self._labels: dict[str, None] = {}  # every label seen, in order (a dict keeps order)
        self._groups = {True: _Groups(), False: _Groups()}  # by "is an epoch metric"
        self._facts: dict[str, Fact] = {}
        self._prediction: Prediction | None = None
        self._notes = {"warning": 0, "error": 0}
        for event in given:
            self.add(event)

    def add(self, event: Event) -> None:
        """Keep ``event`` (or count it in ``dropped``), within the caps above."""
        if isinstance(event, Metric):
            self._add_metric(event)
            return
        if isinstance(event, Fact):
            self._keep_for_run(self._run_facts, event.run, {event.name: event.value})
            previous = self._facts.get(event.name)
            if previous is None and len(self._facts) >= MAX_KEPT_FACTS:
                self.dropped += 1
                return
            if previous is not None:
                self._remove([previous])
            self._facts[event.name] = event
        elif isinstance(event, Prediction):
            if self._prediction is not None:
                self._remove([self._prediction])
            self._prediction = event
        elif isinstance(event, (Warning, Error)):
            if self._notes[event.type] >= MAX_KEPT_NOTES:
                self.dropped += 1
                return
            self._notes[event.type] += 1
        self.events.append(event)

    def _add_metric(self, metric: Metric) -> None:
        if metric.step is None:
            prefix = "" if metric.split == "train" else f"{metric.split}_"
            named = {prefix + name: value for name, value in metric.values.items()}
            self._final.update(named)
            self._keep_for_run(self._run_final, metric.run, named)
        groups = self._groups[metric.step is None]
        position: object = (metric.epoch, metric.step)
        if metric.epoch is None and metric.step is None:
            position = object()  # no position: each report is its own point
        if position != groups.position:
            thinning = groups.thinning
            if groups.members and not thinning.keeps(groups.index):
                self._remove(groups.members)  # it was kept only while it was the latest
            groups.position, groups.index, groups.members = position, thinning.arrive(), []
            if thinning.over():
                thinning.halve()
                self._compact(groups)
        groups.members.append(metric)
        groups.index_of[id(metric)] = groups.index
        self.events.append(metric)

    def _keep_for_run(
        self, table: dict[str, dict[str, Any]], run: str, values: dict[str, Any]
    ) -> None:
        """Record ``values`` under their run label, within MAX_KEPT_RUNS labels and
        MAX_KEPT_FACTS names per label (the whole-program views keep working past them)."""
        if run not in self._labels:
            if len(self._labels) >= MAX_KEPT_RUNS:
                return
            self._labels[run] = None
        kept = table.setdefault(run, {})
        for name, value in values.items():
            if name in kept or len(kept) < MAX_KEPT_FACTS:
                kept[name] = value

    def _compact(self, groups: _Groups) -> None:
        """Drop the metric events of ``groups`` that the doubled stride no longer keeps."""
        keeps, index_of = groups.thinning.keeps, groups.index_of
        kept: list[Event] = []
        for event in self.events:
            index = index_of.get(id(event)) if isinstance(event, Metric) else None
            if index is None or keeps(index):
                kept.append(event)
            else:
                del index_of[id(event)]
                self.dropped += 1
        self.events = kept

    def _remove(self, gone: Sequence[Event]) -> None:
        """Remove these events, looking from the end (they are recent, so this is short)."""
        if len(gone) == 1 and self.events and self.events[-1] is gone[0]:
            self.events.pop()  # the usual case: the previous epoch, right before this one
            self.dropped += 1
            for groups in self._groups.values():
                groups.index_of.pop(id(gone[0]), None)
            return
        ids = {id(event) for event in gone}
        for position in range(len(self.events) - 1, -1, -1):
            event = self.events[position]
            if id(event) in ids:
                del self.events[position]
                ids.discard(id(event))
                self.dropped += 1
                for groups in self._groups.values():
                    groups.index_of.pop(id(event), None)
                if not ids:
                    return

    @property
    def end(self) -> End:
        return next(e for e in reversed(self.events) if isinstance(e, End))

    @property
    def start(self) -> Start:
        return next(e for e in self.events if isinstance(e, Start))

    @property
    def ok(self) -> bool:
        return self.end.status == "ok"

    @property
    def error(self) -> Error | None:
        return next((e for e in self.events if isinstance(e, Error)), None)

    @property
    def metrics(self) -> list[Metric]:
        return [e for e in self.events if isinstance(e, Metric)]

    def epoch_metrics(self, split: str = "train") -> list[Metric]:
        return [m for m in self.metrics if m.step is None and m.split == split]

    def final_metrics(self, run: str | None = None) -> dict[str, float | None]:
        """The last reported value of each metric, val/test ones prefixed as Keras names them
        (from every metric reported, thinned or not).

        ``run=None``: whatever run reported it last (so the final value of the LAST run that
        reported the metric); a label: only what was reported under ``fwlearn.run_label(run)``
        (``""``: the unlabelled reports).
        """
        if run is None:
            return dict(self._final)
        return dict(self._run_final.get(run, {}))

    @property
    def facts(self) -> dict[str, Any]:
        """Each fact's last value, whatever run label it was reported under."""
        return {name: fact.value for name, fact in self._facts.items()}

    def run_facts(self, run: str) -> dict[str, Any]:
        """The facts reported under ``fwlearn.run_label(run)`` (the last value of each)."""
        return dict(self._run_facts.get(run, {}))

    @property
    def runs(self) -> tuple[str, ...]:
        """The run labels the program used, in order of first appearance ("" left out)."""
        return tuple(run for run in self._labels if run)

    @property
    def predictions(self) -> Prediction | None:
        return self._prediction

    def lines(self, stream: str | None = None) -> list[str]:
        return [
            line
            for e in self.events
            if isinstance(e, Output) and not e.partial and (stream is None or e.stream == stream)
            for line in e.lines
        ]

    @property
    def stdout(self) -> str:
        return "\n".join(self.lines("stdout"))

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines("stderr"))
