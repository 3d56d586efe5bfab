"""SVG snapshots of the History view, narrow (80x24) and wide (160x48): six recorded runs over
both sides (one failed, code changed and unchanged), two of them marked and compared.

The runs are recorded at fixed times and shown in UTC, so the images do not depend on when or
where they are made. Regenerate after an intended change:
``pytest tests/tui/test_snapshots_history.py --snapshot-update``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from fwlearn.store import RunRecord
from fwlearn.tui.screens.history import HistoryScreen
from fwlearn.tui.screens.lesson import LessonScreen

SIZES = [(80, 24), (160, 48)]
BASE = 1_780_000_000.0  # a fixed start time
RUNS = [  # side, code hash, epochs, status: oldest first
    ("keras", "a", 2, "ok"),
    ("keras", "a", 2, "ok"),
    ("keras", "b", 3, "failed"),
    ("keras", "c", 4, "ok"),
    ("pytorch", "p", 2, "ok"),
    ("pytorch", "q", 3, "ok"),
]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_history_view(
    snap_compare: Any,
    make_app: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    wait: Any,
    settle: Any,
    size: tuple[int, int],
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    app = make_app()
    for i, (side, code, epochs, status) in enumerate(RUNS):
        loss = 1 / epochs
        metrics = {"loss": loss, "val_loss": loss, "val_accuracy": 0.5} if status == "ok" else {}
        series = {"loss": [(e, 1 / e) for e in range(1, epochs + 1)]}
        app.store.record_run(
            RunRecord(
                "basics",
                side,
                BASE + 60 * i,
                status,
                1.5 + i,
                metrics,
                facts={"epochs": epochs},
                code_hash=code,
                series=series,
            )
        )

    async def open_history(pilot: Any) -> None:
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
        await settle(pilot)
        await pilot.press("H")
        await wait(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen))
        await settle(pilot)
        await pilot.press("space", "down", "space")  # compare the two newest Keras runs
        await settle(pilot)

    try:
        assert snap_compare(app, terminal_size=size, run_before=open_history)
    finally:
        monkeypatch.undo()
        time.tzset()
