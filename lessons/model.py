"""The lesson data model: what the loader produces and what the app, the CLI and checks read.

Everything here is a frozen dataclass built once by ``fwlearn.lessons.loader`` and never mutated,
so the app can share one ``Lesson`` between screens and workers without copying. Stdlib only: the
app's process must stay free of torch/tensorflow, and ``fwlearn check`` must start fast.

Checks take run results *duck-typed* (``.ok``, ``.final_metrics()``, ``.facts``) rather than
importing ``fwlearn.engine.RunResult``, so this package does not depend on the engine and tests can
pass tiny fakes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SIDES = ("keras", "pytorch")
# Not keras.py: `python keras.py` puts the file's folder first on sys.path, so its own
# `import keras` would import itself instead of the package.
CODE_FILES = {"keras": "in_keras.py", "pytorch": "in_pytorch.py"}
LESSON_FILE = "lesson.md"
SOLUTION_DIR = "solution"
FORMAT_VERSION = 1
DEFAULT_TIMEOUT = 60.0
PASS_MARK, FAIL_MARK = "✓", "✗"


class ResultLike(Protocol):
    """What a check needs from a finished run (``fwlearn.engine.RunResult`` satisfies it)."""

    @property
    def ok(self) -> bool: ...

    def final_metrics(self) -> dict[str, float | None]: ...

    @property
    def facts(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Section:
    """One ``# %% Title`` cell of a code file; lines are 1-based and ``end_line`` is inclusive."""

    title: str
    line: int
    end_line: int


@dataclass(frozen=True)
class CodeFile:
    """One side's complete program and its sections (the app aligns the two sides by title)."""

    side: str
    path: Path
    source: str
    sections: tuple[Section, ...]

    def section(self, title: str) -> Section | None:
        """The section with this title, or None (titles are unique within a file)."""
        return next((s for s in self.sections if s.title == title), None)

    @property
    def preamble_end(self) -> int:
        """Last line before the first marker (0 when the file starts with one)."""
        return self.sections[0].line - 1 if self.sections else len(self.source.splitlines())

    def section_source(self, title: str) -> str:
        """The text of one section, marker line included, e.g. to show it next to the other side."""
        section = self.section(title)
        if section is None:
            raise KeyError(f"{self.path.name} has no section {title!r}")
        lines = self.source.splitlines(keepends=True)
        return "".join(lines[section.line - 1 : section.end_line])


@dataclass(frozen=True)
class Pitfall:
    """A ``> **Pitfall:**`` note; ``text`` is its Markdown without the ``**Pitfall:**`` label.

    ``section`` is the section whose prose holds the note (None: the intro). The note also stays
    in that prose, so rendering the prose as written shows it in place.
    """

    section: str | None
    text: str
    line: int | None = None  # line of lesson.md where the note starts


@dataclass(frozen=True)
class Condition:
    """One ``[[exercise.check]]``: a final metric or a reported fact compared with bounds.

    ``side`` is keras, pytorch or both. Exactly one of ``metric``/``fact`` is set, and at least one
    of ``min``/``max``/``equals`` (the loader guarantees both).
    """

    side: str
    metric: str | None
    fact: str | None
    min: float | None
    max: float | None
    equals: Any

    @property
    def name(self) -> str:
        return self.metric if self.metric is not None else (self.fact or "?")

    def applies_to(self, side: str) -> bool:
        return self.side in ("both", side)

    def describe(self) -> str:
        """The condition in words for the learner, e.g. ``val_accuracy >= 0.9 (both)``."""
        return f"{self._requirement()} ({self.side})"

    def _requirement(self) -> str:
        parts: list[str] = []
        if self.min is not None and self.max is not None:
            parts.append(f"{_fmt(self.min)} <= {self.name} <= {_fmt(self.max)}")
        elif self.min is not None:
            parts.append(f"{self.name} >= {_fmt(self.min)}")
        elif self.max is not None:
            parts.append(f"{self.name} <= {_fmt(self.max)}")
        if self.equals is not None:
            parts.append(f"{self.name} == {_fmt(self.equals)}")
        return " and ".join(parts) or self.name

    def holds(self, value: Any) -> bool:
        """Whether a reported value meets the bounds (numbers compare with a tiny tolerance)."""
        if value is None:
            return False
        if self.min is not None or self.max is not None:
            if not _is_number(value):
                return False
            if self.min is not None and value < self.min:
                return False
            if self.max is not None and value > self.max:
                return False
        if self.equals is not None:
            return _equal(value, self.equals)
        return True

    def check(self, side: str, result: ResultLike) -> tuple[bool, str]:
        """Evaluate against one run: (passed, a human line naming the side and the value)."""
        source = result.final_metrics() if self.metric is not None else result.facts
        what = "metric" if self.metric is not None else "fact"
        if self.name not in source:
            return (
                False,
                f"{FAIL_MARK} {side}: no {what} {self.name} reported; needs {self._requirement()}",
            )
        value = source[self.name]
        if value is None:
            return False, f"{FAIL_MARK} {side}: {self.name} is NaN; needs {self._requirement()}"
        if self.holds(value):
            return True, f"{PASS_MARK} {side}: {self._with_value(value)}"
        return (
            False,
            f"{FAIL_MARK} {side}: {self.name} is {_fmt(value)}; needs {self._requirement()}",
        )

    def _with_value(self, value: Any) -> str:
        shown = _fmt(value)
        if self.min is not None and self.max is not None:
            return f"{self.name} {shown} in [{_fmt(self.min)}, {_fmt(self.max)}]"
        if self.min is not None:
            return f"{self.name} {shown} >= {_fmt(self.min)}"
        if self.max is not None:
            return f"{self.name} {shown} <= {_fmt(self.max)}"
        return f"{self.name} == {shown}"


