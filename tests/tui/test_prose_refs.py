"""Numbers in the prose as the learner reads them in the app (Pilot, scripted engine).

A reference renders from reference.json for the Keras backend the app is on, the learner's own
value appears beside it after a run, and the raw ``{keras.metric...}`` is never shown: without
reference.json each value reads "(not recorded)".
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.exercise_panel import ExercisePanel
from fwlearn.tui.widgets.prose_pane import ProsePane

FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"
WIDE = (160, 48)
INTRO = (
    "The start reaches {keras.metric.val_accuracy:.2f} in {keras.fact.epochs} epochs "
    "(pytorch: {pytorch.fact.epochs}; the article's rate {article:0.01}); `{x}` is code."
)
TASK = "Set EPOCHS to {literal:4}, past the recorded {keras.fact.epochs}."
RECORD = {
    "keras": {
        "tensorflow": {"start": {"metrics": {"val_accuracy": 0.75}, "facts": {"epochs": 2}}},
        "torch": {"start": {"metrics": {"val_accuracy": 0.25}, "facts": {"epochs": 2}}},
    },
    "pytorch": {"start": {"metrics": {}, "facts": {"epochs": 2}}},
}


def pack_with_references(tmp_path: Path, record: dict[str, Any] | None) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(FIXTURE_PACK, pack)
    lesson_md = pack / "01-basics" / "lesson.md"
    text = lesson_md.read_text(encoding="utf-8")
    text = text.replace("The fixture's introduction.", INTRO)
    text = text.replace('task = "Set EPOCHS to 4 on both sides."', f'task = "{TASK}"')
    lesson_md.write_text(text, encoding="utf-8")
    if record is not None:
        (pack / "01-basics" / "reference.json").write_text(json.dumps(record))
    # A Keras program (the scripted engine imports nothing), so its run has a Keras backend.
    program = pack / "01-basics" / "in_keras.py"
    program.write_text("import keras\n" + program.read_text(encoding="utf-8"), encoding="utf-8")
    return pack


async def open_basics(pilot: Any, wait: Any) -> LessonScreen:
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen


async def test_recorded_values_then_yours_then_another_backend(
    make_app: Callable[..., Any], wait: Any, tmp_path: Path
) -> None:
    installed = {"keras", "tensorflow", "torch"}
    app = make_app(pack_with_references(tmp_path, RECORD), installed=installed)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_basics(pilot, wait)
        assert app.keras_backend == "tensorflow"
        prose = screen.query_one("#prose", ProsePane)
        assert prose.source == (
            "The start reaches 0.75 in 2 epochs (pytorch: 2; the article's rate 0.01 (article)); "
            "`{x}` is code.\n"
        )
        panel = screen.query_one(ExercisePanel)
        assert panel.task_text == "Set EPOCHS to 4, past the recorded 2."

        await pilot.press("f5")  # keras, EPOCHS = 2: val_accuracy 0.5 on the scripted engine
        await wait(pilot, lambda: screen.runs["keras"].state == "ok")
        await wait(pilot, lambda: "(yours: 0.50)" in prose.source)
        assert prose.source.startswith("The start reaches 0.75 (yours: 0.50) in 2 (yours: 2) ")
        assert "(pytorch: 2;" in prose.source  # pytorch has not run: nothing of "yours"
        assert panel.task_text == "Set EPOCHS to 4, past the recorded 2 (yours: 2)."

        # On the torch backend the prose quotes that backend's run, and the learner's
        # tensorflow run is no longer beside it.
        screen.action_switch_backend()
        await pilot.pause()
        assert app.keras_backend == "torch"
        assert prose.source.startswith("The start reaches 0.25 in 2 epochs")


async def test_without_reference_json_nothing_raw_is_shown(
    make_app: Callable[..., Any], wait: Any, tmp_path: Path, screen_text: Any
) -> None:
    app = make_app(pack_with_references(tmp_path, None))
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_basics(pilot, wait)
        prose = screen.query_one("#prose", ProsePane)
        assert prose.source.startswith("The start reaches (not recorded) in (not recorded) epochs")
        painted = screen_text(app)
        assert "{keras" not in painted and "{literal" not in painted
        assert "The start reaches (not recorded)" in painted
        panel = screen.query_one(ExercisePanel)  # in a tab not shown at first
        assert panel.task_text == "Set EPOCHS to 4, past the recorded (not recorded)."
