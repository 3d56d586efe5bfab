"""Issue 14 (item 4), in the app at 80x24: the Compare tab shows every reported fact side by side,
as they arrive; a saved edit whose lesson file changed since says so and offers the new version.

Real runs of the fast numpy fixture pack (tests/tui/conftest.py); the version tests edit a copy
of that pack between two app sessions over one progress database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import TabbedContent

from fwlearn.engine.scripted import HOLD, ScriptedEngine, fact
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.screens.solution import NewVersionScreen
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.comparison_panel import ComparisonPanel
from fwlearn.tui.widgets.run_log import RunLog

SIZE = (80, 24)
FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"

KERAS_FACTS = (
    "from fwlearn import report, report_fact\n"
    "report(epoch=1, loss=0.5, mse=0.25)\n"
    "report_fact('epochs', 3)\n"
    "report_fact('shape', [32, 3])\n"
    "report_fact('note', '[bold]not markup[/]')\n"
    "report_fact('ratio', 0.04112345678)\n"
)
PYTORCH_FACTS = (
    "from fwlearn import report_fact\nreport_fact('epochs', 3)\nreport_fact('only_torch', True)\n"
)


async def open_lesson(pilot: Any, wait: Any) -> LessonScreen:
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    screen: LessonScreen = pilot.app.screen
    screen.set_focus(None)  # reading mode: letter keys are commands
    return screen


def show_compare(screen: LessonScreen) -> None:
    screen.show_tab("results")
    screen.query_one("#insights", TabbedContent).active = "pane-compare"


def rows(text: str) -> dict[str, list[str]]:
    """The screen's lines as label -> cells (cells: runs of text split on 2+ spaces); a label
    seen twice keeps its last row (the ``epochs`` fact comes after the epochs count)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
        if cells:
            found[cells[0]] = cells[1:]
    return found


