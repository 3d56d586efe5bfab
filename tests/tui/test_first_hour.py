"""A new learner's first hour at 80x24, keyboard only (issue 11): reading mode, the keys the
footer promises, the explanation read in full, the external editor, destructive actions that
ask and can be undone, and a "done" that follows the checks. Real runs on the numpy fixture
pack through the scripted engine (tests/tui/conftest.py); the built-in pack is only opened (its
code never runs here)."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwlearn.engine.scripted import exception
from fwlearn.tui.screens.browser import BrowserScreen
from fwlearn.tui.screens.confirm import ConfirmScreen
from fwlearn.tui.screens.lesson import LessonScreen, marker_line
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.prose_pane import ProsePane

NARROW = (80, 24)
BUILTIN = Path(__file__).parents[2] / "lessons" / "builtin"


async def open_lesson(pilot: Any, lesson_id: str) -> LessonScreen:
    pilot.app.open_lesson(lesson_id)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen


def footer_keys(screen: LessonScreen) -> list[tuple[str, str, int]]:
    """(key, label, right edge) of every key the footer shows, left to right."""
    keys = screen.query_one("Footer").query("FooterKey")
    return [(key.key_display, key.description, key.region.right) for key in keys]  # type: ignore[attr-defined]


def finished(screen: LessonScreen, *sides: str) -> Callable[[], bool]:
    return lambda: all(
        screen.runs[s].end is not None
        and s not in screen.session.active
        and not screen.runs[s].running
        for s in sides
    )


# -- 1. the explanation, in full, by keyboard ----------------------------------------------------


async def test_a_long_step_is_read_by_keyboard_and_full_screen(
    make_app: Callable[..., Any],
) -> None:
    app = make_app(BUILTIN)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "training")
        screen.go_to_section(screen.lesson.section_titles.index("Train"))
        prose = screen.query_one("#prose", ProsePane)
        await pilot.wait_for_scheduled_animations()  # the step's Markdown laid out
        assert screen.focused is prose  # a lesson opens on its explanation
        assert prose.max_scroll_y > 20  # a long step: most of it below the box
        await pilot.press("pagedown", "down")
        assert prose.scroll_y > 0
        await pilot.press("end")
        assert prose.scroll_y == prose.max_scroll_y
        await pilot.press("m")  # full screen
        await wait_until(pilot, lambda: prose.size.height >= 20)
        assert screen.maximized is prose
        await pilot.press("escape")
        await wait_until(pilot, lambda: prose.size.height <= 8)
        assert screen.maximized is None


@pytest.mark.parametrize("lesson_id,step", [("prediction", "Probabilities and class ids")])
async def test_a_typical_step_fits_whole_at_160x48(
    make_app: Callable[..., Any], lesson_id: str, step: str
) -> None:
    app = make_app(BUILTIN)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_lesson(pilot, lesson_id)
        screen.go_to_section(screen.lesson.section_titles.index(step))
        prose = screen.query_one("#prose", ProsePane)
        await pilot.wait_for_scheduled_animations()  # the step's Markdown laid out
        assert prose.virtual_size.height > 8  # longer than the old 8-row box
        assert prose.max_scroll_y == 0  # and shown whole, no scrolling
        assert screen.query_one("#code-keras", CodePane).size.height >= 10


# -- 2. reading mode: one-key commands, Tab, a stable footer -------------------------------------


async def test_reading_mode_keys_never_type_into_the_code(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "basics")
        original = screen.lesson.files["keras"].source
        pane = screen.query_one("#code-keras", CodePane)
        for _ in range(5):  # Tab moves through the panes into the code, read-only
            if screen.focused is pane.editor:
                break
            await pilot.press("tab")
        assert screen.focused is pane.editor
        await pilot.press("tab", "shift+tab", "b", "b", "h")
        assert screen.query_one("#insights").active == "pane-exercise"  # h: the hint
        assert screen.tab == "results"
        screen.show_tab("keras")
        pane.editor.focus()
        await pilot.press("?")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        screen.save_edits()  # what the 0.5 s save timer does: nothing, as nothing changed
        await pilot.pause()
        assert pane.text == original
        assert app.store.edit("basics", "keras") is None

        # e: editing mode; letters and Tab type; Esc leaves, letters are commands again.
        await pilot.press("e", "x", "tab")
        assert screen.editing == "keras"
        assert pane.text != original
        await pilot.press("escape")
        assert screen.editing is None and pane.editor.read_only
        await pilot.press("q")
        assert isinstance(app.screen, BrowserScreen)
        assert app.store.edit("basics", "keras") is not None  # the edit was kept


async def test_footer_shows_the_one_key_commands_in_a_stable_order(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "slow")
        await pilot.wait_for_scheduled_animations()
        reading = footer_keys(screen)
        shown = [key for key, _label, _right in reading]
        for key in ("f5", "f6", "f7", "e", "h", "s", "?", "q"):
            assert key in shown, (key, reading)
        assert all(right <= 80 for _key, _label, right in reading), reading

        screen.query_one("#code-keras", CodePane).editor.focus()  # the code: same footer
        await pilot.wait_for_scheduled_animations()
        assert footer_keys(screen) == reading

        await pilot.press("f5")  # a run: Esc cancels, shown first, everything still fits
        await wait_until(pilot, lambda: footer_keys(screen)[0][:2] == ("esc", "Cancel"))
        running = footer_keys(screen)
        assert running[0][:2] == ("esc", "Cancel")
        assert [k[:2] for k in running[1:]] == [k[:2] for k in reading]
        assert all(right <= 80 for _key, _label, right in running), running

        await pilot.press("e")  # editing: Esc is "Done" and does not cancel the run
        await wait_until(pilot, lambda: footer_keys(screen)[0][:2] == ("esc", "Done"))
        editing = footer_keys(screen)
        assert editing[0][:2] == ("esc", "Done")
        assert [k for k, _l, _r in editing[1:4]] == ["f5", "f6", "f7"]
        await pilot.press("escape")
        assert screen.editing is None and screen.runs["keras"].running
        await pilot.press("escape")  # reading mode: Esc cancels
        await wait_until(pilot, finished(screen, "keras"))
        assert screen.runs["keras"].state == "cancelled"


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """The ``wait`` fixture's loop (tests/tui/conftest.py), for helpers outside a test."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
        await pilot.pause()


