"""ComparisonPanel: the two sides' runs next to each other, in numbers, facts included.

Every cell is a ``rich.text.Text``: a Rich table renders plain ``str`` cells as markup, and a
fact value such as ``"[/]"`` from the learner's program raised MarkupError and took the app down.

FORMAT.md promises that ``report_fact`` values reach "the comparison panel"; it showed only
``params``. Now every fact either side reported gets a row (one per name, ``—`` for the side that
did not report it), and so does every final metric, not only the six Keras names. Facts are
shown as they arrive, not only at a run's end: ``refresh_soon`` sets a flag and one timer
redraws at most every ``REDRAW_DELAY`` s, so a program reporting a fact per batch costs one
table a quarter second, not one per fact. Values are the learner's: each is cut to
``MAX_CELL`` characters on one line, and past ``MAX_FACT_ROWS`` names a row says how many more.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from fwlearn.frameworks import SIDE_LABELS
from fwlearn.runstate import SideRun

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")
NO_VALUE = "—"  # a side that did not report the value (or has not run)
MAX_CELL = 48  # characters of one value; at 80 columns each side's column gets ~30
MAX_FACT_ROWS = 40
REDRAW_DELAY = 0.25
HIDDEN_FACTS = frozenset({"params"})  # has its own row ("parameters", with thousands separators)
NOT_COMPARED = "Run both sides (F7) to compare them here."


class ComparisonPanel(Static):
    """The screen calls ``show(keras_run, pytorch_run)`` after each run and ``refresh_soon``
    with the same runs as facts arrive; ``complete`` once both sides have finished."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(NOT_COMPARED, id=id)
        self.complete = False
        self.fact_names: list[str] = []  # the fact rows shown, in order
        self._pending: tuple[SideRun, SideRun] | None = None
        self._timer: Timer | None = None

    def refresh_soon(self, keras: SideRun, pytorch: SideRun) -> None:
        """A fact arrived: redraw within ``REDRAW_DELAY`` s (once, however many arrive)."""
        self._pending = (keras, pytorch)
        if self._timer is None:
            self._timer = self.set_timer(REDRAW_DELAY, self._redraw_pending)

    def _redraw_pending(self) -> None:
        self._timer = None
        if self._pending is not None:
            self.show(*self._pending)

    def show(self, keras: SideRun, pytorch: SideRun) -> None:
        self._pending = None
        runs = (keras, pytorch)
        if all(run.end is None and not run.facts for run in runs):
            return
        table = Table(expand=True, box=None, pad_edge=False, header_style="bold")
        table.add_column("", overflow="fold")
        table.add_column(SIDE_LABELS["keras"], justify="right", no_wrap=True, overflow="ellipsis")
        table.add_column(SIDE_LABELS["pytorch"], justify="right", no_wrap=True, overflow="ellipsis")

        def row(label: str, *cells: str, style: str = "") -> None:
            if cells and all(cell == NO_VALUE for cell in cells):
                return  # neither side has it: 80x24 has no line to spare
            table.add_row(Text(label, style=style), *(_cell(cell) for cell in cells))

        row("status", *(_status(run) for run in runs))
        row("wall time", *(_secs(run.end.wall if run.end else None) for run in runs))
        row("time/epoch", *(_secs(run.time_per_epoch) for run in runs))
        row("epochs", *(str(run.epoch_count) if run.epoch_count else NO_VALUE for run in runs))
        finals = [run.final_metrics() for run in runs]
        for name in metric_names(finals):
            row(name, *(_num(final.get(name)) for final in finals))
        row("parameters", *(_int(run.facts.get("params")) for run in runs))
        row("lines of code", *(str(run.loc) if run.loc else NO_VALUE for run in runs))
        peak = [run.end.peak_memory_mb if run.end else None for run in runs]
        row("peak memory", *(f"{p:.0f} MB" if p else NO_VALUE for p in peak))
        names = fact_names(keras.facts, pytorch.facts)
        self.fact_names = names[:MAX_FACT_ROWS]
        if names:
            row("facts (report_fact)", "", "", style="bold")
        for name in self.fact_names:
            row(
                f" {_line(name)}",
                *(fact_text(run.facts[name]) if name in run.facts else NO_VALUE for run in runs),
            )
        if len(names) > MAX_FACT_ROWS:
            row(f" … {len(names) - MAX_FACT_ROWS} more", "", "", style="dim")
        self.complete = all(run.end is not None for run in runs)
        self.update(table)


def metric_names(finals: list[dict[str, float | None]]) -> list[str]:
    """The final metrics either side has a value for: the usual six first, then the others in
    the order the runs reported them."""
    seen = [name for final in finals for name, value in final.items() if value is not None]
    others = [name for name in dict.fromkeys(seen) if name not in METRICS]
    return [name for name in METRICS if name in seen] + others


def fact_names(keras: dict[str, Any], pytorch: dict[str, Any]) -> list[str]:
    """One name per fact either side reported, Keras's order first, then PyTorch's new ones."""
    return [name for name in dict.fromkeys([*keras, *pytorch]) if name not in HIDDEN_FACTS]


def fact_text(value: Any) -> str:
    """A fact's value as the learner would write it: floats to 6 significant digits (enough to
    tell 0.0411 from 0.0425), sequences and mappings as JSON, strings as they are."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, allow_nan=True)
    except (TypeError, ValueError):  # a circular or otherwise odd structure: say what it is
        return repr(value)


def _line(text: str) -> str:
    """One line of at most ``MAX_CELL`` characters: a newline in a fact would break the row."""
    flat = " ".join(text.splitlines()) if "\n" in text or "\r" in text else text
    return flat if len(flat) <= MAX_CELL else flat[: MAX_CELL - 1] + "…"


def _cell(value: str) -> Text:
    return Text(_line(value))


def _status(run: SideRun) -> str:
    return run.state if run.end is not None or run.running else "not run"


def _secs(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.2f} s"


def _num(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.4f}"


def _int(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return NO_VALUE if value is None else _line(str(value))
