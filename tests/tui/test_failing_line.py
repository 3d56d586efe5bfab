"""Issue 16 items 3 and 6: the failing line marked in the gutter, the traceback's frames in the
learner's file listed and reachable with ``g``, the run's state in the narrow tab labels, the
device by name in the status bar, and "reset this lesson" findable in the palette.

Runs are scripted (``engine.will_run``): what a real run reports is checked in
``tests/engine/test_error_frames.py``, and one ``slow`` test here runs a real SyntaxError.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.command import CommandPalette

from fwlearn.engine import Error, Start
from fwlearn.engine.scripted import HOLD, exception, printed
from fwlearn.tui.screens.confirm import ConfirmScreen
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.lesson_tabs import LessonTabs
from fwlearn.tui.widgets.status_bar import short_device

NARROW = (80, 24)
# Line 2 fails, called from line 4: two frames in the learner's file.
FAILING = "def forward(x):\n    return 1 / x\n\nforward(0)\n"
PATH = "/tmp/fwlearn-run-1/work/in_keras.py"


def division_error() -> list[Any]:
    return exception(
        "ZeroDivisionError",
        "division by zero",
        [(PATH, 4, "<module>", "forward(0)"), (PATH, 2, "forward", "return 1 / x")],
    )


async def open_basics(pilot: Any, wait: Any) -> LessonScreen:
    pilot.app.open_lesson("basics")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen


def ended(screen: LessonScreen, side: str) -> Callable[[], bool]:
    return lambda: screen.runs[side].end is not None and side not in screen.session.active


def gutter_mark(text: str, line: int, code: str) -> bool:
    """The painted row of ``line`` carries the mark right after its number: ``2✗ code``."""
    return re.search(rf"(?<!\d){line}✗ +{re.escape(code)}", text) is not None


async def test_the_failing_line_is_marked_in_the_gutter_and_g_walks_the_frames(
    make_app: Callable[..., Any], engine: Any, wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_basics(pilot, wait)
        pane = screen.query_one("#code-keras", CodePane)
        pane.load(FAILING)
        engine.will_run(division_error())
        await pilot.press("f5")
        await wait(pilot, ended(screen, "keras"))
        await wait(pilot, lambda: gutter_mark(screen_text(app), 2, "return 1 / x"))
        assert pane.marked_line == 2
        # The frames, innermost first, under the pinned summary: the last lines of the log.
        log = screen.sides["keras"].log
        assert log.text.splitlines()[-2:] == [
            "✗ exception (line 2): ZeroDivisionError: division by zero",
            "  g steps through: line 2 in forward, line 4 in <module>",
        ]
        await wait(pilot, lambda: "g steps through: line 2 in forward" in screen_text(app))

        await pilot.press("g")  # the failing line, the code focused so the cursor shows
        await wait(pilot, lambda: pane.editor.cursor_location == (1, 0))
        assert app.focused is pane.editor and screen.editing is None  # still reading mode
        await pilot.press("g")  # its caller
        await wait(pilot, lambda: pane.editor.cursor_location == (3, 0))
        await pilot.press("g")  # and around
        await wait(pilot, lambda: pane.editor.cursor_location == (1, 0))

        # A selection vanished when the cursor moved; the mark stays.
        await pilot.press("down", "down")
        assert gutter_mark(screen_text(app), 2, "return 1 / x")


async def test_the_mark_follows_edits_elsewhere_and_goes_with_an_edit_of_its_line(
    make_app: Callable[..., Any], engine: Any, wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_basics(pilot, wait)
        pane = screen.query_one("#code-keras", CodePane)
        pane.load(FAILING)
        engine.will_run(division_error())
        await pilot.press("f5")
        await wait(pilot, lambda: pane.marked_line == 2)
        editor = pane.editor
        editor.insert("import math\n", (0, 0))  # a line above: the mark moves with its line
        await wait(pilot, lambda: pane.marked_line == 3)
        assert gutter_mark(screen_text(app), 3, "return 1 / x")
        editor.insert("# done\n", (5, 0))  # below: it stays
        await pilot.pause()
        assert pane.marked_line == 3
        editor.insert("1 + ", (2, 11))  # the failing line itself: what failed there is gone
        await wait(pilot, lambda: pane.marked_line is None)
        assert not re.search(r"\d✗ ", screen_text(app))

        engine.will_run(division_error())  # a new run ends the last run's mark at its start
        await pilot.press("f5")
        await wait(pilot, lambda: pane.marked_line == 2)
        engine.will_run(printed("fine"), HOLD)
        await pilot.press("f5")
        await wait(pilot, lambda: engine.last().holding)
        assert pane.marked_line is None
        await pilot.press("g")  # nothing to go to: said, not silent
        assert screen.sides["keras"].failure is None
        engine.release_all()


async def test_a_syntax_error_marks_its_line_and_g_goes_there(
    make_app: Callable[..., Any], engine: Any, wait: Any, notifications: Any
) -> None:
    app = make_app()
    said = notifications(app)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_basics(pilot, wait)
        await pilot.press("g")
        assert any("No failing line" in message for message in said)
        pane = screen.query_one("#code-pytorch", CodePane)
        pane.load("x = 1\ny = (\nz = 2\n")
        engine.will_run(
            Error("", 0.0, kind="syntax", message="SyntaxError: '(' was never closed", line=2)
        )
        await pilot.press("f6")
        await wait(pilot, ended(screen, "pytorch"))
        assert pane.marked_line == 2
        assert screen.sides["pytorch"].log.text.endswith("  g steps through: line 2")
        await pilot.press("g")  # from the Keras tab: the side that failed comes forward
        await wait(pilot, lambda: pane.editor.cursor_location == (1, 0))
        assert screen.tab == "pytorch"


@pytest.mark.slow
async def test_a_real_syntax_error_is_marked(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    """End to end: the worker's SyntaxError, through the engine, to the gutter."""
    app = make_app(real_engine=True)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_basics(pilot, wait)
        pane = screen.query_one("#code-keras", CodePane)
        pane.load("x = 1\nprint(x\n")
        await pilot.press("f5")
        await wait(pilot, ended(screen, "keras"), timeout=60)
        assert pane.marked_line == 2
        await wait(pilot, lambda: gutter_mark(screen_text(app), 2, "print(x"))