# -- 5. the external editor ------------------------------------------------------------------------


def fake_editor(folder: Path, name: str = "vim", exit_status: int = 0) -> tuple[Path, Path]:
    """A script called ``name`` that records its argv and adds a line to the file it edits."""
    argv_file = folder / "argv.txt"
    script = folder / name
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{argv_file}"\n'
        "for last; do :; done\n"
        'echo "# edited outside" >> "$last"\n'
        f"exit {exit_status}\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, argv_file


async def test_the_editor_opens_at_the_step_and_its_edit_comes_back(
    make_app: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, argv_file = fake_editor(tmp_path)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "basics")
        await pilot.press("f3", "f3")  # step "Train"
        pane = screen.query_one("#code-keras", CodePane)
        line = marker_line(pane.text, "Train")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: pane.text.endswith("# edited outside\n"))
        argv = argv_file.read_text().splitlines()
        assert argv[0] == f"+{line}" and argv[1].endswith("basics_keras.py")
        await wait_until(
            pilot, lambda: (app.store.edit("basics", "keras") or "").endswith("# edited outside\n")
        )


@pytest.mark.parametrize("editor", ["doesnotexist", "failing"])
async def test_an_editor_failure_says_so_and_the_app_goes_on(
    make_app: Callable[..., Any],
    notifications: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    editor: str,
) -> None:
    if editor == "failing":
        script, _argv = fake_editor(tmp_path, "myeditor", exit_status=3)
        editor = str(script)
    monkeypatch.setenv("EDITOR", editor)
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app()
    said = notifications(app)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "basics")
        pane = screen.query_one("#code-keras", CodePane)
        before = pane.text
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: any("editor" in m.lower() for m in said))
        if editor == "doesnotexist":
            assert any("No editor 'doesnotexist'" in m and "EDITOR" in m for m in said), said
        else:
            assert any("exited with status 3" in m for m in said), said
        assert pane.text == before  # nothing half-done was loaded
        await pilot.press("f3")  # and the app still answers keys
        assert screen.section_index == 0


# -- 7. destructive actions ask and can be undone --------------------------------------------------


async def pass_the_exercise(pilot: Any, screen: LessonScreen) -> None:
    for side in ("keras", "pytorch"):
        editor = screen.query_one(f"#code-{side}", CodePane).editor
        row = next(i for i, line in enumerate(editor.text.splitlines()) if "EPOCHS = 2" in line)
        editor.replace("4", (row, 9), (row, 10))
    await pilot.press("f7")
    await wait_until(pilot, finished(screen, "keras", "pytorch"))


