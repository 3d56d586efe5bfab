"""LessonSession without a UI: the lesson's rules on the fixture pack, runs faked as events.

A "run" here is the events the engine would send (``Fact``, ``End``): the rules under test (what
is recorded, when the lesson is done, what ``u`` brings back) do not depend on a child process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fwlearn.engine import End, Fact
from fwlearn.lessons import load_pack
from fwlearn.session import LessonSession
from fwlearn.store import DB_NAME, Store

PACK = Path(__file__).parents[1] / "tui" / "fixtures" / "pack"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / DB_NAME)


@pytest.fixture
def session(store: Store) -> LessonSession:
    lessons = {lesson.id: lesson for lesson in load_pack(PACK).lessons}
    return LessonSession(lessons["basics"], store)


def fake_run(session: LessonSession, side: str, epochs: int, status: str = "ok") -> None:
    """What the engine sends for the fixture's code with EPOCHS = ``epochs``."""
    session.runs[side].begin(session.code[side])
    session.apply(side, Fact(run_id="r", t=0.0, name="epochs", value=epochs))
    session.apply(side, End(run_id="r", t=0.1, status=status, wall=0.1))  # type: ignore[arg-type]


def test_edits_are_saved_and_come_back(session: LessonSession, store: Store) -> None:
    text = session.code["keras"].replace("EPOCHS = 2", "EPOCHS = 4")
    session.edited("keras", text)
    session.save_edits()
    again = LessonSession(session.lesson, store)
    assert again.code["keras"] == text
    session.edited("keras", session.original("keras"))  # back to the original: edit dropped
    session.save_edits()
    assert store.edit("basics", "keras") is None


def test_steps_are_remembered(session: LessonSession, store: Store) -> None:
    assert session.open() == -1
    assert session.go_to(5) == "Train"  # clamped to the last step
    assert "Prose for the training step." in session.prose()
    assert LessonSession(session.lesson, store).open() == 1


def test_the_check_waits_for_both_sides_then_makes_the_lesson_done(
    session: LessonSession, store: Store
) -> None:
    fake_run(session, "keras", 4)
    first = session.finish("keras")
    assert first.passed is None and not first.newly_done
    assert session.check.shown and session.check.overall is None
    fake_run(session, "pytorch", 4)
    second = session.finish("pytorch")
    assert second.passed is True and second.newly_done and second.solved
    assert store.lesson("basics").done and session.solution_shown
    # keras alone could not decide the check; pytorch's run did
    assert sorted(str(r.check_passed) for r in store.runs("basics")) == ["None", "True"]


def test_a_failing_side_decides_at_once(session: LessonSession) -> None:
    fake_run(session, "keras", 2)
    assert session.finish("keras").passed is False
    assert not session.check.sides["keras"].passed


def test_reset_side_clears_done_and_undo_brings_it_back(
    session: LessonSession, store: Store
) -> None:
    for side in session.sides:
        session.edited(side, session.lesson.exercise.solution_source(side))
        fake_run(session, side, 4)
        session.finish(side)
    assert store.lesson("basics").done
    solved = session.code["keras"]
    session.reset_side("keras", "reset of the Keras code")
    assert session.code["keras"] == session.original("keras")
    assert not store.lesson("basics").done  # the code that passed is gone
    undo = session.undo()
    assert undo is not None and undo.sides == ("keras",)
    assert session.code["keras"] == solved and store.lesson("basics").done
    assert session.undo() is None  # one undo only


def test_reset_lesson_forgets_progress_and_undo_restores_it(
    session: LessonSession, store: Store
) -> None:
    session.take_solution("pytorch", "taking the solution")
    assert session.solution_shown
    fake_run(session, "pytorch", 4)
    session.finish("pytorch")
    session.reset_lesson("starting over")
    assert session.code["pytorch"] == session.original("pytorch")
    assert not session.check.shown and store.runs("basics") == []
    session.undo()
    assert session.code["pytorch"] == session.lesson.exercise.solution_source("pytorch")
    assert session.check.shown and len(store.runs("basics")) == 1


def test_a_cancelled_run_neither_passes_nor_fails(session: LessonSession, store: Store) -> None:
    fake_run(session, "keras", 2, status="cancelled")
    session.finish("keras")
    assert [r.check_passed for r in store.runs("basics")] == [None]


def test_the_spec_runs_the_code_in_the_editor(session: LessonSession) -> None:
    session.edited("keras", "print('hi')\n")
    spec = session.spec("keras", "torch")
    assert spec.source == "print('hi')\n" and spec.framework == "python"
    assert spec.keras_backend == "torch" and spec.timeout == 30


def test_a_pinned_side_runs_keras_on_its_pin_whatever_the_learner_picked(
    session: LessonSession, store: Store
) -> None:
    """A PyTorch-side program that trains a Keras model with a torch loop: the lesson pins the
    side to torch, so its run is a Keras run on torch even with tensorflow picked; the other
    side follows the learner's choice."""
    from dataclasses import replace

    pinned = LessonSession(
        replace(session.lesson, pinned_keras_backend={"pytorch": "torch"}), store
    )
    pinned.code["pytorch"] = "import keras\nimport torch\n"
    spec = pinned.spec("pytorch", "tensorflow")
    assert (spec.framework, spec.keras_backend) == ("keras", "torch")
    pinned.code["keras"] = "import keras\n"
    spec = pinned.spec("keras", "tensorflow")
    assert (spec.framework, spec.keras_backend) == ("keras", "tensorflow")
    # Unpinned, the same PyTorch-side code would run as the learner's Keras backend says.
    session.code["pytorch"] = "import keras\nimport torch\n"
    assert session.spec("pytorch", "tensorflow").keras_backend == "tensorflow"
