"""Finding lessons in a pack from the command line: by id, folder name or list number.

``fwlearn run LESSON`` and ``fwlearn check --lesson`` accept what a learner or an author sees
(``fwlearn list``'s ``#`` column, the folder ``04-training``), and an unknown name is answered
with close matches rather than a bare "not found".
"""

from __future__ import annotations

import difflib
from pathlib import Path

from fwlearn.console import display_path
from fwlearn.engine.runner import UsageError
from fwlearn.lessons import Lesson, LessonProblem, Pack, load_pack


def open_pack(*candidates: str | Path | None) -> Pack:
    """The pack in the first folder given (subcommand option, then global ``--lessons``), else
    the built-in one. A folder that does not exist is a usage error, not an empty pack."""
    root = next((Path(c) for c in candidates if c), None)
    if root is not None and not root.is_dir():
        raise UsageError(f"no lesson pack at {root} (not a folder)")
    return load_pack(root)


def find_lesson(pack: Pack, wanted: str) -> Lesson | None:
    """A lesson by id, by folder name (``04-training``, what authors see) or by the number in
    ``fwlearn list``'s ``#`` column (``4``, what learners see).

    An id wins over a number (ids may be digits); a number two lessons share matches neither.
    """
    found = pack.get(wanted) or next((x for x in pack.lessons if x.folder.name == wanted), None)
    if found is None and _is_lesson_number(wanted):
        numbered = [lesson for lesson in pack.lessons if lesson.order == int(wanted)]
        found = numbered[0] if len(numbered) == 1 else None
    return found


def unknown_lesson_message(pack: Pack, wanted: str) -> str:
    """One line: the id was not found, with close matches (or all ids when none is close)."""
    if _is_lesson_number(wanted) and pack.lessons:
        shared = [lesson.id for lesson in pack.lessons if lesson.order == int(wanted)]
        if len(shared) > 1:
            return f"lessons {', '.join(shared)} share the number {int(wanted)}: give the id"
        numbers = sorted({lesson.order for lesson in pack.lessons})
        contiguous = numbers == list(range(numbers[0], numbers[-1] + 1))
        known = (
            f"{numbers[0]}-{numbers[-1]}"
            if contiguous and len(numbers) > 1
            else ", ".join(map(str, numbers))
        )
        return f"no lesson {wanted} (the lessons are numbered {known})"
    names = pack.ids + [lesson.folder.name for lesson in pack.lessons]
    close = list(dict.fromkeys(difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)))
    if close:
        return f'no lesson "{wanted}" (did you mean: {", ".join(close)}?)'
    if pack.ids:
        return f'no lesson "{wanted}" (lessons: {", ".join(pack.ids)})'
    return f'no lesson "{wanted}": the pack at {pack.root} has no lessons'


def _is_lesson_number(text: str) -> bool:
    """Whether ``text`` is a lesson's number as ``fwlearn list`` shows it (``4``), not an id."""
    return text.isascii() and text.isdigit()


def problems_of(pack: Pack, wanted: str) -> list[LessonProblem]:
    """Problems of a lesson that did not load, found by id or folder name."""
    return [
        p
        for p in pack.problems
        if p.lesson_id == wanted or (p.folder is not None and p.folder.name == wanted)
    ]


def format_problem(problem: LessonProblem) -> str:
    where = display_path(problem.path) + (f":{problem.line}" if problem.line else "")
    return f"{where}: {problem.message}"
