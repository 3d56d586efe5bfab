"""Watch on save (w): a side's working file saved from outside loads into the app and runs;
Pilot tests on the fixture pack against the scripted engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.watch import Watcher
from fwlearn.tui.widgets.run_log import RunLog
from fwlearn.workfiles import WORK_FOLDER

WIDE = (160, 48)


async def open_lesson(pilot: Any, wait: Any) -> LessonScreen:
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen


def work_path(home: Path, side: str) -> Path:
    return home / WORK_FOLDER / "basics" / f"in_{side}.py"


async def test_a_save_outside_loads_and_runs_that_side(
    make_app: Callable[..., Any],
    wait: Any,
    home: Path,
    engine: Any,
    notifications: Callable[[Any], list[str]],
) -> None:
    app = make_app()
    said = notifications(app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("w")
        keras_file = work_path(home, "keras")
        await wait(pilot, lambda: bool(screen.query(Watcher)))
        assert keras_file.read_text(encoding="utf-8") == screen.sides["keras"].text
        assert (
            work_path(home, "pytorch").read_text(encoding="utf-8") == screen.sides["pytorch"].text
        )
        assert any("Watch on save" in line and str(keras_file) in line for line in said)
        log = screen.query_one("#log-keras", RunLog)
        assert f"watching {keras_file}" in log.text  # where to save, said in the app

        edited = keras_file.read_text(encoding="utf-8").replace("EPOCHS = 2", "EPOCHS = 3")
        keras_file.write_text(edited, encoding="utf-8")  # the learner's editor saves
        await wait(pilot, lambda: len(app.store.runs("basics", side="keras")) == 1)
        assert screen.sides["keras"].text == edited  # loaded into the app
        assert app.store.edit("basics", "keras") == edited  # and saved there
        assert "epoch 3 loss" in log.text and "saved in your editor" in log.text
        assert len(engine.runs) == 1 and not app.store.runs("basics", side="pytorch")

        typed = edited.replace("EPOCHS = 3", "EPOCHS = 4")
        screen.sides["keras"].load(typed)  # typing in the app: the file follows
        await wait(pilot, lambda: keras_file.read_text(encoding="utf-8") == typed)
        assert len(engine.runs) == 1  # the app's own write does not run it

        await pilot.press("w")
        await wait(pilot, lambda: not screen.query(Watcher))  # nothing polls any more
        assert any("Watch on save is off" in line for line in said)


async def test_a_save_while_the_side_runs_cancels_and_runs_it_again(
    make_app: Callable[..., Any], wait: Any, home: Path, engine: Any
) -> None:
    app = make_app()
    engine.hold_runs = True  # each run waits before its end, as a long training would
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_lesson(pilot, wait)
        await pilot.press("w")
        await wait(pilot, lambda: bool(screen.query(Watcher)))
        await pilot.press("f5")
        await wait(pilot, lambda: screen.runs["keras"].running and len(engine.runs) == 1)
        keras_file = work_path(home, "keras")
        text = keras_file.read_text(encoding="utf-8").replace("EPOCHS = 2", "EPOCHS = 5")
        keras_file.write_text(text, encoding="utf-8")
        await wait(pilot, lambda: len(engine.runs) == 2)  # cancelled, then started again
        assert app.store.runs("basics", side="keras")[0].status == "cancelled"
        engine.hold_runs = False
        engine.release_all()
        await wait(pilot, lambda: screen.runs["keras"].state == "ok")
        assert engine.runs[-1].spec.source == text
