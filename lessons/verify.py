"""Does this run satisfy this exercise? The one implementation, for the app and the CLI alike.

A run goes in, a ``Verdict`` comes out, one per side: each side is judged on its own run, since
the learner edits and runs the two programs separately (and ``fwlearn check`` must tell which
starting file already passes). ``verify_lesson`` puts the sides of one exercise together. The
lesson screen, ``fwlearn run LESSON`` and ``fwlearn check`` all call these two functions and show
their ``messages`` as they are, so a check reads the same wherever the learner meets it.

A verdict keeps the ``values`` it read (name -> what the run reported), not just pass/fail, so
later checks can bind numbers in the prose to a run or explain a wrong answer without running
anything again.

Runs are duck-typed (``ResultLike``: ``.ok``, ``.final_metrics()``, ``.facts``) rather than
``fwlearn.engine.RunResult``, which satisfies it: this package stays stdlib only and tests can
pass tiny fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .model import SIDES, Condition, Lesson
from .values import is_number, same_value, show

PASS_MARK, FAIL_MARK = "✓", "✗"


class ResultLike(Protocol):
    """What a check needs from a finished run (``fwlearn.engine.RunResult`` satisfies it)."""

    @property
    def ok(self) -> bool: ...

    def final_metrics(self) -> dict[str, float | None]: ...

    @property
    def facts(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Verdict:
    """One side's run judged: ``passed``, one ``✓``/``✗`` line per condition, and the values read.

    ``values`` maps each metric/fact name a condition read to what the run reported (None: a NaN
    metric); a name the run never reported is absent. ``ran`` is False for a side with no run.
    """

    side: str
    passed: bool
    messages: tuple[str, ...]
    values: Mapping[str, Any] = field(default_factory=dict)
    ran: bool = True

    @property
    def failing(self) -> tuple[str, ...]:
        """The lines that say what is wrong (every line but the ✓ ones)."""
        return tuple(m for m in self.messages if not m.startswith(PASS_MARK))


@dataclass(frozen=True)
class LessonVerdict:
    """An exercise judged on the runs at hand: every judged side must pass.

    ``sides`` holds the judged sides' verdicts in SIDES order, ``missing`` the exercise's sides
    that have no run. ``messages`` is what to show, in order.
    """

    passed: bool
    messages: tuple[str, ...]
    sides: Mapping[str, Verdict]
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every side the exercise edits has a run: the verdict is about the whole exercise."""
        return not self.missing

    @property
    def failing(self) -> tuple[str, ...]:
        """The lines that say what is wrong (every line but the ✓ ones)."""
        return tuple(m for m in self.messages if not m.startswith(PASS_MARK))


def verify_side(lesson: Lesson, side: str, result: ResultLike) -> Verdict:
    """The exercise's conditions for ``side`` on that side's run, which must also have ended ok."""
    messages: list[str] = []
    values: dict[str, Any] = {}
    passed = True
    if not result.ok:
        passed = False
        messages.append(f"{FAIL_MARK} {side}: the run did not finish ok")
    for condition in lesson.exercise.checks:
        if not condition.applies_to(side):
            continue
        reported = result.final_metrics() if condition.metric is not None else result.facts
        if condition.name in reported:
            values[condition.name] = reported[condition.name]
        held, message = _judge(condition, side, reported)
        passed = passed and held
        messages.append(message)
    return Verdict(side, passed, tuple(messages), values)


def verify_lesson(
    lesson: Lesson, results: Mapping[str, ResultLike | None], *, only_ran: bool = False
) -> LessonVerdict:
    """The whole exercise: each side it edits ran and meets every condition for that side.

    Runs of other sides are ignored: their code is not the learner's. A side without a run (no
    key, or None) fails with "not run yet"; with ``only_ran`` it is left out instead, which is
    what ``fwlearn run LESSON --side X`` wants (if no edited side ran at all, the verdict fails
    and says which side to run).
    """
    exercise = lesson.exercise
    sides: dict[str, Verdict] = {}
    messages: list[str] = []
    missing: list[str] = []
    for side in exercise.sides:
        result = results.get(side)
        if result is None:
            missing.append(side)
            if not only_ran:
                messages.append(f"{FAIL_MARK} {side}: not run yet")
            continue
        verdict = verify_side(lesson, side, result)
        sides[side] = verdict
        messages.extend(verdict.messages)
    if not sides and only_ran:
        edits = " and ".join(exercise.sides)
        messages.append(f"the exercise is on the {edits} side: run that side")
    judged_all = not missing or only_ran
    passed = bool(sides) and judged_all and all(v.passed for v in sides.values())
    ordered = {side: sides[side] for side in SIDES if side in sides}
    return LessonVerdict(passed, tuple(messages), ordered, tuple(missing))


def holds(condition: Condition, value: Any) -> bool:
    """Whether a reported value meets the condition's bounds (numbers within float noise)."""
    if value is None:
        return False
    if condition.min is not None or condition.max is not None:
        if not is_number(value):
            return False
        if condition.min is not None and value < condition.min:
            return False
        if condition.max is not None and value > condition.max:
            return False
    if condition.equals is not None:
        return same_value(value, condition.equals)
    return True


def _judge(condition: Condition, side: str, reported: Mapping[str, Any]) -> tuple[bool, str]:
    """One condition on one run: (held, a line naming the side and the value)."""
    name, needs = condition.name, condition.requirement()
    if name not in reported:
        what = "metric" if condition.metric is not None else "fact"
        return False, f"{FAIL_MARK} {side}: no {what} {name} reported; needs {needs}"
    value = reported[name]
    if value is None:
        return False, f"{FAIL_MARK} {side}: {name} is NaN; needs {needs}"
    if holds(condition, value):
        return True, f"{PASS_MARK} {side}: {_with_value(condition, value)}"
    return False, f"{FAIL_MARK} {side}: {name} is {show(value)}; needs {needs}"


def _with_value(condition: Condition, value: Any) -> str:
    shown, name = show(value), condition.name
    if condition.min is not None and condition.max is not None:
        return f"{name} {shown} in [{show(condition.min)}, {show(condition.max)}]"
    if condition.min is not None:
        return f"{name} {shown} >= {show(condition.min)}"
    if condition.max is not None:
        return f"{name} {shown} <= {show(condition.max)}"
    return f"{name} == {shown}"
