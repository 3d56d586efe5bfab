"""PredictionsTable: the rows a snippet sent with ``report_predictions``, both sides in one table."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

LABELS = {"keras": "Keras", "pytorch": "PyTorch"}


class PredictionsTable(DataTable[str]):
    """Rebuilt from scratch on each update: at most 50 rows a side, so this stays cheap."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row")
        self.rows_by_side: dict[str, list[dict[str, Any]]] = {}

    def on_mount(self) -> None:
        self.add_columns("side", "input", "predicted", "actual", "")

    def show(self, side: str, rows: list[dict[str, Any]]) -> None:
        """Replace one side's rows and redraw the table."""
        self.rows_by_side[side] = rows
        self.clear()
        for name in ("keras", "pytorch"):
            for row in self.rows_by_side.get(name, []):
                predicted, actual = row.get("predicted"), row.get("actual")
                verdict = "" if actual is None else ("✓" if _same(predicted, actual) else "✗")
                self.add_row(
                    LABELS[name],
                    _fmt(row.get("input")),
                    _fmt(predicted),
                    _fmt(actual),
                    verdict,
                )


def _same(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return str(a) == str(b)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value[:6]) + (", …]" if len(value) > 6 else "]")
    return "" if value is None else str(value)
