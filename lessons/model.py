"""The lesson data model: what the loader produces and what the app, the CLI and checks read.

Everything here is a frozen dataclass built once by the loader (``fwlearn.lessons.loader``) and
never mutated, so the app can share one ``Lesson`` between screens and workers without copying.
Stdlib only: the app's process must stay free of torch/tensorflow, and ``fwlearn check`` must
start fast. Judging a run against an exercise is not here but in ``fwlearn.lessons.verify``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .values import show_bound

SIDES = ("keras", "pytorch")
ACROSS = "across"  # a check's side that compares the two sides' values
CHECK_SIDES = (*SIDES, "both", ACROSS)
# Not keras.py: `python keras.py` puts the file's folder first on sys.path, so its own
# `import keras` would import itself instead of the package.
CODE_FILES = {"keras": "in_keras.py", "pytorch": "in_pytorch.py"}
SIDE_OF_FILE = {name: side for side, name in CODE_FILES.items()}  # "in_keras.py" -> "keras"
LESSON_FILE = "lesson.md"
SOLUTION_DIR = "solution"
REFERENCE_FILE = "reference.json"  # recorded values the prose's references render from
WRONG_DIR = "wrong"  # wrong answers `fwlearn check` must see fail; never shown or copied
FORMAT_VERSION = 1
LESSON_TIMEOUT = 60.0
# FORMAT.md's promise: each program finishes in under this many seconds on a 2-core CPU
# (`fwlearn check` measures every run against it and warns past it).
TIME_BUDGET = 20.0
DEFAULT_PROSE_TOLERANCE = 0.02  # relative drift allowed between a quoted run value and a run
# The lesson's own files: never data for its runs (a run must not see the solution).
RESERVED_NAMES = frozenset(
    {LESSON_FILE, SOLUTION_DIR, WRONG_DIR, REFERENCE_FILE, *CODE_FILES.values()}
)


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

    ``side`` is keras, pytorch, both or across (the bounds apply to |keras value - pytorch
    value|). Exactly one of ``metric``/``fact`` is set, and at least one of
    ``min``/``max``/``equals`` (the loader guarantees both). ``run`` names a labelled run
    (``fwlearn.run_label``): None reads the metric's last value / the fact's last value,
    whatever run reported it (FORMAT.md, "Which value a check reads").
    """

    side: str
    metric: str | None
    fact: str | None
    min: float | None
    max: float | None
    equals: Any
    run: str | None = None

    @property
    def name(self) -> str:
        """The metric or fact the condition reads."""
        return self.metric if self.metric is not None else (self.fact or "?")

    @property
    def across(self) -> bool:
        """Whether the condition compares the two sides' values instead of judging one run."""
        return self.side == ACROSS

    @property
    def label(self) -> str:
        """The name as a check line shows it: ``loss@sgd`` for a labelled run's value."""
        return self.name if self.run is None else f"{self.name}@{self.run}"

    def applies_to(self, side: str) -> bool:
        """Whether a run of ``side`` is judged by this condition on its own."""
        return self.side in ("both", side)

    def describe(self) -> str:
        """The condition in words for the learner, e.g. ``val_accuracy >= 0.9 (both)``."""
        return f"{self.requirement()} ({self.side})"

    def requirement(self) -> str:
        """The bounds alone, e.g. ``0.1 <= loss <= 0.5``: the "needs ..." of a failed check."""
        name = f"|keras {self.label} - pytorch {self.label}|" if self.across else self.label
        parts: list[str] = []
        if self.min is not None and self.max is not None:
            parts.append(f"{show_bound(self.min)} <= {name} <= {show_bound(self.max)}")
        elif self.min is not None:
            parts.append(f"{name} >= {show_bound(self.min)}")
        elif self.max is not None:
            parts.append(f"{name} <= {show_bound(self.max)}")
        if self.equals is not None:
            parts.append(f"{name} == {show_bound(self.equals)}")
        return " and ".join(parts) or name


@dataclass(frozen=True)
class WrongAnswer:
    """``wrong/NAME/in_keras.py``: a plausible mistake that ``fwlearn check`` must see FAIL.

    ``why`` is the file's first-line comment (``# Wrong: ...``) without the prefix. Never shown
    to the learner nor copied into a run.
    """

    name: str
    side: str
    path: Path
    why: str


@dataclass(frozen=True)
class Exercise:
    """The lesson's task: what to change, a hint, and the conditions that say it is done."""

    task: str
    hint: str
    sides: tuple[str, ...]
    fails_initially: bool
    solution: dict[str, Path]
    checks: tuple[Condition, ...]
    wrong: tuple[WrongAnswer, ...] = ()  # wrong answers, by name then side

    def solution_source(self, side: str) -> str:
        """The solution file for ``side`` (read on demand: the app shows it only when asked)."""
        try:
            path = self.solution[side]
        except KeyError:
            raise KeyError(f"the exercise has no solution for {side!r}") from None
        return path.read_text(encoding="utf-8")


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
    data: tuple[str, ...] = ()  # front matter `data`: relative paths, checked by the loader
    # front matter `keras_backends`: None = every installed backend (a lesson about one says so)
    keras_backends: tuple[str, ...] | None = None
    # front matter `[pinned_keras_backend]`: side -> the backend its programs always run on
    pinned_keras_backend: dict[str, str] = field(default_factory=dict)
    prose_tolerance: float = DEFAULT_PROSE_TOLERANCE

    def keras_backend_for(self, side: str, chosen: str) -> str:
        """The Keras backend ``side``'s programs run on: the lesson's pin for that side (a
        PyTorch-side program that trains a Keras model with a torch loop needs torch), else
        the one the learner or ``check`` chose."""
        return self.pinned_keras_backend.get(side, chosen)

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
        """What a run's working directory gets besides the program: the entries the front
        matter's ``data`` declares, and nothing else. Copying the whole folder let leftovers
        (an ``out.csv`` from ``python in_keras.py`` run by hand) become data, and would show a
        run the wrong answers and the recorded values."""
        return tuple(self.folder / entry for entry in self.data)


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
