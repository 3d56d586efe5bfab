"""Lesson-screen paths a learner takes that had no test: switching the Keras backend (b), the
command palette (Ctrl+P), the predictions table, cancelling with Ctrl+C and Esc at 80x24, the
chart under NO_COLOR, and an engine that fails while a run streams. All on the numpy-only
fixture pack, through the scripted engine (tests/tui/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.widgets import TabbedContent

from fwlearn.engine.scripted import printed
from fwlearn.frameworks import installed_keras_backends
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.metrics_chart import MetricsChart
from fwlearn.tui.widgets.predictions_table import PredictionsTable
from fwlearn.tui.widgets.run_log import RunLog
from fwlearn.tui.widgets.status_bar import StatusBar

NARROW = (80, 24)


def ended(screen: LessonScreen, *sides: str) -> Callable[[], bool]:
    return lambda: all(screen.runs[s].end is not None and not screen.runs[s].running for s in sides)


async def open_lesson(pilot: Any, wait: Any, row: int = 0) -> LessonScreen:
    for _ in range(row):
        await pilot.press("j")
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    screen: LessonScreen = pilot.app.screen
    await wait(pilot, lambda: screen.query_one(StatusBar).is_mounted)
    return screen


async def show_results(pilot: Any, screen: LessonScreen, pane: str) -> None:
    """F8 cycles the results' tabs and, at 80 columns, brings the Results tab to the front."""
    insights = screen.query_one("#insights", TabbedContent)
    for _ in range(4):
        await pilot.press("f8")
        if insights.active == pane:
            return
    raise AssertionError(f"F8 never reached {pane}")


async def test_b_switches_the_keras_backend_for_the_status_bar_and_the_next_run(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    backends = installed_keras_backends()
    if len(backends) < 2:
        pytest.skip("one Keras backend installed: b has nothing to switch to")
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        first, second = app.keras_backend, backends[(backends.index(app.keras_backend) + 1) % 2]
        assert screen.session.spec("keras", app.keras_backend).keras_backend == first
        await wait(pilot, lambda: f"{first} (b)" in screen_text(app))
        await pilot.press("b")
        await wait(pilot, lambda: f"{second} (b)" in screen_text(app))
        assert f"{first} (b)" not in screen_text(app)
        # What the next F5 would start: the screen builds its RunSpec from the app's backend.
        assert screen.session.spec("keras", app.keras_backend).keras_backend == second
        await pilot.press("b")  # and back
        await wait(pilot, lambda: f"{first} (b)" in screen_text(app))


async def test_ctrl_p_lists_the_lesson_commands_and_running_one_works(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("ctrl+p")
        await wait(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"run")
        await wait(pilot, lambda: "Run PyTorch" in screen_text(app))
        listed = screen_text(app)
        assert "Run Keras" in listed and "Run both" in listed, listed
        await pilot.press(*" pytorch")
        await wait(pilot, lambda: "Run Keras" not in screen_text(app))
        await pilot.press("enter")
        await wait(pilot, lambda: app.screen is screen)
        await wait(pilot, ended(screen, "pytorch"))
        assert screen.runs["pytorch"].state == "ok"
        assert "epoch 2 loss 0.5000" in screen.query_one("#log-pytorch", RunLog).text
        assert screen.runs["keras"].end is None  # only the command's side ran


async def test_the_predictions_table_shows_each_row_with_its_verdict_as_plain_text(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f7")
        await wait(pilot, ended(screen, "keras", "pytorch"))
        await show_results(pilot, screen, "pane-predictions")
        table = screen.query_one(PredictionsTable)
        await wait(pilot, lambda: table.row_count == 4)
        # The fixture predicts [1, 0] for actual [1, 1]: one right, one wrong, on each side.
        await wait(pilot, lambda: "✗" in screen_text(app))
        rows = [" ".join(line.split()) for line in screen_text(app).splitlines()]
        for side in ("Keras", "PyTorch"):
            assert any(f"{side} [0.1, 0.2] 1 1 ✓" in row for row in rows), rows
            assert any(f"{side} [0.3, 0.4] 0 1 ✗" in row for row in rows), rows
        cells = [str(table.get_cell_at((r, c))) for r in range(4) for c in range(5)]
        assert "[0.1, 0.2]" in cells  # a list is shown as written, not read as markup


async def test_ctrl_c_cancels_the_side_you_are_on(make_app: Callable[..., Any], wait: Any) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait, row=1)  # "slow": prints a step every 50 ms
        await pilot.press("f6")  # narrow: shows the PyTorch tab, so that is the side you are on
        log = screen.query_one("#log-pytorch", RunLog)
        await wait(pilot, lambda: "step 3" in log.text)
        await pilot.press("ctrl+c")
        await wait(pilot, ended(screen, "pytorch"), timeout=10)
        assert screen.runs["pytorch"].state == "cancelled"
        assert app.store.runs("slow")[0].status == "cancelled"
        assert app.is_running  # Ctrl+C cancelled the run, it did not quit the app


async def test_esc_cancels_the_shown_side_first_then_everything_left(
    make_app: Callable[..., Any], wait: Any
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait, row=1)
        await pilot.press("f7")  # both run; the Keras tab stays in front
        logs = {side: screen.query_one(f"#log-{side}", RunLog) for side in ("keras", "pytorch")}
        await wait(pilot, lambda: all("step 3" in log.text for log in logs.values()))
        await pilot.press("escape")
        await wait(pilot, ended(screen, "keras"), timeout=10)
        assert screen.runs["keras"].state == "cancelled"
        assert screen.runs["pytorch"].running  # the side not shown goes on
        await pilot.press("escape")  # nothing runs on the shown side: Esc cancels the rest
        await wait(pilot, ended(screen, "pytorch"), timeout=10)
        assert screen.runs["pytorch"].state == "cancelled"


async def test_an_engine_failure_mid_run_is_said_in_the_log_and_the_app_goes_on(
    make_app: Callable[..., Any], wait: Any, engine: Any
) -> None:
    """The Runner's worker-failure handler: an exception from the engine while a run's events
    are drained is fwlearn's bug, not the learner's. The side says so, the run counts as
    failed, and the next run works."""
    app = make_app()
    engine.will_run(printed("epoch 1 of 2"), RuntimeError("the engine lost its child"))
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f5")
        log = screen.query_one("#log-keras", RunLog)
        await wait(pilot, lambda: "could not run this" in log.text)
        assert "RuntimeError('the engine lost its child')" in log.text
        assert "epoch 1 of 2" in log.text  # what arrived before the failure stays
        assert screen.runs["keras"].state == "failed"
        await wait(pilot, lambda: "keras" not in screen.session.active)
        assert app.is_running
        await pilot.press("f5")  # the side is not stuck "running": F5 starts a new run
        await wait(pilot, ended(screen, "keras"))
        assert screen.runs["keras"].state == "ok"
        assert "epoch 2 loss 0.5000" in log.text


async def test_the_chart_draws_under_no_color(
    make_app: Callable[..., Any],
    wait: Any,
    screen_text: Callable[[Any], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f7")
        await wait(pilot, ended(screen, "keras", "pytorch"))
        await show_results(pilot, screen, "pane-chart")
        chart = screen.query_one(MetricsChart)
        await wait(pilot, lambda: chart.draws >= 1 and "PyTorch acc" in screen_text(app))
        text = screen_text(app)
        # Without colour the four lines are told apart by their markers, named in the title.
        assert "x Keras loss" in text and "* PyTorch acc" in text, text
        assert "cannot draw" not in text
        assert app.is_running
