"""What ``fwlearn check`` runs and what it expects of each run (``cmd_check`` runs and prints).

Per lesson: both starting files, the solution of each edited side, and every wrong answer
(``wrong/NAME/``), with each Keras program once per Keras backend checked. What is expected:
the solutions pass (their verdict is ``verify_lesson``'s, the same as the app's); each edited
side's starting file (``fails_initially``) and each wrong answer FAIL, judged with the other
side's solution, so an across check counts; a condition on a side the learner does not edit
holds on that shipped program. A check that a plausible wrong answer passes does not test the
point of the exercise, and this is where it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwlearn.console import display_path
from fwlearn.engine.runner import RunResult, infer_framework
from fwlearn.frameworks import KERAS_BACKENDS, SIDES, installed_keras_backends
from fwlearn.lessons import Lesson, verify
from fwlearn.lessons.model import SOLUTION_DIR, TIME_BUDGET

ALL = "all"
BACKEND_CHOICES = (*KERAS_BACKENDS, ALL)


@dataclass
class CheckJob:
    """One program to run: a starting file, a solution or a wrong answer (``wrong:NAME``), on
    one Keras backend for a Keras program (``backend`` None for PyTorch)."""

    lesson: Lesson
    side: str
    what: str  # start | solution | wrong:NAME
    path: Path
    backend: str | None = None  # None also for a side the lesson pins (it runs once)
    result: RunResult | None = None
    failure: str | None = None  # the engine could not run it at all
    seconds: float = 0.0

    @property
    def runs_on(self) -> str:
        """The Keras backend the run gets: the lesson's pin for this side, else ``backend``
        (a program that imports no Keras ignores it)."""
        return self.lesson.keras_backend_for(self.side, self.backend or "tensorflow")

    @property
    def is_wrong_answer(self) -> bool:
        return self.what.startswith("wrong:")

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    @property
    def expected(self) -> str:
        """What the exercise check must say about this program (pass, fail or "-": no check)."""
        exercise = self.lesson.exercise
        if self.what == "solution":
            return "pass"
        if self.what.startswith("wrong:"):
            return "fail"
        if self.side not in exercise.sides:
            return "pass" if any(c.applies_to(self.side) for c in exercise.checks) else "-"
        return "fail" if exercise.fails_initially else "-"


def keras_backends(option: str | None) -> tuple[list[str], list[str]]:
    """The backends to check Keras programs on for ``--keras-backend`` (default all installed),
    and a visible note for each one skipped because it is not installed here."""
    installed = installed_keras_backends()
    wanted = list(KERAS_BACKENDS) if option in (None, ALL) else [option]
    notes = [
        f"keras on {b} skipped: {b} is not installed (see fwlearn doctor)"
        for b in wanted
        if b not in installed
    ]
    return [b for b in wanted if b in installed], notes


def plan_jobs(
    lessons: Sequence[Lesson], backends: Sequence[str]
) -> tuple[list[CheckJob], list[str]]:
    """Every program of each lesson, Keras ones once per backend the lesson allows; and a note
    per backend a lesson's ``keras_backends`` leaves out."""
    planned: list[CheckJob] = []
    notes: list[str] = []
    for lesson in lessons:
        allowed = lesson.keras_backends
        mine = [b for b in backends if allowed is None or b in allowed]
        for backend in backends:
            if backend not in mine:
                only = ", ".join(allowed or ())
                notes.append(
                    f"{lesson.id}: keras on {backend} skipped (lesson.md: keras_backends = "
                    f"[{only}])"
                )
        programs = [(side, "start", lesson.files[side].path) for side in SIDES]
        programs += [(s, "solution", lesson.exercise.solution[s]) for s in lesson.exercise.sides]
        programs += [(w.side, f"wrong:{w.name}", w.path) for w in lesson.exercise.wrong]
        installed = installed_keras_backends()
        for side, pinned in lesson.pinned_keras_backend.items():
            if pinned not in installed:
                notes.append(
                    f"{lesson.id}: the {side} side skipped: it runs Keras on {pinned} "
                    f"(lesson.md: pinned_keras_backend), which is not installed"
                )
        for side, what, path in programs:
            pin = lesson.pinned_keras_backend.get(side)
            if pin is not None and pin not in installed:
                continue
            # A program that imports no Keras (a plain-Python fixture) runs the same anywhere;
            # a pinned side's runs once, on its pin (CheckJob.runs_on).
            keras = side == "keras" and pin is None and _framework_of(path) == "keras"
            on: list[str | None] = list(mine) if keras else [None]
            for keras_on in on:
                planned.append(CheckJob(lesson, side, what, path, keras_on))
    return planned, notes