@pytest.mark.slow
async def test_compare_shows_every_fact_side_by_side(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    """Before: the Compare tab showed ``params`` only; ``epochs``, ``shape``... were nowhere.
    Real runs: the values come through the engine's pipe as a learner's program sends them."""
    app = make_app(real_engine=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        screen.query_one("#code-keras", CodePane).load(KERAS_FACTS)
        screen.query_one("#code-pytorch", CodePane).load(PYTORCH_FACTS)
        await pilot.press("f7")
        await wait(pilot, lambda: all(run.end is not None for run in screen.runs.values()), 60)
        show_compare(screen)
        await wait(pilot, lambda: "only_torch" in screen_text(app))
        table = rows(screen_text(app))
        assert table["epochs"] == ["3", "3"], table
        assert table["shape"] == ["[32, 3]", "—"], table
        assert table["note"] == ["[bold]not markup[/]", "—"], table  # text, not markup
        assert table["ratio"] == ["0.0411235", "—"], table
        assert table["only_torch"] == ["—", "True"], table
        assert table["mse"] == ["0.2500", "—"], table  # a final metric outside the usual six
        names = screen.query_one(ComparisonPanel).fact_names
        assert names == ["epochs", "shape", "note", "ratio", "only_torch"]


async def test_compare_shows_facts_while_the_run_goes(
    make_app: Callable[..., Any],
    engine: ScriptedEngine,
    wait: Any,
    screen_text: Callable[[Any], str],
) -> None:
    """Before: the table was built only when a run ended. Many facts: the panel scrolls."""
    many = [fact(f"f{i:02}", i) for i in range(30)]
    engine.will_run(fact("stage", "loading"), HOLD, *many)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("f5")
        show_compare(screen)
        await wait(pilot, lambda: "loading" in screen_text(app))
        assert screen.runs["keras"].running
        table = rows(screen_text(app))
        assert table["status"] == ["running", "not run"], table
        assert table["stage"] == ["loading", "—"], table
        engine.last().release()
        await wait(pilot, lambda: screen.runs["keras"].end is not None)
        await wait(pilot, lambda: "f29" in screen.query_one(ComparisonPanel).fact_names)
        view = screen.query_one("#compare-view", VerticalScroll)
        assert view.max_scroll_y > 0  # 30 more rows than 80x24 holds
        view.scroll_end(animate=False)
        await wait(pilot, lambda: "f29" in rows(screen_text(app)))
        assert rows(screen_text(app))["f29"] == ["29", "—"]


def copy_pack(tmp: Path) -> Path:
    pack = tmp / "pack"
    shutil.copytree(FIXTURE_PACK, pack)
    return pack


def ship_new_version(pack: Path) -> None:
    """The pack's author changes the Keras starting file (a new line in its first step)."""
    path = pack / "01-basics" / "in_keras.py"
    path.write_text(path.read_text().replace("EPOCHS = 2\n", "EPOCHS = 2\nSEED = 7\n"))


async def edit_then_leave(app: Any, wait: Any) -> str:
    """First session: the learner edits the Keras side; leaving the lesson saves it."""
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        pane = screen.query_one("#code-keras", CodePane)
        mine = pane.text.replace("EPOCHS = 2", "EPOCHS = 3")
        pane.load(mine)
        await pilot.press("q")
        await wait(pilot, lambda: app.store.edit("basics", "keras") == mine)
    return mine


async def test_a_changed_lesson_says_so_and_offers_the_new_version(
    make_app: Callable[..., Any],
    wait: Any,
    screen_text: Callable[[Any], str],
    notifications: Callable[[Any], list[str]],
    tmp_path: Path,
) -> None:
    """Before: the learner's copy of the old file opened as if nothing had changed."""
    pack = copy_pack(tmp_path)
    mine = await edit_then_leave(make_app(pack), wait)
    ship_new_version(pack)
    app = make_app(pack)
    said = notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        pane = screen.query_one("#code-keras", CodePane)
        assert pane.text == mine  # their code still opens
        log = screen.query_one("#log-keras", RunLog).text
        assert "This lesson's code changed since you edited it" in log
        assert "changed since" not in screen.query_one("#log-pytorch", RunLog).text
        assert any("changed since you edited it (Keras)" in note for note in said), said
        await pilot.press("v")
        shown = lambda: isinstance(app.screen, NewVersionScreen) and "+ SEED" in screen_text(app)  # noqa: E731
        await wait(pilot, shown)
        text = screen_text(app)
        assert "+ SEED = 7" in text and "- EPOCHS = 3" in text and "+ EPOCHS = 2" in text, text
        assert "new version lines" in text and "t Take new version" in text, text
        assert "k Keep mine" in text, text
        await pilot.press("t")  # the lesson screen asks first
        await wait(pilot, lambda: "Replace your Keras code" in screen_text(app))
        await pilot.press("y")
        await wait(pilot, lambda: "SEED = 7" in pane.text)
        assert "EPOCHS = 2" in pane.text and screen.session.outdated() == []
        await pilot.press("u")  # their version back, and with it the note's reason
        await wait(pilot, lambda: pane.text == mine)
        assert screen.session.outdated() == ["keras"]
        await pilot.press("v", "k")  # keep theirs: no more note, in this session or the next
        await wait(pilot, lambda: screen.session.outdated() == [])
        assert app.screen is screen and pane.text == mine
    again = make_app(pack)
    async with again.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        assert screen.session.code["keras"] == mine
        assert "changed since" not in screen.query_one("#log-keras", RunLog).text


async def test_v_without_a_changed_lesson_says_there_is_nothing_new(
    make_app: Callable[..., Any],
    wait: Any,
    notifications: Callable[[Any], list[str]],
    tmp_path: Path,
) -> None:
    pack = copy_pack(tmp_path)
    await edit_then_leave(make_app(pack), wait)
    app = make_app(pack)
    said = notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lesson(pilot, wait)
        assert "changed since" not in screen.query_one("#log-keras", RunLog).text
        await pilot.press("v")
        await wait(pilot, lambda: any("nothing new" in note for note in said))
        assert app.screen is screen
