"""Does this run satisfy this exercise? The one implementation, for the app and the CLI alike.

A run goes in, a ``Verdict`` comes out, one per side: each side is judged on its own run, since
the learner edits and runs the two programs separately (and ``fwlearn check`` must tell which
starting file already passes). ``verify_lesson`` puts the sides of one exercise together, with
the checks that compare the two sides (``side = "across"``). The lesson screen, ``fwlearn run
LESSON``, ``fwlearn verify`` and ``fwlearn check`` all call these functions and show their
``messages`` as they are, so a check reads the same wherever the learner meets it.

Which value a condition reads (FORMAT.md says the same for authors): a metric's final value in
the last run that reported it, or in the run labelled ``run`` (``fwlearn.run_label``); a fact's
last value, or its last value under that label.

A verdict keeps the ``values`` it read and one ``CheckLine`` per condition, not just pass/fail,
so ``fwlearn verify --json`` and the prose can show the numbers without running anything again.

Runs are duck-typed (``ResultLike``) rather than ``fwlearn.engine.RunResult``, which satisfies
it: tests can pass tiny fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .model import SIDES, Condition, Lesson
from .values import is_number, same_value, show_apart, show_bound

PASS_MARK, FAIL_MARK = "✓", "✗"
ACROSS_SIDE = "across"
RUN_BOTH = "run both sides"  # what an across check without both runs says (the app adds its key)


class ResultLike(Protocol):
    """What a check needs from a finished run (``fwlearn.engine.RunResult`` satisfies it)."""

    @property
    def ok(self) -> bool: ...

    def final_metrics(self, run: str | None = None) -> dict[str, float | None]: ...

    @property
    def facts(self) -> dict[str, Any]: ...

    def run_facts(self, run: str) -> dict[str, Any]: ...

    @property
    def runs(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class CheckLine:
    """One condition judged: the value read (None: not reported, or NaN), and its line."""

    side: str
    condition: Condition
    value: Any
    passed: bool
    message: str


@dataclass(frozen=True)
class Verdict:
    """One side's run judged: ``passed``, one ``✓``/``✗`` line per condition, and the values read.

    ``values`` maps each metric/fact a condition read (``Condition.label``: ``loss@sgd`` for a
    labelled run) to what the run reported (None: a NaN metric); a name the run never reported
    is absent. ``ran`` is False for a side with no run. ``side`` is "across" for the checks
    comparing the two sides; there ``values`` holds the differences.
    """

    side: str
    passed: bool
    messages: tuple[str, ...]
    values: Mapping[str, Any] = field(default_factory=dict)
    ran: bool = True
    lines: tuple[CheckLine, ...] = ()

    @property
    def failing(self) -> tuple[str, ...]:
        """The lines that say what is wrong (every line but the ✓ ones)."""
        return tuple(m for m in self.messages if not m.startswith(PASS_MARK))


@dataclass(frozen=True)
class LessonVerdict:
    """An exercise judged on the runs at hand: every judged side must pass.

    ``sides`` holds the edited sides' verdicts in SIDES order, ``missing`` the sides that have no
    run but are needed (the edited ones, and both for an across check). ``invariants`` holds the
    verdicts of sides the learner does not edit (shown, not deciding: that code is the
    author's), ``across`` the across checks' verdict. ``messages`` is what to show, in order.
    """

    passed: bool
    messages: tuple[str, ...]
    sides: Mapping[str, Verdict]
    missing: tuple[str, ...] = ()
    invariants: Mapping[str, Verdict] = field(default_factory=dict)
    across: Verdict | None = None

    @property
    def beyond_sides(self) -> tuple[str, ...]:
        """The lines not about one edited side: invariants of the other side, across checks
        (what a per-side panel shows after the sides' own lines)."""
        own = {m for verdict in self.sides.values() for m in verdict.messages}
        return tuple(m for m in self.messages if m not in own and "not run yet" not in m)

    @property
    def complete(self) -> bool:
        """Every side the verdict needs has a run: it is about the whole exercise."""
        return not self.missing

    @property
    def failing(self) -> tuple[str, ...]:
        """The lines that say what is wrong (every line but the ✓ ones)."""
        return tuple(m for m in self.messages if not m.startswith(PASS_MARK))


def verify_side(lesson: Lesson, side: str, result: ResultLike) -> Verdict:
    """The exercise's conditions on ``side`` (keras/pytorch/both ones) on that side's run, which
    must also have ended ok. Used for edited sides and, as invariants, for the others."""
    lines: list[CheckLine] = []
    values: dict[str, Any] = {}
    messages: list[str] = []
    passed = result.ok
    if not result.ok:
        messages.append(f"{FAIL_MARK} {side}: the run did not finish ok")
    for condition in lesson.exercise.checks:
        if not condition.applies_to(side):
            continue
        found, value, problem = read_value(condition, result)
        if found:
            values[condition.label] = value
        line = _judge(condition, side, found, value, problem)
        passed = passed and line.passed
        lines.append(line)
        messages.append(line.message)
    return Verdict(side, passed, tuple(messages), values, lines=tuple(lines))


def verify_lesson(
    lesson: Lesson,
    results: Mapping[str, ResultLike | None],
    *,
    only_ran: bool = False,
    run_both: str = RUN_BOTH,
) -> LessonVerdict:
    """The whole exercise: each side it edits ran and meets every condition for that side, and
    every across check holds on the two sides' runs.

    A side the learner does not edit is judged on its run when there is one (its conditions are
    invariants of the shipped program: shown, not deciding). A needed side without a run (no
    key, or None) fails with "not run yet"; with ``only_ran`` it is left out instead, which is
    what ``fwlearn run LESSON --side X`` wants (if no edited side ran at all, the verdict fails
    and says which side to run). An across check without both runs fails with ``run_both``.
    """
    exercise = lesson.exercise
    sides: dict[str, Verdict] = {}
    invariants: dict[str, Verdict] = {}
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
    for side in SIDES:
        result = results.get(side)
        if side in exercise.sides or result is None:
            continue
        if any(c.applies_to(side) for c in exercise.checks):
            verdict = verify_side(lesson, side, result)
            invariants[side] = verdict
            messages.extend(
                f"{m} (shipped program, not part of the exercise)" for m in verdict.messages
            )
    across = _across(lesson, results, run_both)
    if across is not None:
        messages.extend(across.messages)
        if not across.ran:
            missing.extend(s for s in SIDES if results.get(s) is None and s not in missing)
    judged_all = not missing or only_ran
    passed = (
        bool(sides)
        and judged_all
        and all(v.passed for v in sides.values())
        and (across is None or across.passed)
    )
    ordered = {side: sides[side] for side in SIDES if side in sides}
    return LessonVerdict(passed, tuple(messages), ordered, tuple(missing), invariants, across)


def read_value(condition: Condition, result: ResultLike) -> tuple[bool, Any, str]:
    """(found, value, why not found) for one condition on one run.

    A metric reads its final value (``final_metrics``: the last run that reported it, or the
    labelled run); a fact its last value (or its last value under the label). The reason names
    what the run did report, so a misspelt name shows the right one.
    """
    run = condition.run
    if run is not None and run not in result.runs:
        labels = ", ".join(result.runs) or "none: the program never calls fwlearn.run_label"
        return False, None, f"no run labelled {run!r} (runs: {labels})"
    if condition.metric is not None:
        reported: Mapping[str, Any] = result.final_metrics(run)
        what = "metric"
    else:
        reported = result.facts if run is None else result.run_facts(run)
        what = "fact"
    if condition.name in reported:
        return True, reported[condition.name], ""
    where = "" if run is None else f" in run {run!r}"
    names = ", ".join(sorted(reported))
    others = f" ({what}s reported: {names})" if names else ""
    return False, None, f"no {what} {condition.name} reported{where}{others}"


def holds(condition: Condition, value: Any) -> bool:
    """Whether a reported value meets the condition's bounds (``equals``: ``same_value``)."""
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


def _judge(condition: Condition, who: str, found: bool, value: Any, problem: str) -> CheckLine:
    """One condition on one value: its verdict and a line naming the side and the value."""
    needs = condition.requirement()
    if not found:
        return CheckLine(
            who, condition, None, False, f"{FAIL_MARK} {who}: {problem}; needs {needs}"
        )
    label = _shown_name(condition)
    if value is None:
        message = f"{FAIL_MARK} {who}: {label} is NaN; needs {needs}"
        return CheckLine(who, condition, None, False, message)
    if holds(condition, value):
        return CheckLine(
            who, condition, value, True, f"{PASS_MARK} {who}: {_with_value(condition, value)}"
        )
    shown = show_apart(value, _bounds(condition))
    message = f"{FAIL_MARK} {who}: {label} is {shown}; needs {needs}"
    return CheckLine(who, condition, value, False, message)


def _across(
    lesson: Lesson, results: Mapping[str, ResultLike | None], run_both: str
) -> Verdict | None:
    """The across checks: each reads its value on both runs and bounds |keras - pytorch|."""
    conditions = [c for c in lesson.exercise.checks if c.across]
    if not conditions:
        return None
    keras, pytorch = results.get("keras"), results.get("pytorch")
    if keras is None or pytorch is None:
        names = ", ".join(c.label for c in conditions)
        message = f"{FAIL_MARK} {ACROSS_SIDE}: {names} compares both sides' runs: {run_both}"
        return Verdict(ACROSS_SIDE, False, (message,), ran=False)
    lines: list[CheckLine] = []
    values: dict[str, Any] = {}
    for condition in conditions:
        line = _judge_across(condition, keras, pytorch)
        if line.value is not None:
            values[condition.label] = line.value
        lines.append(line)
    passed = all(line.passed for line in lines)
    messages = tuple(line.message for line in lines)
    return Verdict(ACROSS_SIDE, passed, messages, values, lines=tuple(lines))


def _judge_across(condition: Condition, keras: ResultLike, pytorch: ResultLike) -> CheckLine:
    read = {
        side: read_value(condition, result)
        for side, result in (("keras", keras), ("pytorch", pytorch))
    }
    for side, (found, value, problem) in read.items():
        if not found:
            return _judge(condition, f"{ACROSS_SIDE} ({side})", False, None, problem)
        if not is_number(value):
            what = "NaN" if value is None else f"{value!r}, not a number"
            message = f"{FAIL_MARK} {ACROSS_SIDE}: {side} {condition.label} is {what}; needs {condition.requirement()}"
            return CheckLine(ACROSS_SIDE, condition, None, False, message)
    left, right = read["keras"][1], read["pytorch"][1]
    difference = abs(left - right)
    line = _judge(condition, ACROSS_SIDE, True, difference, "")
    sides = f" (keras {show_apart(left, [right])}, pytorch {show_apart(right, [left])})"
    return CheckLine(ACROSS_SIDE, condition, difference, line.passed, line.message + sides)


def _shown_name(condition: Condition) -> str:
    label = condition.label
    return f"|keras {label} - pytorch {label}|" if condition.across else label


def _bounds(condition: Condition) -> list[Any]:
    return [b for b in (condition.min, condition.max, condition.equals) if b is not None]


def _with_value(condition: Condition, value: Any) -> str:
    shown, name = show_apart(value, _bounds(condition)), _shown_name(condition)
    low, high = condition.min, condition.max
    if low is not None and high is not None:
        return f"{name} {shown} in [{show_bound(low)}, {show_bound(high)}]"
    if low is not None:
        return f"{name} {shown} >= {show_bound(low)}"
    if high is not None:
        return f"{name} {shown} <= {show_bound(high)}"
    return f"{name} == {shown}"
