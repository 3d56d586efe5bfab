"""The lesson screen's results area at 80x24: the exercise text, the solution view, the status
bar and which Results tab a run brings forward. The built-in pack opens without running anything
(tests that run use the numpy fixture pack, through the scripted engine)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import TabbedContent

from fwlearn import frameworks
from fwlearn.lessons import builtin_pack_dir
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.screens.solution import SolutionScreen
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.status_bar import StatusBar

NARROW = (80, 24)
FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"


async def open_lesson(pilot: Any, wait: Any, row: int = 0) -> LessonScreen:
    for _ in range(row):
        await pilot.press("j")
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    screen = pilot.app.screen
    screen.set_focus(None)  # reading mode: letter keys are commands
    return screen


@pytest.mark.slow
async def test_task_and_hint_show_python_as_written(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app(builtin_pack_dir())
    async with app.run_test(size=NARROW) as pilot:
        await open_lesson(pilot, wait, row=2)  # 3. model: the hint names __init__
        await pilot.press("h")
        await pilot.wait_for_scheduled_animations()
        text = " ".join(screen_text(app).split())
        assert "in __init__ (initialise" in text, text
        await pilot.press("q", "home")
        await open_lesson(pilot, wait, row=0)  # 1. tensors: the task has x**2 and x**3
        await pilot.press("h")
        await pilot.wait_for_scheduled_animations()
        text = " ".join(screen_text(app).split())
        assert "y = x**2 at x = 3" in text and "y = x**3 - 4*x" in text, text
        assert "with tf.GradientTape()" in text  # a backtick span: code, still shown


@pytest.mark.slow
async def test_the_solution_opens_as_a_scrollable_diff_against_the_learners_code(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        pane = screen.query_one("#code-keras", CodePane)
        pane.load(pane.text.replace("EPOCHS = 2", "EPOCHS = 3"))
        await pilot.press("s", "y")
        await wait(pilot, lambda: isinstance(app.screen, SolutionScreen))
        await wait(pilot, lambda: "- EPOCHS = 3" in screen_text(app))
        text = screen_text(app)
        assert "- EPOCHS = 3" in text and "+ EPOCHS = 4" in text, text
        assert "t Take into editor" in text  # the footer names the key
        view = app.screen.focused
        assert view is not None and view.id == "view-keras"
        await pilot.press("right")
        assert app.screen.focused is not None and app.screen.focused.id == "view-pytorch"
        await pilot.press("left", "t")  # take the Keras solution: the lesson screen asks
        await wait(pilot, lambda: app.screen is not screen and "Replace" in screen_text(app))
        await pilot.press("y")
        await wait(pilot, lambda: "EPOCHS = 4" in pane.text)
        await pilot.press("s")  # seen once: no question any more
        await wait(pilot, lambda: isinstance(app.screen, SolutionScreen))
        await wait(pilot, lambda: "nothing to change" in screen_text(app))


@pytest.mark.slow
async def test_a_long_solution_diff_scrolls_by_keys(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app(builtin_pack_dir())
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait, row=2)
        for side in ("keras", "pytorch"):
            screen.query_one(f"#code-{side}", CodePane).load("# started from scratch\n")
        await pilot.press("s", "y")
        await wait(pilot, lambda: isinstance(app.screen, SolutionScreen))
        await pilot.wait_for_scheduled_animations()
        view = app.screen.focused
        assert view is not None and view.max_scroll_y > 20  # the whole solution, added
        first = screen_text(app)
        await pilot.press("pagedown", "pagedown")
        await pilot.wait_for_scheduled_animations()
        assert view.scroll_y > 0 and screen_text(app) != first
        await pilot.press("escape")
        assert app.screen is screen


def test_the_status_bar_keeps_both_sides_states_at_80_columns() -> None:
    bar = StatusBar()
    bar.device = "device: CPU"
    pins = frameworks.tested_versions()
    bar.versions = f"keras {pins['keras']} tf {pins['tensorflow-cpu']} torch {pins['torch']}"
    bar.keras_state = "running 12.3 s"
    bar.pytorch_state = "ok 2.1 s"
    forms = bar.forms()
    fits = next(form for form in forms if len(form) <= 78)  # 80 less the bar's padding
    assert "Keras running 12.3 s" in fits and "PyTorch ok 2.1 s" in fits, fits
    assert forms[0].startswith("device: CPU │ Keras backend: tensorflow (b)")


def test_the_status_bar_says_when_a_sandbox_protection_is_off() -> None:
    bar = StatusBar()
    bar.device = "device: CPU"
    bar.keras_state = "running 12.3 s"
    bar.pytorch_state = "ok 2.1 s"
    bar.sandbox = "on"
    assert not any("sandbox" in form for form in bar.forms())
    bar.sandbox = "partial (off: user namespace)"
    fits = next(form for form in bar.forms() if len(form) <= 78)
    assert "sandbox partial" in fits and "Keras running 12.3 s" in fits, fits
    assert "sandbox: partial (off: user namespace)" in bar.forms()[0]


def test_the_status_bar_shows_run_strings_as_text_not_markup() -> None:
    bar = StatusBar()
    bar.device = "device: [bold red]gpu[/]"
    bar.keras_state = "[b]x"
    rendered = bar.render()
    assert isinstance(rendered, Text)  # a str would be parsed as markup
    assert "[b]x" in rendered.plain


async def test_the_status_bar_on_screen_at_80_columns(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f7")
        await wait(pilot, lambda: all(run.end is not None for run in screen.runs.values()))
        # The status bar ticks every 0.5 s: wait for the tick that shows both ends.
        await wait(
            pilot, lambda: "PyTorch ok" in screen_text(app) and "Keras ok" in screen_text(app)
        )
        line = next(line for line in screen_text(app).splitlines() if "Keras ok" in line)
        assert "│ PyTorch ok" in line and line.rstrip().endswith("(b)"), line


def pack_without_epoch_metrics(tmp_path: Path) -> Path:
    """The fixture lesson minus its per-epoch ``report``: predictions, but nothing to chart."""
    pack = tmp_path / "pack"
    shutil.copytree(FIXTURE_PACK, pack)
    for program in (pack / "01-basics").rglob("in_*.py"):
        text = program.read_text()
        program.write_text(text.replace("    report(epoch=epoch", "    dict(epoch=epoch"))
    return pack


def insights(screen: LessonScreen) -> TabbedContent:
    return screen.query_one("#insights", TabbedContent)


async def test_a_run_without_epoch_metrics_shows_its_predictions_not_an_empty_chart(
    make_app: Callable[..., Any], wait: Any, tmp_path: Path, screen_text: Callable[[Any], str]
) -> None:
    app = make_app(pack_without_epoch_metrics(tmp_path))
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f7")
        await wait(pilot, lambda: not any(run.running for run in screen.runs.values()))
        assert insights(screen).active == "pane-predictions"
        await pilot.press("ctrl+t", "ctrl+t")  # the narrow layout's Results tab
        await pilot.wait_for_scheduled_animations()
        text = screen_text(app)
        assert "run a side to see it" not in text and "PyTorch" in text, text


async def test_a_run_never_takes_the_learner_away_from_the_tab_they_chose(
    make_app: Callable[..., Any], wait: Any, engine: Any
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, wait)
        for side in ("keras", "pytorch"):  # solved: the check passes when the runs end
            pane = screen.query_one(f"#code-{side}", CodePane)
            pane.load(pane.text.replace("EPOCHS = 2", "EPOCHS = 4"))
        engine.hold_runs = True  # long runs: they wait before their end, time to choose a tab
        await pilot.press("f7", "f8")  # while the runs go: Chart → Compare
        assert insights(screen).active == "pane-compare"
        assert all(run.running for run in screen.runs.values())
        engine.hold_runs = False
        engine.release_all()
        await wait(pilot, lambda: not any(run.running for run in screen.runs.values()))
        assert (
            screen.runs["keras"].state == "ok"
            and "Check passed" in screen.query_one("#exercise").check
        )
        assert insights(screen).active == "pane-compare"  # not Chart, not Exercise
        await pilot.press("f7")  # new runs, no pick yet: the chart comes forward with epochs
        await wait(pilot, lambda: all(run.end is not None for run in screen.runs.values()))
        await wait(pilot, lambda: insights(screen).active == "pane-exercise")  # passed again
