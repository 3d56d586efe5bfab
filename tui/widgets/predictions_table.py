"""PredictionsTable: the rows a snippet sent with ``report_predictions``, both sides in one table.

Cells are ``rich.text.Text``: DataTable renders a plain ``str`` cell as markup, so predictions
text such as ``"[bold]"`` or ``"[/]"`` was styled or raised MarkupError and crashed the app.
Until a side sends predictions the table shows one line saying what will appear, not a bare
header: the line is the label of a single column, so the table still has no rows
(``row_count == 0`` is how the results tabs tell that it has nothing to show).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from fwlearn.frameworks import SIDE_LABELS, SIDES

COLUMNS = ("side", "input", "predicted", "actual", "")
EMPTY = "No predictions yet: run a side whose program calls report_predictions(...)"


class PredictionsTable(DataTable[Text]):
    """Rebuilt from scratch on each update: at most 50 rows a side, so this stays cheap."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row")
        self.rows_by_side: dict[str, list[dict[str, Any]]] = {}
        self.empty = True  # showing the "no predictions yet" line

    def on_mount(self) -> None:
        self._show_empty()

    def show(self, side: str, rows: list[dict[str, Any]]) -> None:
        """Replace one side's rows and redraw the table."""
        self.rows_by_side[side] = rows
        if not any(self.rows_by_side.values()):
            self._show_empty()
            return
        self.clear(columns=True)
        self.empty = False
        self.add_columns(*COLUMNS)
        for name in SIDES:
            for row in self.rows_by_side.get(name, []):
                predicted, actual = row.get("predicted"), row.get("actual")
                verdict = "" if actual is None else ("✓" if _same(predicted, actual) else "✗")
                self.add_row(
                    *(
                        Text(cell)
                        for cell in (
                            SIDE_LABELS.get(name, name),
                            _fmt(row.get("input")),
                            _fmt(predicted),
                            _fmt(actual),
                            verdict,
                        )
                    )
                )

    def _show_empty(self) -> None:
        self.clear(columns=True)
        self.empty = True
        self.add_column(Text(EMPTY))


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
