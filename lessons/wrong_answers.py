"""``wrong/NAME/in_keras.py``: the wrong answers an exercise ships, read and validated.

A wrong answer is a plausible mistake or a shortcut (a copy of x1 where the task asks for the
distance) that ``fwlearn check`` runs and requires to FAIL the exercise's checks, as it requires
the starting file to fail and the solution to pass: a check that a wrong answer passes does not
test the point. Each file says in its first line which mistake it is, so a reader of check's
report (and a reviewer adding their own) knows what the check must tell apart.

The folder is the author's: never copied into a run, never shown to the learner.
"""

from __future__ import annotations

import re

from .model import CODE_FILES, SIDE_OF_FILE, SIDES, WRONG_DIR, Lesson, WrongAnswer
from .problems import ProblemLog, Unreadable, compile_source, read_text

NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
WHY_PREFIX = "# Wrong:"


def read_wrong_answers(sides: tuple[str, ...], log: ProblemLog) -> tuple[WrongAnswer, ...] | None:
    """Every ``wrong/NAME/<program>`` of the lesson folder, by name then side (None: a problem).

    NAME is lowercase letters, digits and "-"; a folder holds only ``in_keras.py`` and/or
    ``in_pytorch.py``, for sides the learner edits (a wrong answer on a side they do not edit is
    not a mistake they can make); each file's first line is ``# Wrong: <which mistake>``.
    """
    root = log.folder / WRONG_DIR
    before = len(log)
    found: list[WrongAnswer] = []
    if root.exists() and not root.is_dir():
        log.problem(root, None, f"{WRONG_DIR} must be a folder of wrong answers (wrong/NAME/)")
        return None
    entries = sorted(root.iterdir()) if root.is_dir() else []
    for folder in entries:
        if folder.name.startswith(".") or folder.name == "__pycache__":
            continue
        if not folder.is_dir():
            log.problem(folder, None, "wrong/ holds one folder per wrong answer: wrong/NAME/")
            continue
        if not NAME_PATTERN.match(folder.name):
            log.problem(
                folder,
                None,
                f'wrong answer name "{folder.name}" must be lowercase letters, digits and "-"',
            )
            continue
        programs = [p for p in sorted(folder.iterdir()) if p.name != "__pycache__"]
        if not programs:
            log.problem(folder, None, "an empty wrong answer: add in_keras.py or in_pytorch.py")
        for path in programs:
            side = SIDE_OF_FILE.get(path.name)
            if side is None or not path.is_file():
                known = " or ".join(CODE_FILES[s] for s in SIDES)
                log.problem(path, None, f"a wrong answer folder holds only {known}")
                continue
            if side not in sides:
                log.problem(
                    path,
                    None,
                    f"a wrong answer for {side}, but exercise.sides does not include {side} "
                    "(the learner does not edit that program)",
                )
                continue
            try:
                source = read_text(path, log, "wrong answer")
            except Unreadable:
                continue
            first = source.splitlines()[0].strip() if source.strip() else ""
            why = first[len(WHY_PREFIX) :].strip() if first.startswith(WHY_PREFIX) else ""
            if not why:
                log.problem(
                    path,
                    1,
                    f"a wrong answer's first line says which mistake it is: "
                    f"'{WHY_PREFIX} <one line>'",
                )
                continue
            compile_source(path, source, log)
            found.append(WrongAnswer(folder.name, side, path, why))
    return tuple(found) if len(log) == before else None


def sides_without_wrong_answers(lesson: Lesson) -> list[str]:
    """The edited sides that ship no wrong answer: ``fwlearn check`` fails on each, since a check
    nothing wrong was tried against is not known to test the point. A check failure, not a
    loader error: the lesson still opens, so a pack being written stays usable in the app."""
    shipped = {answer.side for answer in lesson.exercise.wrong}
    return [
        f"the exercise edits {side} but ships no wrong answer for it: add "
        f"{WRONG_DIR}/NAME/{CODE_FILES[side]} (a plausible mistake its checks refuse)"
        for side in lesson.exercise.sides
        if side not in shipped
    ]
