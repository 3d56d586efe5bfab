"""The ``[exercise]`` table of the front matter: task, hint, sides, solution files, checks.

What a check *means* on a run is ``fwlearn.lessons.verify``; this module only makes sure each
``[[exercise.check]]`` can be judged at all (one name to read, bounds that are numbers), so a
broken condition is an author's problem at load time, never a check that silently never passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fwlearn.engine.protocol import RUN_LABEL

from .frontmatter import KeyLines, KeyPath, required, unknown_keys
from .model import CHECK_SIDES, SIDES, Condition, Exercise
from .problems import ProblemLog, Unreadable, compile_source, read_text
from .values import is_finite_number, is_number
from .wrong_answers import read_wrong_answers

EXERCISE_KEYS = {"task", "hint", "sides", "fails_initially", "solution", "check"}
CHECK_KEYS = {"side", "metric", "fact", "min", "max", "equals", "run"}


def read_exercise(table: Any, keys: KeyLines, log: ProblemLog) -> Exercise | None:
    """``[exercise]``: ``task``, ``hint`` (required), ``sides`` (the files the learner edits,
    default both), ``fails_initially`` (default false: when true, ``fwlearn check`` verifies
    that the starting code fails the check), ``[exercise.solution]`` (one path per side in
    ``sides``), and one or more ``[[exercise.check]]`` conditions."""
    source = log.source_path
    if table is None:
        log.problem(source, keys.line(), "missing [exercise] table (task, hint, solution, check)")
        return None
    if not isinstance(table, dict):
        log.problem(source, keys.line("exercise"), "exercise must be a table")
        return None
    unknown_keys(table, EXERCISE_KEYS, keys, ("exercise",), log)
    task = required(table, "task", str, keys, log, ("exercise",))
    hint = required(table, "hint", str, keys, log, ("exercise",))
    for name, value in (("task", task), ("hint", hint)):
        if value is not None and not value.strip():
            log.problem(source, keys.line("exercise", name), f"exercise.{name} is empty")
    sides = table.get("sides", list(SIDES))
    if (
        not isinstance(sides, list)
        or not sides
        or not all(s in SIDES for s in sides)
        or len(set(sides)) != len(sides)
    ):
        log.problem(
            source,
            keys.line("exercise", "sides"),
            f'exercise.sides must list "keras" and/or "pytorch", not {sides!r}',
        )
        sides = list(SIDES)
    sides_t = tuple(s for s in SIDES if s in sides)
    fails_initially = table.get("fails_initially", False)
    if not isinstance(fails_initially, bool):
        log.problem(
            source,
            keys.line("exercise", "fails_initially"),
            "exercise.fails_initially must be true or false",
        )
    solution = _solution(table.get("solution"), sides_t, keys, log)
    checks = _checks(table.get("check"), sides_t, keys, log)
    wrong = read_wrong_answers(sides_t, log)
    if task is None or hint is None or solution is None or checks is None or wrong is None:
        return None
    return Exercise(task, hint, sides_t, bool(fails_initially), solution, checks, wrong)


def _solution(
    table: Any, sides: tuple[str, ...], keys: KeyLines, log: ProblemLog
) -> dict[str, Path] | None:
    """``[exercise.solution]``: an existing, compiling file in the lesson folder per side."""
    source = log.source_path
    where = keys.line("exercise", "solution")
    if table is None:
        log.problem(
            source,
            keys.line("exercise"),
            "missing [exercise.solution]: one file per side the learner edits",
        )
        return None
    if not isinstance(table, dict):
        log.problem(source, where, "exercise.solution must be a table")
        return None
    solution: dict[str, Path] = {}
    ok = True
    for side, value in table.items():
        line = keys.line("exercise", "solution", side)
        if side not in SIDES:
            log.problem(
                source,
                line,
                f'unknown key "{side}" in [exercise.solution] (expected keras or pytorch)',
            )
            ok = False
        elif side not in sides:
            log.problem(
                source, line, f"a solution for {side}, but exercise.sides does not include {side}"
            )
            ok = False
        elif not isinstance(value, str) or not value:
            log.problem(source, line, f"exercise.solution.{side} must be a path")
            ok = False
        else:
            relative = Path(value)
            path = log.folder / relative
            if relative.is_absolute() or ".." in relative.parts:
                log.problem(source, line, f"solution path {value!r} must stay in the lesson folder")
                ok = False
            elif not path.is_file():
                log.problem(
                    path, None, f"missing solution file (exercise.solution.{side} in lesson.md)"
                )
                ok = False
            else:
                try:
                    compile_source(path, read_text(path, log, "solution file"), log)
                except Unreadable:
                    ok = False
                solution[side] = path
    for side in sides:
        if side not in table:
            log.problem(
                source, where, f"missing exercise.solution.{side} (the exercise edits {side})"
            )
            ok = False
    return solution if ok else None


def _checks(
    entries: Any, sides: tuple[str, ...], keys: KeyLines, log: ProblemLog
) -> tuple[Condition, ...] | None:
    """Each ``[[exercise.check]]``: ``side`` (keras | pytorch | both | across, default both),
    ``metric`` (a final metric, val_/test_ prefixed) or ``fact`` (a report_fact name), ``run``
    (optional: a label given to ``fwlearn.run_label``), and ``min`` / ``max`` / ``equals``.
    All must hold on every side they name; a side the learner does not edit is an invariant of
    its shipped program (FORMAT.md)."""
    source = log.source_path
    if entries is None:
        log.problem(
            source,
            keys.line("exercise"),
            "missing [[exercise.check]]: at least one condition that says the exercise is done",
        )
        return None
    if not isinstance(entries, list) or not entries:
        log.problem(
            source,
            keys.line("exercise", "check"),
            "exercise.check must be one or more [[exercise.check]] tables",
        )
        return None
    conditions: list[Condition] = []
    ok = True
    for number, entry in enumerate(entries):
        path: KeyPath = ("exercise", "check", number)
        if not isinstance(entry, dict):
            log.problem(source, keys.line(*path), "each exercise.check must be a table")
            ok = False
            continue
        condition = _condition(entry, sides, keys, path, log)
        if condition is None:
            ok = False
        else:
            conditions.append(condition)
    return tuple(conditions) if ok else None


def _condition(
    entry: dict[str, Any], sides: tuple[str, ...], keys: KeyLines, path: KeyPath, log: ProblemLog
) -> Condition | None:
    source, line = log.source_path, keys.line(*path)
    before = len(log)
    unknown_keys(entry, CHECK_KEYS, keys, path, log)
    side = entry.get("side", "both")
    if side not in CHECK_SIDES:
        log.problem(
            source,
            keys.line(*path, "side"),
            f"check side must be keras, pytorch, both or across, not {side!r}",
        )
    run = entry.get("run")
    if run is not None and (not isinstance(run, str) or not RUN_LABEL.match(run)):
        log.problem(
            source,
            keys.line(*path, "run"),
            f"check run must be a run label as given to fwlearn.run_label (letters, digits, "
            f'"_", "-", "."), not {run!r}',
        )
    metric, fact = entry.get("metric"), entry.get("fact")
    if (metric is None) == (fact is None):
        log.problem(source, line, "a check needs exactly one of metric or fact")
    for name, value in (("metric", metric), ("fact", fact)):
        if value is not None and (not isinstance(value, str) or not value):
            log.problem(source, keys.line(*path, name), f"check {name} must be a name")
    low, high, equals = entry.get("min"), entry.get("max"), entry.get("equals")
    if low is None and high is None and equals is None:
        log.problem(source, line, "a check needs min, max or equals")
    for name, value in (("min", low), ("max", high)):
        # A NaN bound makes every comparison false: the check could never pass.
        if value is not None and not is_finite_number(value):
            shown = f", not {value!r}" if is_number(value) else ""
            log.problem(source, keys.line(*path, name), f"check {name} must be a number{shown}")
    if side == "across" and equals is not None and not is_finite_number(equals):
        log.problem(
            source,
            keys.line(*path, "equals"),
            "an across check compares |keras - pytorch|: equals must be a number",
        )
    if len(log) > before:
        return None
    return Condition(
        side=side,
        metric=metric,
        fact=fact,
        min=None if low is None else float(low),
        max=None if high is None else float(high),
        equals=equals,
        run=run,
    )
