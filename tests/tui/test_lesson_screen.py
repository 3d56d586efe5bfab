"""Pilot tests of the lesson screen on the fixture pack, against the scripted engine; the run
and the cancel are also run end to end against the real engine (marked slow)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fwlearn.tui.screens.browser import BrowserScreen
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.screens.solution import SolutionScreen, diff_lines
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.comparison_panel import ComparisonPanel
from fwlearn.tui.widgets.metrics_chart import MetricsChart
from fwlearn.tui.widgets.run_log import RunLog

WIDE = (160, 48)


def done(screen: LessonScreen, *sides: str) -> Callable[[], bool]:
    return lambda: all(
        screen.runs[s].end is not None and not screen.session.active.get(s) for s in sides
    )


# Each run-and-see test once on the scripted engine, once end to end on the real one.
ENGINES = ["scripted", pytest.param("real", marks=pytest.mark.slow)]


async def open_lesson(pilot: Any, wait: Any, row: int = 0) -> LessonScreen:
    for _ in range(row):
        await pilot.press("j")
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    return pilot.app.screen


@pytest.mark.parametrize("engine_kind", ENGINES)
async def test_run_both_streams_logs_chart_and_comparison(
    make_app: Callable[..., Any], wait: Any, engine_kind: str
) -> None:
    app = make_app(real_engine=engine_kind == "real")
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f7")
        await wait(pilot, done(screen, "keras", "pytorch"))
        chart = screen.query_one(MetricsChart)
        await wait(pilot, lambda: chart.draws >= 2)  # the chart redraws on a timer
        for side in ("keras", "pytorch"):
            log = screen.query_one(f"#log-{side}", RunLog)
            assert "epoch 2 loss 0.5000" in log.text
            assert screen.runs[side].state == "ok"
        assert chart.series[("keras", "loss")] == [(1, 1.0), (2, 0.5)]
        assert chart.series[("pytorch", "accuracy")][-1] == (2, 0.75)
        compare = screen.query_one(ComparisonPanel)
        assert compare.complete
        assert app.store.lesson("basics").keras_ok
        assert len(app.store.runs("basics")) == 2


@pytest.mark.parametrize("engine_kind", ENGINES)
async def test_cancel_a_long_run_with_escape(
    make_app: Callable[..., Any], wait: Any, engine_kind: str
) -> None:
    app = make_app(real_engine=engine_kind == "real")
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait, row=1)
        await pilot.press("f5")
        log = screen.query_one("#log-keras", RunLog)
        await wait(pilot, lambda: "step 3" in log.text)
        await pilot.press("escape")
        await wait(pilot, done(screen, "keras"), timeout=10)
        assert screen.runs["keras"].state == "cancelled"
        assert screen.runs["keras"].elapsed < 30
        assert app.store.runs("slow")[0].status == "cancelled"


async def test_edits_survive_a_restart_and_reset_brings_the_original(
    make_app: Callable[..., Any], wait: Any
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        editor = screen.query_one("#code-pytorch", CodePane).editor
        editor.focus()
        editor.move_cursor((0, 0))
        await pilot.press("e", *"# mine", "enter")  # e: editing mode (code is read-only before)
        await wait(pilot, lambda: (app.store.edit("basics", "pytorch") or "").startswith("# mine"))
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        pane = screen.query_one("#code-pytorch", CodePane)
        assert pane.text.startswith("# mine\n")
        assert not screen.query_one("#code-keras", CodePane).text.startswith("# mine")
        pane.editor.focus()
        await pilot.press("r", "y")  # reset the focused side, confirmed
        assert pane.text == screen.lesson.files["pytorch"].source
        assert app.store.edit("basics", "pytorch") is None


async def test_completing_the_exercise_marks_the_lesson_done(
    make_app: Callable[..., Any], wait: Any
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        for side in ("keras", "pytorch"):
            editor = screen.query_one(f"#code-{side}", CodePane).editor
            row = next(i for i, line in enumerate(editor.text.splitlines()) if "EPOCHS = 2" in line)
            editor.replace("4", (row, 9), (row, 10))
        await pilot.press("f7")
        await wait(pilot, done(screen, "keras", "pytorch"))
        assert app.store.lesson("basics").state == "done"
        assert "Check passed" in screen.query_one("#exercise").check
        assert screen.session.solution_shown  # revealed once the check passed
        await pilot.press("escape", "q")
        await wait(pilot, lambda: isinstance(app.screen, BrowserScreen))
        table = app.screen.query_one("#lessons")
        assert "done" in str(table.get_row("basics")[2])


async def test_failing_check_then_hint_and_confirmed_solution(
    make_app: Callable[..., Any], wait: Any
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f7")
        await wait(pilot, done(screen, "keras", "pytorch"))
        panel = screen.query_one("#exercise")
        assert "not passed" in panel.check and not panel.solution
        screen.set_focus(None)
        await pilot.press("h")
        assert panel.hint_shown
        await pilot.press("s")
        await pilot.press("n")
        assert not panel.solution
        await pilot.press("s")
        await pilot.press("y")
        await wait(pilot, lambda: isinstance(app.screen, SolutionScreen))
        _label, mine, solution = app.screen.sides["keras"]
        assert "+ EPOCHS = 4" in "\n".join(line.plain for line in diff_lines(mine, solution))
        assert app.store.lesson("basics").state == "in progress"


async def test_sections_scroll_both_editors(make_app: Callable[..., Any], wait: Any) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f3", "f3")
        assert screen.section_index == 1
        for side in ("keras", "pytorch"):
            editor = screen.query_one(f"#code-{side}", CodePane).editor
            assert editor.document.get_line(editor.cursor_location[0]) == "# %% Train"
        await pilot.press("f2")
        assert screen.section_index == 0
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)  # continues at the step the learner left
        assert screen.section_index == 0


async def test_narrow_terminal_turns_sides_into_tabs(
    make_app: Callable[..., Any], wait: Any
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lesson(pilot, wait)
        assert screen.narrow and screen.has_class("-narrow")
        assert screen.query_one("#narrow-tabs").display
        assert screen.query_one("#code-keras").display
        assert not screen.query_one("#code-pytorch").display
        screen.show_tab("pytorch")
        await pilot.pause()
        assert screen.query_one("#code-pytorch").display
        assert not screen.query_one("#code-keras").display
    async with make_app().run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        assert not screen.narrow
        assert screen.query_one("#code-keras").display and screen.query_one("#code-pytorch").display
        assert not screen.query_one("#narrow-tabs").display


async def test_missing_framework_is_said_plainly(make_app: Callable[..., Any], wait: Any) -> None:
    from pathlib import Path

    pack = Path(__file__).parents[2] / "lessons" / "builtin"
    app = make_app(pack, installed={"torch", "keras"})
    async with app.run_test(size=WIDE) as pilot:
        assert app.keras_backend == "torch"  # only torch: Keras still runs, on torch
        app.installed = set()
        app.open_lesson("training")
        await wait(pilot, lambda: isinstance(app.screen, LessonScreen))
        screen = app.screen
        await pilot.press("f6")
        log = screen.query_one("#log-pytorch", RunLog)
        log.flush_now()
        assert "PyTorch is not installed" in log.text and "pip install" in log.text
        assert not screen.runs["pytorch"].running
