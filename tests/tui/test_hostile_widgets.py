"""What a hostile or flooding program does to the app: markup shown as text, odd epochs that
cannot crash the chart, a flood that ends promptly and can be cancelled, and the two small
issue-11 items (an empty Predictions tab explains itself; the legend never hides the plot).

Pilot at 80x24, on the fixture pack's first lesson with its Keras side's code replaced. What a
hostile program reports reaches the app through the scripted engine (the events the real one
yields for it); the odd epochs and the floods run for real (marked slow): their point is the
whole path, the engine's reader included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.geometry import Region
from textual.widgets import TabbedContent

from fwlearn.engine.scripted import epoch, fact, predictions
from fwlearn.runstate import MAX_EPOCH_ROWS
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.comparison_panel import ComparisonPanel
from fwlearn.tui.widgets.metrics_chart import MetricsChart, legend_title, plottable
from fwlearn.tui.widgets.predictions_table import EMPTY, PredictionsTable

SIZE = (80, 24)


async def open_lesson(pilot: Any, wait: Any) -> LessonScreen:
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    return pilot.app.screen  # type: ignore[no-any-return]


async def run_keras(pilot: Any, screen: LessonScreen, code: str, wait: Any) -> None:
    screen.query_one("#code-keras", CodePane).load(code)
    await pilot.press("f5")
    await wait(pilot, lambda: screen.runs["keras"].end is not None, timeout=60)
    await wait(pilot, lambda: not screen.runs["keras"].running)  # recorded, checked, shown


async def show(pilot: Any, screen: LessonScreen, pane: str) -> None:
    """Bring an insight pane to the front (at 80 columns: on the Results tab)."""
    screen.show_tab("results")
    screen.query_one("#insights", TabbedContent).active = pane
    await pilot.wait_for_scheduled_animations()  # the pane laid out and painted


def rendered(widget: Any) -> str:
    """What the widget shows on screen, as plain text (its lines, as Textual renders them)."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(strip.text for strip in strips)


async def test_markup_in_predictions_and_facts_is_text(
    make_app: Callable[..., Any], wait: Any, engine: Any
) -> None:
    """Before: MarkupError on the Predictions tab (DataTable cells) and the Compare tab (a fact
    in a Rich table), taking the app down."""
    app = make_app()
    engine.will_run(
        fact("params", "[/]"),
        epoch(1, loss=0.5),
        predictions(
            [{"input": "[bold]in", "predicted": "[/]", "actual": "[link=https://x]y[/link]"}]
        ),
    )
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        await run_keras(
            pilot,
            screen,
            "from fwlearn import report, report_fact, report_predictions\n"
            "report_fact('params', '[/]')\n"
            "report(epoch=1, loss=0.5)\n"
            "report_predictions(['[bold]in'], ['[/]'], ['[link=https://x]y[/link]'])\n",
            wait,
        )
        assert screen.runs["keras"].state == "ok"
        await show(pilot, screen, "pane-predictions")
        table = screen.query_one(PredictionsTable)
        cells = [str(cell) for cell in table.get_row_at(0)]
        assert cells[1:4] == ["[bold]in", "[/]", "[link=https://x]y[/link]"]
        await show(pilot, screen, "pane-compare")
        assert "[/]" in rendered(screen.query_one(ComparisonPanel))
    assert app.return_code in (None, 0)