@dataclass(frozen=True)
class CheckResult:
    """Whether an exercise check passed, with one human line per condition (✓/✗ side: ...)."""

    passed: bool
    messages: tuple[str, ...]


@dataclass(frozen=True)
class Exercise:
    """The lesson's task: what to change, a hint, and the conditions that say it is done."""

    task: str
    hint: str
    sides: tuple[str, ...]
    fails_initially: bool
    solution: dict[str, Path]
    checks: tuple[Condition, ...]

    def solution_source(self, side: str) -> str:
        """The solution file for ``side`` (read on demand: the app shows it only when asked)."""
        try:
            path = self.solution[side]
        except KeyError:
            raise KeyError(f"the exercise has no solution for {side!r}") from None
        return path.read_text(encoding="utf-8")

    def evaluate_side(self, side: str, result: ResultLike) -> CheckResult:
        """The conditions that apply to ``side``, on that side's run (which must have ended ok)."""
        messages: list[str] = []
        passed = True
        if not result.ok:
            passed = False
            messages.append(f"{FAIL_MARK} {side}: the run did not finish ok")
        for condition in self.checks:
            if condition.applies_to(side):
                held, message = condition.check(side, result)
                passed = passed and held
                messages.append(message)
        return CheckResult(passed, tuple(messages))

    def evaluate(self, results: Mapping[str, Any]) -> CheckResult:
        """The whole check: every side in ``sides`` ran and meets every condition for it.

        Runs of sides the exercise does not touch are ignored: their code is not the learner's.
        """
        messages: list[str] = []
        passed = True
        for side in self.sides:
            result = results.get(side)
            if result is None:
                passed = False
                messages.append(f"{FAIL_MARK} {side}: not run yet")
                continue
            outcome = self.evaluate_side(side, result)
            passed = passed and outcome.passed
            messages.extend(outcome.messages)
        return CheckResult(passed, tuple(messages))


@dataclass(frozen=True)
class Lesson:
    """One lesson folder, validated: front matter, prose per section, both programs, exercise."""

    id: str
    title: str
    order: int
    summary: str
    requires: tuple[str, ...]
    timeout: float
    folder: Path
    source_path: Path
    intro: str
    section_prose: dict[str, str]
    pitfalls: tuple[Pitfall, ...]
    files: dict[str, CodeFile]
    exercise: Exercise
    format_version: int

    @property
    def section_titles(self) -> tuple[str, ...]:
        """Section titles in order (identical in both files: the loader checks it)."""
        first = self.files.get("keras") or next(iter(self.files.values()), None)
        return tuple(s.title for s in first.sections) if first else ()

    def prose_for(self, title: str) -> str:
        """The Markdown under ``## title`` in lesson.md ("" when the section has none)."""
        return self.section_prose.get(title, "")

    @property
    def data_files(self) -> tuple[Path, ...]:
        """What a run's working directory gets: everything in the folder but the lesson itself
        (prose, programs, solutions), so a snippet sees the data and nothing it could confuse
        with the code it runs."""
        own = {LESSON_FILE, SOLUTION_DIR, *CODE_FILES.values()}
        return tuple(
            path
            for path in sorted(self.folder.iterdir())
            if path.name not in own
            and not path.name.startswith((".", "_"))
            and path.name != "__pycache__"
        )


@dataclass(frozen=True)
class LessonProblem:
    """Why a lesson (or the pack) is broken, located like a compiler error: ``path:line: message``.

    ``folder`` is the lesson folder the problem belongs to (None for the pack itself) and
    ``lesson_id`` its id when the front matter was readable, so a listing can group problems.
    """

    path: Path
    line: int | None
    message: str
    folder: Path | None = field(default=None, compare=False)
    lesson_id: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass
class Pack:
    """A folder of lessons: the ones that loaded (sorted by order, id) and every problem found."""

    root: Path
    lessons: list[Lesson]
    problems: list[LessonProblem]

    def get(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    @property
    def ids(self) -> list[str]:
        return [lesson.id for lesson in self.lessons]

    def broken(self) -> dict[Path, list[LessonProblem]]:
        """Problems of lesson folders that did not load, by folder (for listings)."""
        loaded = {lesson.folder for lesson in self.lessons}
        grouped: dict[Path, list[LessonProblem]] = {}
        for problem in self.problems:
            if problem.folder is not None and problem.folder not in loaded:
                grouped.setdefault(problem.folder, []).append(problem)
        return grouped


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(value: Any, expected: Any) -> bool:
    if _is_number(value) and _is_number(expected):
        return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(value, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(value) == len(expected) and all(_equal(a, b) for a, b in zip(value, expected))
    return bool(value == expected)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
