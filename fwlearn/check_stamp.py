"""``fwlearn check --record``: stamp each lesson that passed completely (``lessons.stamp``).

A lesson is stamped only when nothing about it failed: no loading or prose problem, no
unexpected check outcome, every program that must run ran, and every installed Keras backend
was checked (a ``--keras-backend torch`` run vouches for half the lesson). Otherwise an old
stamp is removed, so a stale one cannot outlive a failing check.
"""

from __future__ import annotations

from collections.abc import Sequence

from fwlearn.checkjobs import CheckJob
from fwlearn.console import display_path
from fwlearn.frameworks import installed_keras_backends, installed_versions
from fwlearn.lessons import Lesson, recorded
from fwlearn.lessons.model import LessonProblem
from fwlearn.lessons.stamp import STAMP_KEY, make_stamp


def stamp_lessons(
    lessons: Sequence[Lesson],
    jobs: Sequence[CheckJob],
    problems: Sequence[LessonProblem],
    verdicts: Sequence[tuple[Lesson, str]],
    backends: Sequence[str],
) -> list[str]:
    """Write or remove each lesson's stamp in its reference.json; one line each, to print."""
    lines: list[str] = []
    every_backend = sorted(backends) == sorted(installed_keras_backends())
    for lesson in lessons:
        record = recorded.load(lesson.folder)
        if record is None:
            continue  # nothing was recorded (no run ended ok): nothing to stamp
        why = _why_not(lesson, jobs, problems, verdicts) or (
            None if every_backend else "not every installed Keras backend was checked"
        )
        where = display_path(lesson.folder / "reference.json")
        if why is None:
            record[STAMP_KEY] = make_stamp(lesson.folder, backends, installed_versions())
            lines.append(f"stamped {where}: a full check passed on these files")
        elif record.pop(STAMP_KEY, None) is not None:
            lines.append(f"removed the stamp in {where}: {why}")
        else:
            continue
        recorded.save(lesson.folder, record)
    return lines


def _why_not(
    lesson: Lesson,
    jobs: Sequence[CheckJob],
    problems: Sequence[LessonProblem],
    verdicts: Sequence[tuple[Lesson, str]],
) -> str | None:
    if any(p.folder == lesson.folder for p in problems):
        return "the lesson has problems"
    if any(v[0] is lesson for v in verdicts):
        return "a check did not turn out as the lesson says"
    mine = [job for job in jobs if job.lesson is lesson]
    if not mine or any(not job.ok and not job.is_wrong_answer for job in mine):
        return "a program did not run to its end"
    return None
