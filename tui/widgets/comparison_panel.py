"""ComparisonPanel: the two sides' last runs next to each other, in numbers.

Every cell is a ``rich.text.Text``: a Rich table renders plain ``str`` cells as markup, and a
fact value such as ``"[/]"`` from the learner's program raised MarkupError and took the app down.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from fwlearn.runstate import SideRun

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")


class ComparisonPanel(Static):
    """The screen calls ``show(keras_run, pytorch_run)`` after each run; the table is complete
    once both sides have finished."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Run both sides (F7) to compare them here.", id=id)
        self.complete = False

    def show(self, keras: SideRun, pytorch: SideRun) -> None:
        runs = (keras, pytorch)
        if all(run.end is None for run in runs):
            return
        table = Table(expand=True, box=None, pad_edge=False, header_style="bold")
        table.add_column("")
        table.add_column("Keras", justify="right")
        table.add_column("PyTorch", justify="right")

        def row(label: str, *cells: str) -> None:
            table.add_row(Text(label), *(Text(cell) for cell in cells))

        row("status", *(_status(run) for run in runs))
        row("wall time", *(_secs(run.end.wall if run.end else None) for run in runs))
        row("time/epoch", *(_secs(run.time_per_epoch) for run in runs))
        row("epochs", *(str(run.epoch_count) if run.epoch_count else "-" for run in runs))
        finals = [run.final_metrics() for run in runs]
        for name in METRICS:
            if any(final.get(name) is not None for final in finals):
                row(name, *(_num(final.get(name)) for final in finals))
        row("parameters", *(_int(run.facts.get("params")) for run in runs))
        row("lines of code", *(str(run.loc) if run.loc else "-" for run in runs))
        peak = [run.end.peak_memory_mb if run.end else None for run in runs]
        row("peak memory", *(f"{p:.0f} MB" if p else "-" for p in peak))
        self.complete = all(run.end is not None for run in runs)
        self.update(table)


def _status(run: SideRun) -> str:
    return run.state if run.end is not None or run.running else "not run"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else ("-" if value is None else str(value))
