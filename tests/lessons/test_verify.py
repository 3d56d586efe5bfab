"""The one check implementation (``fwlearn.lessons.verify``) and the one section grammar
(``fwlearn.lessons.sections``), on the good fixture lesson, fake runs and one real run.

What the app, ``fwlearn run LESSON`` and ``fwlearn check`` show comes from these functions, so the
messages asserted here are the ones a learner reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fwlearn.engine.events import End, Fact, Metric, Start
from fwlearn.engine.result import RunResult
from fwlearn.lessons import (
    FAIL_MARK,
    Condition,
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

    def final_metrics(self, run: str | None = None) -> dict[str, float | None]:
        return dict(self.metrics) if run is None else {}

    def run_facts(self, run: str) -> dict[str, Any]:
        return {}

    @property
    def runs(self) -> tuple[str, ...]:
        return ()


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


# -- issue 14: which value a check reads, and what a failed check shows ---------------------------

LABELS_DIR = Path(__file__).parent / "fixtures" / "labels" / "01-labels"


def labels() -> Lesson:
    """Checks: loss@adam <= 0.2 (keras), |keras - pytorch| loss_before <= 1e-6, epochs == 3
    (pytorch, which the learner does not edit)."""
    lesson, problems = load_lesson(LABELS_DIR)
    assert lesson is not None, problems
    return lesson


def run_of(*events: object) -> RunResult:
    """A real RunResult from events, as the engine builds it."""
    return RunResult([Start("r", 0.0), *events, End("r", 1.0)])  # type: ignore[list-item]


def test_a_result_keeps_each_labelled_runs_finals_and_facts() -> None:
    result = run_of(
        Fact("r", 0.1, "loss_before", 0.5),
        Metric("r", 0.2, {"loss": 0.4}, 1, run="adam"),
        Metric("r", 0.3, {"loss": 0.3}, 2, run="adam"),
        Fact("r", 0.3, "lr", 0.001, run="adam"),
        Metric("r", 0.4, {"loss": 0.1}, 1, run="sgd"),
        Metric("r", 0.5, {"loss": 0.9}, None, split="test", run="sgd"),
        Fact("r", 0.5, "lr", 0.1, run="sgd"),
    )
    assert result.runs == ("adam", "sgd")
    assert result.final_metrics() == {"loss": 0.1, "test_loss": 0.9}  # the last run reporting it
    assert result.final_metrics("adam") == {"loss": 0.3}
    assert result.final_metrics("") == {}
    assert result.facts == {"loss_before": 0.5, "lr": 0.1}
    assert result.run_facts("adam") == {"lr": 0.001} and result.run_facts("") == {
        "loss_before": 0.5
    }


def test_a_labelled_check_reads_its_run_not_the_last_one() -> None:
    lesson = labels()
    sgd_last = run_of(
        Fact("r", 0.1, "loss_before", 0.5),
        Metric("r", 0.2, {"loss": 0.45}, 3, run="adam"),
        Metric("r", 0.3, {"loss": 0.01}, 3, run="sgd"),
    )
    verdict = verify_side(lesson, "keras", sgd_last)
    assert not verdict.passed and verdict.values == {"loss@adam": 0.45}
    assert verdict.messages == ("✗ keras: loss@adam is 0.45; needs loss@adam <= 0.2",)
    unlabelled = run_of(Metric("r", 0.2, {"loss": 0.1}, 3))
    assert verify_side(lesson, "keras", unlabelled).messages == (
        "✗ keras: no run labelled 'adam' (runs: none: the program never calls "
        "fwlearn.run_label); needs loss@adam <= 0.2",
    )


def test_a_failed_check_shows_enough_digits_to_see_the_difference() -> None:
    """Was "needs 1.314 <= x <= 1.314" with a value shown as 1.314."""
    lesson = exercise_with(Condition("both", "loss", None, 1.3140, 1.31405, None))
    result = FakeResult({"loss": 1.31399})
    [message] = verify_side(lesson, "keras", result).messages
    assert message == "✗ keras: loss is 1.31399; needs 1.314 <= loss <= 1.31405"
    [message] = verify_side(lesson, "keras", FakeResult({"loss": 1.3140500001})).messages
    assert message == "✗ keras: loss is 1.3141; needs 1.314 <= loss <= 1.31405"


def test_a_misspelt_name_lists_what_was_reported() -> None:
    lesson = exercise_with(Condition("both", None, "test_mse", None, 0.1, None))
    [message] = verify_side(lesson, "keras", FakeResult({}, {"mse": 0.05, "params": 3})).messages
    assert message == (
        "✗ keras: no fact test_mse reported (facts reported: mse, params); needs test_mse <= 0.1"
    )


def test_equals_keeps_booleans_apart_from_numbers() -> None:
    lesson = exercise_with(Condition("both", None, "shape", None, None, [32, 3]))
    assert verify_side(lesson, "keras", FakeResult({}, {"shape": (32, 3.0)})).passed
    flag = exercise_with(Condition("both", None, "flag", None, None, True))
    assert not verify_side(flag, "keras", FakeResult({}, {"flag": 1})).passed
    assert verify_side(flag, "keras", FakeResult({}, {"flag": True})).passed


def test_an_across_check_needs_both_runs_and_says_so() -> None:
    lesson = labels()
    start = run_of(
        Fact("r", 0.1, "loss_before", 0.5), Metric("r", 0.2, {"loss": 0.1}, 3, run="adam")
    )
    half = verify_lesson(lesson, {"keras": start}, run_both="run both sides (F7)")
    assert not half.passed and not half.complete and half.missing == ("pytorch",)
    assert half.messages[-1] == (
        "✗ across: loss_before compares both sides' runs: run both sides (F7)"
    )
    torch = run_of(Fact("r", 0.1, "loss_before", 0.5 + 1e-9), Fact("r", 0.2, "epochs", 3))
    whole = verify_lesson(lesson, {"keras": start, "pytorch": torch})
    assert whole.passed and whole.complete and whole.across is not None
    assert whole.messages[-1].startswith("✓ across: |keras loss_before - pytorch loss_before| ")


def exercise_with(condition: Condition) -> Lesson:
    """The good fixture with this one condition (both sides edited)."""
    lesson = basics()
    return replace(lesson, exercise=replace(lesson.exercise, checks=(condition,)))
