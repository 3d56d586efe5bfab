"""The one check implementation (``fwlearn.lessons.verify``) and the one section grammar
(``fwlearn.lessons.sections``), on the good fixture lesson, fake runs and one real run.

What the app, ``fwlearn run LESSON`` and ``fwlearn check`` show comes from these functions, so the
messages asserted here are the ones a learner reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fwlearn.lessons import (
    FAIL_MARK,
    Lesson,
    find_markers,
    load_lesson,
    section_line,
    verify_lesson,
    verify_side,
)

BASICS_DIR = Path(__file__).parent / "fixtures" / "good" / "01-basics"


@dataclass
class FakeResult:
    """The three things a check reads from a run."""

    metrics: dict[str, float | None] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    ok: bool = True

    def final_metrics(self) -> dict[str, float | None]:
        return dict(self.metrics)


def basics() -> Lesson:
    """The good fixture: needs val_accuracy >= 0.95 (both sides) and epochs == 4."""
    lesson, problems = load_lesson(BASICS_DIR)
    assert lesson is not None, problems
    return lesson


SOLVED = FakeResult({"val_accuracy": 1.0}, {"epochs": 4})
STARTING = FakeResult({"val_accuracy": 0.5}, {"epochs": 2})


def test_a_verdict_keeps_the_values_it_read() -> None:
    verdict = verify_side(basics(), "keras", STARTING)
    assert verdict.side == "keras" and verdict.ran and not verdict.passed
    assert verdict.values == {"val_accuracy": 0.5, "epochs": 2}
    assert verdict.failing == verdict.messages  # both conditions fail
    nan = verify_side(basics(), "pytorch", FakeResult({"val_accuracy": None}))
    assert nan.values == {"val_accuracy": None}  # NaN is kept as None; epochs never reported
    assert nan.messages[1] == "✗ pytorch: no fact epochs reported; needs epochs == 4"


def test_a_lesson_verdict_is_complete_only_when_every_edited_side_ran() -> None:
    lesson = basics()
    half = verify_lesson(lesson, {"keras": SOLVED, "pytorch": None})
    assert not half.passed and not half.complete and half.missing == ("pytorch",)
    assert list(half.sides) == ["keras"] and half.sides["keras"].passed
    assert half.messages[-1] == f"{FAIL_MARK} pytorch: not run yet"
    assert half.failing == (f"{FAIL_MARK} pytorch: not run yet",)
    whole = verify_lesson(lesson, {"pytorch": SOLVED, "keras": SOLVED})
    assert whole.passed and whole.complete and list(whole.sides) == ["keras", "pytorch"]


def test_only_ran_judges_the_sides_that_ran_and_says_what_to_run() -> None:
    """What ``fwlearn run LESSON --side X`` shows: that side's lines, no "not run yet"."""
    lesson = basics()
    one = verify_lesson(lesson, {"pytorch": SOLVED}, only_ran=True)
    assert one.passed and one.missing == ("keras",)
    assert one.messages == ("✓ pytorch: val_accuracy 1 >= 0.95", "✓ pytorch: epochs == 4")
    none = verify_lesson(lesson, {}, only_ran=True)
    assert not none.passed
    assert none.messages == ("the exercise is on the keras and pytorch side: run that side",)


# -- sections -----------------------------------------------------------------------------------


def test_one_grammar_strict_for_the_loader_lenient_for_the_editor() -> None:
    text = "import x\n# %% Load\na = 1\n# %%Train  \nb = 2\n# %%\n#  %% not a marker\n"
    markers = find_markers(text)
    assert [(m.line, m.title, m.well_formed) for m in markers] == [
        (2, "Load", True),
        (4, "Train", False),  # the loader reports it: "needs a title: '# %% Title'"
        (6, "", False),
    ]
    # The screen, searching the learner's edited text, still finds the damaged marker.
    assert section_line(text, "Train") == 4
    assert section_line(text, "Load") == 2
    assert section_line(text, "Gone") is None
    assert section_line(text, None) is None


def test_the_loaders_sections_are_the_grammars_markers() -> None:
    lesson = basics()
    for code in lesson.files.values():
        assert [(s.title, s.line) for s in code.sections] == [
            (m.title, m.line) for m in find_markers(code.source)
        ]
        for section in code.sections:
            assert section_line(code.source, section.title) == section.line