async def test_reset_side_asks_and_undo_brings_the_code_and_done_back(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "basics")
        await pass_the_exercise(pilot, screen)
        assert app.store.lesson("basics").state == "done"
        pane = screen.query_one("#code-keras", CodePane)
        solved = pane.text
        screen.show_tab("keras")
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing changes
        assert pane.text == solved
        await pilot.press("r", "y")
        assert pane.text == screen.lesson.files["keras"].source
        assert app.store.edit("basics", "keras") is None
        assert app.store.lesson("basics").state == "in progress"  # the passing code is gone
        await pilot.press("u")
        assert pane.text == solved
        assert app.store.edit("basics", "keras") == solved
        assert app.store.lesson("basics").state == "done"


async def test_start_over_and_take_solution_ask_and_undo(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "basics")
        await pass_the_exercise(pilot, screen)
        runs = len(app.store.runs("basics"))
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        for side in ("keras", "pytorch"):
            assert screen.query_one(f"#code-{side}", CodePane).text == (
                screen.lesson.files[side].source
            )
        assert app.store.lesson("basics").state == "in progress"  # open now, nothing done
        assert app.store.runs("basics") == []
        await pilot.press("u")
        assert app.store.lesson("basics").state == "done"
        assert len(app.store.runs("basics")) == runs
        assert "EPOCHS = 4" in screen.query_one("#code-pytorch", CodePane).text

        await pilot.press("R", "y")  # start over, then take the solution for PyTorch
        screen.show_tab("pytorch")
        screen.action_take_solution()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        solution = screen.lesson.exercise.solution_source("pytorch")
        pane = screen.query_one("#code-pytorch", CodePane)
        assert pane.text == solution
        await pilot.press("u")
        assert pane.text == screen.lesson.files["pytorch"].source


# -- 8. "done" follows the checks, praise only after a passing one ---------------------------------


async def test_done_follows_the_checks_and_praise_follows_a_pass(
    make_app: Callable[..., Any],
    notifications: Any,
) -> None:
    app = make_app()
    said = notifications(app)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "basics")
        await pilot.press("f7")  # EPOCHS = 2: the check fails
        await wait_until(pilot, finished(screen, "keras", "pytorch"))
        assert not any("Well done" in m for m in said)
        await pass_the_exercise(pilot, screen)
        assert app.store.lesson("basics").state == "done"
        assert sum("Well done" in m for m in said) == 1, said

        # Break the Keras side again and run only it: no longer done, and no praise.
        editor = screen.query_one("#code-keras", CodePane).editor
        row = next(i for i, line in enumerate(editor.text.splitlines()) if "EPOCHS = 4" in line)
        editor.replace("3", (row, 9), (row, 10))
        await pilot.press("f5")
        await wait_until(pilot, finished(screen, "keras"))
        assert app.store.lesson("basics").state == "in progress"
        assert sum("Well done" in m for m in said) == 1
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, BrowserScreen))
        row = app.screen.query_one("#lessons").get_row("basics")
        assert "done" not in str(row[2])


def json_traceback() -> list[Any]:
    """What ``json.loads("{")`` on line 3 of the Keras side reports: an Error, then the
    traceback on stderr, its last two frames in the standard library (this Python's own)."""
    return exception(
        "json.decoder.JSONDecodeError",
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        [
            ("/tmp/fwlearn-run-1-x/work/in_keras.py", 3, "<module>", 'json.loads("{")'),
            (json.__file__, 346, "loads", "return _default_decoder.decode(s)"),
            (json.decoder.__file__, 337, "decode", "obj, end = self.raw_decode(s)"),
        ],
    )


async def test_f_shows_the_framework_lines_of_a_traceback_from_reading_mode(
    make_app: Callable[..., Any], wait: Any, engine: Any
) -> None:
    """The folded-lines placeholder says "f shows them": f must work where the learner is
    (reading mode, focus on the explanation), not only after tabbing into the log."""
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_lesson(pilot, "basics")
        pane = screen.query_one("#code-keras", CodePane)
        pane.load('import json\n\njson.loads("{")\n')  # fails inside the standard library
        engine.will_run(json_traceback())
        await pilot.press("f5")
        await wait(pilot, finished(screen, "keras"))
        log = screen.sides["keras"].log
        await wait(pilot, lambda: log.hidden_lines > 0)
        assert isinstance(app.focused, ProsePane)
        await pilot.press("f")
        assert log.hidden_lines == 0
        await pilot.press("f")
        assert log.hidden_lines > 0
