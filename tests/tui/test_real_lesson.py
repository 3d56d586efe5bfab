"""The real ``training`` lesson, both sides, through the real engine and frameworks (~15 s)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.comparison_panel import ComparisonPanel
from fwlearn.tui.widgets.metrics_chart import MetricsChart
from fwlearn.tui.widgets.run_log import RunLog

BUILTIN = Path(__file__).parents[2] / "lessons" / "builtin"
pytestmark = [
    pytest.mark.frameworks,
    pytest.mark.skipif(
        not all(importlib.util.find_spec(m) for m in ("torch", "keras", "tensorflow")),
        reason="needs torch, keras and tensorflow",
    ),
]


async def test_training_lesson_runs_both_sides(make_app: Callable[..., Any], wait: Any) -> None:
    app = make_app(BUILTIN, real_engine=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.open_lesson("training")
        await wait(pilot, lambda: isinstance(app.screen, LessonScreen))
        screen = app.screen
        await pilot.press("f7")
        await wait(
            pilot,
            lambda: all(screen.runs[s].end is not None for s in ("keras", "pytorch")),
            timeout=90,
        )
        chart = screen.query_one(MetricsChart)
        sides = ("keras", "pytorch")
        await wait(pilot, lambda: all(len(chart.series.get((s, "loss"), [])) == 3 for s in sides))
        for side in ("keras", "pytorch"):
            assert screen.runs[side].state == "ok", screen.query_one(f"#log-{side}", RunLog).text
            assert "loss" in screen.query_one(f"#log-{side}", RunLog).text
        assert len(chart.series[("keras", "loss")]) == 3
        assert len(chart.series[("pytorch", "loss")]) == 3
        assert screen.query_one(ComparisonPanel).complete
        assert screen.runs["pytorch"].facts.get("params")