@pytest.mark.slow
async def test_odd_epochs_cannot_crash_the_chart(make_app: Callable[..., Any], wait: Any) -> None:
    """Before: ``report(epoch=10**400)`` reached the chart and raised OverflowError in its
    render; ``epoch: Infinity`` killed the engine's reader."""
    app = make_app(real_engine=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        await run_keras(
            pilot,
            screen,
            "import os\n"
            "from fwlearn import report\n"
            "report(epoch=1, loss=1.0)\n"
            "report(epoch=10**400, loss=0.5)\n"
            "report(epoch=2**53, loss=0.25)\n"
            "os.write(int(os.environ['FWLEARN_EVENT_FD']),"
            ' b\'{"type": "metric", "epoch": Infinity, "values": {"loss": 1}}\\n\')\n'
            "report(epoch=3, loss=0.1)\n",
            wait,
        )
        assert screen.runs["keras"].state == "ok"
        await show(pilot, screen, "pane-chart")
        chart = screen.query_one(MetricsChart)
        await wait(pilot, lambda: chart.series.get(("keras", "loss")) is not None)
        await wait(pilot, lambda: "Keras loss" in rendered(chart))  # redrawn on its timer
        assert [x for x, _ in chart.series[("keras", "loss")]] == [1, 3, 2**53]
    assert plottable([(1, 1.0), (10**400, 1.0), (2, float("inf")), (3, float("nan"))]) == [
        (1.0, 1.0)
    ]


async def test_empty_predictions_explain_and_the_legend_stays_off_the_plot(
    make_app: Callable[..., Any], wait: Any, engine: Any
) -> None:
    app = make_app()
    engine.will_run(*(epoch(e, loss=1.0 / e, accuracy=1 - 1.0 / e) for e in range(1, 41)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        await show(pilot, screen, "pane-predictions")
        table = screen.query_one(PredictionsTable)
        assert [str(column.label) for column in table.columns.values()] == [EMPTY]
        assert table.row_count == 0 and EMPTY in rendered(table)
        await run_keras(
            pilot,
            screen,
            "from fwlearn import report\n"
            "for e in range(1, 41):\n"
            "    report(epoch=e, loss=1.0 / e, accuracy=1 - 1.0 / e)\n",
            wait,
        )
        await show(pilot, screen, "pane-chart")
        chart = screen.query_one(MetricsChart)
        await wait(pilot, lambda: "Keras acc" in rendered(chart))  # redrawn on its timer
        lines = rendered(chart).splitlines()
        top = next(i for i, line in enumerate(lines) if "┌" in line)
        assert "x Keras loss" in "".join(lines[:top]) and "+ Keras acc" in "".join(lines[:top])
        assert not any("Keras" in line for line in lines[top:]), "\n".join(lines)


async def test_a_learning_rate_schedule_is_drawn_on_its_own_axis(
    make_app: Callable[..., Any], wait: Any, engine: Any
) -> None:
    """Lesson 19 reports the learning rate per epoch: the chart draws it against a right-hand
    axis of its own (0.01 beside a loss near 1 would lie flat on the bottom line)."""
    app = make_app()
    rates = [0.01 if e < 5 else 0.005 if e < 9 else 0.0025 for e in range(1, 13)]
    engine.will_run(
        *(epoch(e, loss=1.0 / e, learning_rate=rate) for e, rate in enumerate(rates, 1))
    )
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_lesson(pilot, wait)
        await run_keras(pilot, screen, "print('schedule')\n", wait)
        await show(pilot, screen, "pane-chart")
        chart = screen.query_one(MetricsChart)
        await wait(pilot, lambda: "Keras lr" in rendered(chart))
        assert "< Keras lr" in rendered(chart) and "x Keras loss" in rendered(chart)
        # The right axis carries the learning rate's ticks, from 0.01 down to 0.0025.
        ticks = [
            line.split("├")[-1].strip() for line in rendered(chart).splitlines() if "├" in line
        ]
        assert "0.0100" in ticks and "0.0025" in ticks, rendered(chart)


@pytest.mark.slow
async def test_a_flood_of_reports_ends_promptly_and_escape_cancels_it(
    make_app: Callable[..., Any], wait: Any
) -> None:
    """Before: 1,000,000 reports kept the app "running" 112 s after the worker ended (each
    metric re-sorted the whole series) and Esc had no visible effect. Here 30,000 reports must
    end promptly with a bounded chart, then an endless flood must stop within seconds of Esc."""
    app = make_app(real_engine=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        started = time.monotonic()
        await run_keras(
            pilot,
            screen,
            "from fwlearn import report\n"
            "for e in range(1, 30001):\n"
            "    report(epoch=e, loss=1.0 / e)\n",
            wait,
        )
        run = screen.runs["keras"]
        assert run.state == "ok" and run.epoch_count == 30000
        assert time.monotonic() - started < 45
        points = run.series("loss")
        assert len(points) <= MAX_EPOCH_ROWS + 1 and points[0][0] == 1 and points[-1][0] == 30000

        screen.query_one("#code-keras", CodePane).load(
            "from fwlearn import report\ni = 0\nwhile True:\n    i += 1\n"
            "    report(epoch=i, loss=1.0 / i)\n"
        )
        await pilot.press("f5")
        await wait(pilot, lambda: len(screen.runs["keras"].series("loss")) > 1000, timeout=30)
        await pilot.press("escape")
        pressed = time.monotonic()
        await wait(pilot, lambda: not screen.runs["keras"].running, timeout=30)
        assert screen.runs["keras"].state == "cancelled"
        assert time.monotonic() - pressed < 10


def test_the_legend_fits_a_narrow_chart_by_shortening_its_labels() -> None:
    entries = ["x Keras loss", "+ Keras acc", "o PyTorch loss", "* PyTorch acc"]
    assert legend_title(entries, 120) == "  ".join(entries)
    short = legend_title(entries, 52)  # the chart pane of the wide layout at 160 columns
    assert len(short) <= 52 and short == "x K loss  + K acc  o PT loss  * PT acc"
    assert len(legend_title(entries, 20)) <= 20
