"""Exercise checks (``fwlearn.lessons.verify``) on fake run results, and once on a real
RunResult built from events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from fwlearn.engine.events import End, Fact, Metric, Start
from fwlearn.engine.runner import RunResult
from fwlearn.lessons import Condition, Exercise, Lesson, load_lesson, verify_lesson, verify_side

BASICS, _ = load_lesson(Path(__file__).parent / "fixtures" / "good" / "01-basics")
assert BASICS is not None


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


def cond(side: str = "both", metric: str | None = None, fact: str | None = None, **bounds: Any):
    return Condition(
        side=side,
        metric=metric,
        fact=fact,
        min=bounds.get("min"),
        max=bounds.get("max"),
        equals=bounds.get("equals"),
    )


def exercise(*checks: Condition, sides: tuple[str, ...] = ("keras", "pytorch")) -> Lesson:
    """A lesson whose exercise has these conditions (the rest of it is the good fixture's)."""
    assert BASICS is not None
    return replace(
        BASICS,
        exercise=Exercise(
            task="t",
            hint="h",
            sides=sides,
            fails_initially=True,
            solution={side: Path(f"solution/{side}.py") for side in sides},
            checks=checks,
        ),
    )


def check(condition: Condition, side: str, result: FakeResult) -> tuple[bool, str]:
    """One condition alone on one run: (passed, its line)."""
    verdict = verify_side(exercise(condition), side, result)
    (message,) = verdict.messages
    return verdict.passed, message


ACCURACY = cond(metric="val_accuracy", min=0.9)
EPOCHS = cond(fact="epochs", equals=8)


def test_passes_when_every_condition_holds_on_every_side() -> None:
    good = FakeResult({"val_accuracy": 0.93}, {"epochs": 8})
    outcome = verify_lesson(exercise(ACCURACY, EPOCHS), {"keras": good, "pytorch": good})
    assert outcome.passed
    assert outcome.messages == (
        "✓ keras: val_accuracy 0.93 >= 0.9",
        "✓ keras: epochs == 8",
        "✓ pytorch: val_accuracy 0.93 >= 0.9",
        "✓ pytorch: epochs == 8",
    )


def test_fails_when_one_side_misses_a_bound() -> None:
    good = FakeResult({"val_accuracy": 0.93}, {"epochs": 8})
    low = FakeResult({"val_accuracy": 0.81}, {"epochs": 3})
    outcome = verify_lesson(exercise(ACCURACY, EPOCHS), {"keras": good, "pytorch": low})
    assert not outcome.passed
    assert "✗ pytorch: val_accuracy is 0.81; needs val_accuracy >= 0.9" in outcome.messages
    assert "✗ pytorch: epochs is 3; needs epochs == 8" in outcome.messages


def test_every_side_of_the_exercise_must_have_run() -> None:
    good = FakeResult({"val_accuracy": 0.93}, {"epochs": 8})
    outcome = verify_lesson(exercise(ACCURACY), {"keras": good})
    assert not outcome.passed
    assert outcome.messages[-1] == "✗ pytorch: not run yet"


def test_a_run_that_did_not_end_ok_fails_even_with_good_numbers() -> None:
    crashed = FakeResult({"val_accuracy": 0.99}, ok=False)
    outcome = verify_lesson(exercise(ACCURACY, sides=("keras",)), {"keras": crashed})
    assert not outcome.passed
    assert outcome.messages[0] == "✗ keras: the run did not finish ok"


def test_a_side_outside_the_exercise_is_shown_as_an_invariant_but_does_not_decide() -> None:
    """FORMAT.md: a condition on a side the learner does not edit is an invariant of the
    shipped program; judged on its run when there is one, shown, but not the learner's."""
    good = FakeResult({"val_accuracy": 0.95})
    untouched = FakeResult({}, ok=False)  # the side the learner does not edit
    lesson = exercise(ACCURACY, sides=("pytorch",))
    outcome = verify_lesson(lesson, {"keras": untouched, "pytorch": good})
    assert outcome.passed and outcome.complete
    assert list(outcome.sides) == ["pytorch"] and not outcome.invariants["keras"].passed
    assert outcome.messages == (
        "✓ pytorch: val_accuracy 0.95 >= 0.9",
        "✗ keras: the run did not finish ok (shipped program, not part of the exercise)",
        "✗ keras: no metric val_accuracy reported; needs val_accuracy >= 0.9 "
        "(shipped program, not part of the exercise)",
    )
    assert verify_lesson(lesson, {"pytorch": good}).messages == outcome.messages[:1]


def test_verify_side_uses_only_conditions_for_that_side() -> None:
    keras_only = cond("keras", metric="accuracy", min=0.5)
    torch_only = cond("pytorch", fact="params", max=100)
    lesson = exercise(keras_only, torch_only)
    result = FakeResult({"accuracy": 0.6}, {"params": 1000})
    keras = verify_side(lesson, "keras", result)
    assert keras.passed and keras.messages == ("✓ keras: accuracy 0.6 >= 0.5",)
    torch = verify_side(lesson, "pytorch", result)
    assert not torch.passed and torch.messages == (
        "✗ pytorch: params is 1000; needs params <= 100",
    )


@pytest.mark.parametrize(
    ("condition", "value", "passed"),
    [
        (cond(metric="loss", min=0.1, max=0.5), 0.3, True),
        (cond(metric="loss", min=0.1, max=0.5), 0.5, True),
        (cond(metric="loss", min=0.1, max=0.5), 0.6, False),
        (cond(metric="loss", min=0.1, max=0.5), None, False),  # NaN arrives as None
        (cond(fact="lr", equals=0.01), 0.1 * 0.1, True),  # float noise is tolerated
        (cond(fact="epochs", equals=8), 8.0, True),
        (cond(fact="shape", equals=[32, 10]), [32, 10], True),
        (cond(fact="shape", equals=[32, 10]), [32, 1], False),
        (cond(fact="name", equals="adam"), "adam", True),
        (cond(fact="count", min=1), "many", False),  # bounds need a number
        (cond(fact="count", min=1), True, False),  # a bool is not a number
    ],
)
def test_condition_bounds(condition: Condition, value: Any, passed: bool) -> None:
    if condition.metric is not None:
        result = FakeResult(metrics={condition.name: value})
    else:
        result = FakeResult(facts={condition.name: value})
    held, message = check(condition, "keras", result)
    assert held is passed
    assert message.startswith("✓ keras: " if passed else "✗ keras: ")


def test_missing_metric_or_fact_says_so() -> None:
    held, message = check(ACCURACY, "keras", FakeResult())
    assert not held
    assert message == "✗ keras: no metric val_accuracy reported; needs val_accuracy >= 0.9"
    held, message = check(EPOCHS, "pytorch", FakeResult())
    assert message == "✗ pytorch: no fact epochs reported; needs epochs == 8"


def test_nan_metric_says_nan() -> None:
    held, message = check(ACCURACY, "keras", FakeResult({"val_accuracy": None}))
    assert not held and "val_accuracy is NaN" in message


def test_describe() -> None:
    assert ACCURACY.describe() == "val_accuracy >= 0.9 (both)"
    assert cond("keras", fact="epochs", equals=8).describe() == "epochs == 8 (keras)"
    assert cond("pytorch", metric="loss", min=0.1, max=0.5).describe() == (
        "0.1 <= loss <= 0.5 (pytorch)"
    )
    assert cond(metric="loss", max=0.5).describe() == "loss <= 0.5 (both)"


def test_works_with_the_engines_run_result() -> None:
    """The duck-typed contract holds for fwlearn.engine.RunResult (val_ prefix, facts, ok)."""
    events = [
        Start("r1", 0.0),
        Metric("r1", 1.0, {"loss": 0.4, "accuracy": 0.8}, epoch=1),
        Metric("r1", 1.0, {"accuracy": 0.91}, epoch=1, split="val"),
        Fact("r1", 1.1, "epochs", 8),
        End("r1", 2.0, "ok", 0, 2.0),
    ]
    result = RunResult(events)
    outcome = verify_lesson(exercise(ACCURACY, EPOCHS, sides=("keras",)), {"keras": result})
    assert outcome.passed, outcome.messages
    failed = RunResult([*events[:-1], End("r1", 2.0, "failed", 1, 2.0)])
    assert not verify_lesson(exercise(ACCURACY, sides=("keras",)), {"keras": failed}).passed