def _framework_of(path: Path) -> str:
    try:
        return infer_framework(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return "python"


def _partner(
    lesson: Lesson, jobs: Sequence[CheckJob], job: CheckJob, backend: str | None
) -> CheckJob | None:
    """The other side's program a run of ``job`` is judged with: its solution when the learner
    edits it, else its starting file (on ``backend`` for Keras)."""
    other = next(s for s in SIDES if s != job.side)
    return _program(lesson, jobs, other, backend)


def _program(
    lesson: Lesson, jobs: Sequence[CheckJob], side: str, backend: str | None
) -> CheckJob | None:
    """``side``'s program as the learner's answer meets it: the solution when the exercise
    edits that side, else the starting file; a Keras one on ``backend`` (or on none: a program
    that imports no Keras runs once)."""
    what = "solution" if side in lesson.exercise.sides else "start"
    return next(
        (j for j in jobs if j.side == side and j.what == what and j.backend in (backend, None)),
        None,
    )


def partner_done(job: CheckJob, jobs: Sequence[CheckJob]) -> bool:
    """Whether the run ``judge`` pairs this program with has finished."""
    mine = [j for j in jobs if j.lesson is job.lesson]
    backend = job.backend if job.side == "keras" else _first_backend(mine)
    partner = _partner(job.lesson, mine, job, backend)
    return partner is not None and partner.result is not None


def judge(job: CheckJob, jobs: Sequence[CheckJob]) -> str:
    """The exercise check on this program: pass, fail, or "-" (it ran not, or nothing applies).

    An edited side's program is judged as the learner's would be: ``verify_lesson`` with the
    other side's solution, so across checks count; a program of a side the learner does not
    edit is judged on its own conditions (invariants of the shipped program).
    """
    lesson, result = job.lesson, job.result
    if result is None:
        return "-"
    if job.side not in lesson.exercise.sides:
        if not any(c.applies_to(job.side) for c in lesson.exercise.checks):
            return "-"
        return "pass" if verify.verify_side(lesson, job.side, result).passed else "fail"
    mine = [j for j in jobs if j.lesson is lesson]
    backend = job.backend if job.side == "keras" else _first_backend(mine)
    partner = _partner(lesson, mine, job, backend)
    results: dict[str, Any] = {job.side: result}
    if partner is not None and partner.result is not None:
        results[partner.side] = partner.result
    verdict = verify.verify_lesson(lesson, results, only_ran=True)
    return "pass" if verdict.passed else "fail"


def _first_backend(jobs: Sequence[CheckJob]) -> str | None:
    return next((j.backend for j in jobs if j.backend is not None), None)


def unexpected(lesson: Lesson, jobs: Sequence[CheckJob]) -> list[str]:
    """What did not turn out as the lesson says, one message each (empty: all as expected).

    The solutions are judged together per Keras backend (``verify_lesson``, the app's verdict),
    then every other program against what it must give. A program that did not run at all is
    reported as a failed run already.
    """
    mine = [job for job in jobs if job.lesson is lesson]
    found: list[str] = []
    backends: list[str | None] = list(dict.fromkeys(j.backend for j in mine if j.backend))
    backends = backends or [None]
    for backend in backends:
        solved: dict[str, Any] = {}
        for side in SIDES:
            job = _program(lesson, mine, side, backend)
            if job is not None and job.result is not None:
                solved[side] = job.result
        on = f" (keras on {backend})" if backend else ""
        verdict = verify.verify_lesson(lesson, solved)
        if not verdict.passed and len(solved) == len(SIDES):
            found.append("\n    ".join([f"the check fails on the solution{on}:", *verdict.failing]))
    for job in mine:
        if job.what == "solution" or job.result is None or job.expected == "-":
            continue
        got = judge(job, mine)
        if got == job.expected or got == "-":
            continue
        on = f" on {job.backend}" if job.backend else ""
        if job.what.startswith("wrong:"):
            found.append(
                f"the wrong answer {display_path(job.path)}{on} passes the check: tighten "
                "the check so it tells this mistake apart"
            )
        elif job.side in lesson.exercise.sides:
            found.append(
                f"the {job.side} starting file {display_path(job.path)}{on} already passes its "
                "side's check (fails_initially = true)"
            )
        else:
            failing = verify.verify_side(lesson, job.side, job.result).failing
            found.append(
                "\n    ".join(
                    [
                        f"the {job.side} program {display_path(job.path)}{on} (not edited in "
                        "the exercise) fails its own conditions:",
                        *failing,
                    ]
                )
            )
    return found


def stray_solution_files(lesson: Lesson) -> list[str]:
    """Python files in ``solution/`` that the front matter does not name: a solution that is
    never run nor shown (a renamed side, a forgotten draft) looks checked but is not."""
    folder = lesson.folder / SOLUTION_DIR
    named = {path.resolve() for path in lesson.exercise.solution.values()}
    if not folder.is_dir():
        return []
    return [
        f"{display_path(path)} is not named in [exercise.solution] (it is never run nor shown)"
        for path in sorted(folder.rglob("*.py"))
        if path.resolve() not in named
    ]


def slow(jobs: Sequence[CheckJob]) -> list[str]:
    """A warning per program past FORMAT.md's per-file time budget (measured in the run)."""
    return [
        f"{job.lesson.id} {job.side} {job.what}{' on ' + job.backend if job.backend else ''}: "
        f"{job.seconds:.1f} s, over the {TIME_BUDGET:g} s per program FORMAT.md allows"
        for job in jobs
        if job.result is not None and job.seconds > TIME_BUDGET
    ]


def row(job: CheckJob, jobs: Sequence[CheckJob]) -> dict[str, Any]:
    """One run for ``fwlearn check --json``."""
    status = job.result.end.status if job.result is not None else "error"
    return {
        "lesson": job.lesson.id,
        "side": job.side,
        "backend": job.backend,
        "what": job.what,
        "path": str(job.path),
        "status": status,
        "check": judge(job, jobs),
        "expected": job.expected,
        "seconds": round(job.seconds, 2),
        "failure": job.failure,
    }
