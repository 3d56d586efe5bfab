"""The History view (H), the chart overlay of an earlier run, and labelled series on the chart;
Pilot tests on the fixture pack against the scripted engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.widgets import DataTable

from fwlearn.engine.scripted import epoch
from fwlearn.tui.screens.history import HistoryScreen
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.metrics_chart import OVERLAY_MARKERS, MetricsChart

WIDE = (160, 48)


async def open_lesson(pilot: Any, wait: Any) -> LessonScreen:
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen


async def run_side(pilot: Any, wait: Any, screen: LessonScreen, side: str = "keras") -> None:
    runs = len(pilot.app.store.runs("basics", side=side))
    await pilot.press("f5" if side == "keras" else "f6")
    await wait(pilot, lambda: len(pilot.app.store.runs("basics", side=side)) == runs + 1)


async def open_history(pilot: Any, wait: Any) -> HistoryScreen:
    await pilot.press("H")
    await wait(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen))
    history = pilot.app.screen
    assert isinstance(history, HistoryScreen)
    return history


def rows(history: HistoryScreen) -> list[list[str]]:
    table = history.query_one("#history-runs", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_history_lists_runs_per_side_with_code_changes_and_compares_two(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[..., str]
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await run_side(pilot, wait, screen)
        await run_side(pilot, wait, screen)  # the same code
        code = screen.sides["keras"].text
        screen.sides["keras"].load(code.replace("EPOCHS = 2", "EPOCHS = 3"))
        await run_side(pilot, wait, screen)
        await run_side(pilot, wait, screen, "pytorch")
        history = await open_history(pilot, wait)
        listed = rows(history)
        assert [row[1] for row in listed] == ["Keras", "Keras", "Keras", "PyTorch"]
        assert [row[4] for row in listed] == ["changed", "same", "?", "?"]
        assert "val_loss 0.3333" in listed[0][5] and "val_loss 0.5" in listed[1][5]
        await pilot.press("space")  # mark the newest (3 epochs) as A
        await pilot.press("down", "space")  # and the one before (2 epochs) as B
        await pilot.pause()
        text = screen_text(app)
        compare = history.query_one("#history-compare", DataTable)
        assert compare.display
        cells = {
            str(compare.get_row_at(i)[0]): [str(c) for c in compare.get_row_at(i)[1:]]
            for i in range(compare.row_count)
        }
        assert cells["fact epochs"] == ["3", "2"]
        assert cells["val_loss"] == ["0.3333", "0.5"]
        assert cells["code"][0] != cells["code"][1]
        assert "fact epochs" in text and "A = Keras" in text  # painted, not only in state
        await pilot.press("escape")
        await wait(pilot, lambda: app.screen is screen)


async def test_picking_a_run_overlays_it_on_the_chart_with_its_own_marker(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[..., str]
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        code = screen.sides["keras"].text
        screen.sides["keras"].load(code.replace("EPOCHS = 2", "EPOCHS = 4"))
        await run_side(pilot, wait, screen)
        screen.sides["keras"].load(code)
        await run_side(pilot, wait, screen)
        await open_history(pilot, wait)
        await pilot.press("down", "enter")  # the earlier run: 4 epochs
        await wait(pilot, lambda: app.screen is screen)
        chart = screen.query_one(MetricsChart)
        assert chart.overlay[("keras", "loss")] == [(1, 1.0), (2, 0.5), (3, 1 / 3), (4, 0.25)]
        assert chart.series[("keras", "loss")] == [(1, 1.0), (2, 0.5)]  # the current run
        legend = f"epoch · {OVERLAY_MARKERS[0]} Keras loss  {OVERLAY_MARKERS[1]} Keras acc (run "
        await wait(pilot, lambda: legend in screen_text(app))  # under the plot, painted
        assert "x Keras loss  + Keras acc" in screen_text(app)  # the current run's, on top
        await open_history(pilot, wait)
        await pilot.press("c")  # clear the overlay
        await wait(pilot, lambda: app.screen is screen)
        assert not chart.overlay


async def test_history_with_no_runs_says_how_to_get_some(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[..., str]
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(pilot, wait)
        await open_history(pilot, wait)
        assert "No recorded runs yet" in screen_text(app)


async def test_the_palette_opens_the_history(make_app: Callable[..., Any], wait: Any) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        titles = [title for title, _help, _run in screen.system_commands()]
        assert "Run history" in titles and "Watch on save" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Run history")
        commands = app.screen.query_one(CommandList)  # the palette's matches, searched async
        await wait(pilot, lambda: commands.highlighted is not None)
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(app.screen, HistoryScreen))


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_labelled_runs_are_separate_series_with_their_own_legend(
    make_app: Callable[..., Any],
    wait: Any,
    engine: Any,
    screen_text: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    no_color: bool,
) -> None:
    """The losses lesson's shape: two fits of one program, each under its run label."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    fits = [
        replace(metric, run=label)
        for label, losses in (("reference", (0.9, 0.5)), ("model", (2.3, 2.2)))
        for number, loss in enumerate(losses, 1)
        for metric in epoch(number, loss=loss, accuracy=1 - loss / 3)
    ]
    engine.will_run(fits)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await run_side(pilot, wait, screen)
        chart = screen.query_one(MetricsChart)
        assert chart.series[("keras", "loss@reference")] == [(1, 0.9), (2, 0.5)]
        assert chart.series[("keras", "loss@model")] == [(1, 2.3), (2, 2.2)]
        assert not chart.series.get(("keras", "loss"))  # not merged into one line
        styles = {key: style for key, _points, style in chart.lines()}
        markers = {styles[("keras", name)][1] for name in ("loss@reference", "loss@model")}
        markers |= {styles[("keras", name)][1] for name in ("accuracy@reference", "loss")}
        assert len(markers) == 4  # a marker each: without colour they still tell apart
        model = f"K@model: {styles[('keras', 'loss@model')][1]}loss"
        await wait(pilot, lambda: model in screen_text(app))  # the legend names each marker
        assert f"K@reference: {styles[('keras', 'loss@reference')][1]}loss" in screen_text(app)
        stored = app.store.runs("basics", side="keras")[0]
        assert stored.series["loss@model"] == [(1, 2.3), (2, 2.2)]
        assert stored.metrics["loss@reference"] == 0.5


LABELS_PACK = Path(__file__).resolve().parents[1] / "lessons" / "fixtures" / "labels"


@pytest.mark.slow
async def test_a_real_program_with_two_labelled_fits_charts_two_lines(
    make_app: Callable[..., Any], wait: Any
) -> None:
    """End to end on the real engine: ``run_label("adam")`` then ``run_label("sgd")`` in one
    program (plain Python) are two lines on the chart and two series in the history."""
    app = make_app(LABELS_PACK, real_engine=True)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f5")
        await wait(pilot, lambda: screen.runs["keras"].end is not None, timeout=60)
        chart = screen.query_one(MetricsChart)
        assert [x for x, _ in chart.series[("keras", "loss@adam")]] == [1, 2, 3]
        assert [x for x, _ in chart.series[("keras", "loss@sgd")]] == [1, 2, 3]
        lesson_id = screen.lesson.id
        await wait(pilot, lambda: bool(app.store.runs(lesson_id, side="keras")))
        stored = app.store.runs(lesson_id, side="keras")[0]
        assert {"loss@adam", "loss@sgd"} <= set(stored.series)