# -- item 6: the state you can see at 80 columns ----------------------------------------------


async def test_tab_labels_carry_each_sides_state_as_a_glyph(
    make_app: Callable[..., Any],
    engine: Any,
    wait: Any,
    screen_text: Callable[[Any], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NO_COLOR on: the marks are what tells the states apart, so they must be on screen."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_basics(pilot, wait)
        tabs_row = lambda: next(r for r in screen_text(app).splitlines() if "Results" in r)  # noqa: E731
        assert "Keras  " in tabs_row() and "✓" not in tabs_row()  # idle: no mark
        engine.will_run(printed("working"), HOLD)
        await pilot.press("f5")
        await wait(pilot, lambda: "Keras ●" in tabs_row())
        engine.will_run(division_error())
        await pilot.press("f6")
        await wait(pilot, lambda: "PyTorch ✗" in tabs_row())
        assert "Keras ●" in tabs_row()  # the hidden side's state, seen from the other tab
        engine.release_all()
        await wait(pilot, lambda: "Keras ✓" in tabs_row())
        engine.will_run(HOLD)
        await pilot.press("f5")
        await wait(pilot, lambda: engine.last().holding)
        await pilot.press("escape")
        await wait(pilot, lambda: "Keras ■" in tabs_row())
        assert screen.query_one(LessonTabs).after("results") == "keras"


@pytest.mark.parametrize(
    ("size", "shown"),
    [((160, 48), "device: cuda:0 (NVIDIA H200, 140 GiB)"), (NARROW, "│ cuda:0 (NVIDIA H200, 140")],
    ids=["160", "80"],
)
async def test_the_status_bar_names_the_gpu_and_its_memory(
    make_app: Callable[..., Any],
    engine: Any,
    wait: Any,
    screen_text: Callable[[Any], str],
    size: tuple[int, int],
    shown: str,
) -> None:
    """No GPU here: a scripted Start says what a CUDA worker says (``worker.cuda_label``)."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_basics(pilot, wait)
        gpu = Start("", 0.0, framework="keras", device="cuda:0 (NVIDIA H200, 140 GiB)")
        engine.will_run(gpu, printed("on the GPU"))
        await pilot.press("f5")
        await wait(pilot, ended(screen, "keras"))
        await wait(pilot, lambda: shown in screen_text(app).splitlines()[-2])
    # Where the whole label does not fit, the GPU keeps its name and memory.
    assert short_device("cuda:0 (NVIDIA H200, 140 GiB)") == "H200 140 GiB"
    assert short_device("cuda:1 (Tesla T4, 15 GiB)") == "Tesla T4 15 GiB"
    assert short_device("device ?") == "device ?"


async def test_reset_lesson_is_found_by_reset_in_the_palette_and_asks_first(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_basics(pilot, wait)
        pane = screen.query_one("#code-keras", CodePane)
        pane.load("print('mine')\n")
        await pilot.press("ctrl+p")
        await wait(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"reset lesson")
        await wait(pilot, lambda: "Reset this lesson to its starting code" in screen_text(app))
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait(pilot, lambda: pane.text == screen.lesson.files["keras"].source)
        await pilot.press("u")
        await wait(pilot, lambda: pane.text == "print('mine')\n")


async def test_the_pinned_summary_and_frames_end_the_visible_log(
    make_app: Callable[..., Any], wait: Any, screen_text: Callable[[Any], str]
) -> None:
    """A log following its tail still does after a pinned line rebuilds it: ``Log.clear()``
    left the view at the old offset, and the frames line could sit just below it (the 80x24
    snapshot showed it one time in three)."""
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_basics(pilot, wait)
        log = screen.sides["keras"].log
        log.push([f"line {i}" for i in range(30)])
        log.flush_now()
        await pilot.pause()
        assert log.is_vertical_scroll_end
        log.push(["Traceback (most recent call last):", "ValueError: bad"])
        log.pin("✗ exception (line 2): ValueError: bad")
        log.pin("  g steps through: line 2")
        log.flush_now()
        await pilot.pause()
        assert log.scroll_offset.y == log.max_scroll_y
        assert "g steps through: line 2" in screen_text(app)
