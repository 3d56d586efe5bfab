"""The History view (``H``): a lesson's recorded runs per side, overlaid on the chart or compared.

Why: each run replaced the previous one on screen, so "what changed since my last edit?" could
not be answered in the app. This screen lists the runs the store keeps (``fwlearn/
store_history.py``), Keras first then PyTorch, newest first: when, status, the final val/test
metrics and whether the code changed since that side's run before. Enter draws the run's
loss/accuracy beside the current lines on the chart (``Results.overlay``; ``c`` takes it off);
Space marks a run, and with two marked their metrics and facts are shown side by side.
Everything is read through the ``Store``'s API: no tui module talks to SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from fwlearn.frameworks import SIDE_LABELS
from fwlearn.store_history import RunRecord, code_changes, compared, shown

NO_RUNS = "No recorded runs yet: run a side (F5 / F6) and come back."
MARKS = "AB"
CHANGE_WORDS = {True: "changed", False: "same", None: "?"}


def when(started: float) -> str:
    """A run's start as the list shows it: month-day and local time to the second."""
    return time.strftime("%m-%d %H:%M:%S", time.localtime(started))


def outcome(record: RunRecord) -> str:
    """The final val/test metrics (labelled fits too), else the train ones, shortened."""
    metrics = record.metrics
    held_out = {k: v for k, v in metrics.items() if k.startswith(("val_", "test_"))}
    chosen = held_out or metrics
    parts = [f"{name.replace('accuracy', 'acc')} {shown(v)}" for name, v in chosen.items()]
    return "  ".join(parts) or "-"


class HistoryScreen(Screen[None]):
    """The runs of one lesson; ``on_pick(record)`` overlays one (None: take the overlay off)."""

    DEFAULT_CSS = """
    HistoryScreen #history-title { text-style: bold; padding: 0 1; }
    HistoryScreen #history-note { padding: 0 1; color: $text-muted; }
    HistoryScreen #history-runs { height: 1fr; }
    HistoryScreen #history-compare { height: 1fr; border-top: solid $secondary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "overlay", "Overlay on chart"),
        Binding("space", "mark", "Mark (compare 2)"),
        Binding("c", "clear_overlay", "Clear overlay"),
        Binding("escape,q", "back", "Back"),
    ]

    def __init__(
        self, title: str, records: list[RunRecord], on_pick: Callable[[RunRecord | None], None]
    ) -> None:
        super().__init__()
        self.heading = title
        self.records = records
        self.on_pick = on_pick
        self.marked: list[int] = []  # indexes into records, at most two

    def compose(self) -> ComposeResult:
        yield Static(self.heading, id="history-title")
        yield DataTable(id="history-runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="history-note")
        yield DataTable(id="history-compare", cursor_type="none", show_cursor=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#history-runs", DataTable)
        table.add_column("", width=1)  # A / B: the runs marked for comparison
        table.add_columns("side", "when", "status", "code", "val/test (final)")
        changes = code_changes(self.records)
        for index, record in enumerate(self.records):
            table.add_row(
                "",
                SIDE_LABELS.get(record.side, record.side),
                when(record.started),
                record.status,
                CHANGE_WORDS[changes[index]],
                Text(outcome(record)),
                key=str(index),
            )
        self._note()
        self.query_one("#history-compare", DataTable).display = False
        table.focus()

    def _note(self) -> None:
        if not self.records:
            text = NO_RUNS
        elif len(self.marked) < 2:
            text = "Enter: draw a run beside the current one on the chart · Space: mark two runs "
            text += f"to compare ({len(self.marked)} marked)"
        else:
            a, b = (self.records[i] for i in self.marked)
            text = f"A = {SIDE_LABELS[a.side]} {when(a.started)}  B = "
            text += f"{SIDE_LABELS[b.side]} {when(b.started)}  (Enter: overlay)"
        self.query_one("#history-note", Static).update(Text(text))

    def _cursor(self) -> int | None:
        table = self.query_one("#history-runs", DataTable)
        return table.cursor_row if self.records and table.row_count else None

    @on(DataTable.RowSelected, "#history-runs")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_overlay()

    def action_overlay(self) -> None:
        index = self._cursor()
        if index is None:
            return
        record = self.records[index]
        if not record.series:
            self.notify(
                "This run has no chart data kept (an older run, or one without epochs).",
                title="History",
            )
            return
        self.on_pick(record)
        self.dismiss(None)

    def action_clear_overlay(self) -> None:
        self.on_pick(None)
        self.dismiss(None)

    def action_mark(self) -> None:
        """Mark (or unmark) the run under the cursor; with two marked, compare them."""
        index = self._cursor()
        if index is None:
            return
        if index in self.marked:
            self.marked.remove(index)
        else:
            self.marked = [*self.marked, index][-2:]
        table = self.query_one("#history-runs", DataTable)
        for row in range(len(self.records)):
            mark = MARKS[self.marked.index(row)] if row in self.marked else ""
            table.update_cell(str(row), table.ordered_columns[0].key, mark)
        self._compare()
        self._note()

    def _compare(self) -> None:
        table = self.query_one("#history-compare", DataTable)
        table.clear(columns=True)
        table.display = len(self.marked) == 2
        if len(self.marked) < 2:
            return
        a, b = (self.records[i] for i in self.marked)
        table.add_columns("", "A", "B")
        for what, first, second in compared(a, b):
            differ = first != second
            style = "bold" if differ else ""
            table.add_row(what, Text(first, style=style), Text(second, style=style))

    def action_back(self) -> None:
        self.dismiss(None)
