"""``fwlearn check``: a pack author's test suite, headless.

It validates the pack, runs every program, solution and wrong answer for real (each Keras one on
every Keras backend checked), and verifies the exercise checks behave (pass on the solution,
fail on the starting code when the lesson says so and on every wrong answer), in the spirit of
rustlings' ``dev check``. What is planned and expected is ``checkjobs``; this module runs and
prints. Never imports textual nor any framework: lesson code runs only in engine child
processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fwlearn import checkjobs, jsonout
from fwlearn.check_stamp import stamp_lessons
from fwlearn.checkjobs import CheckJob
from fwlearn.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    clip,
    display_path,
    short_metrics,
    terminal_width,
)
from fwlearn.engine.events import End, Error
from fwlearn.engine.pool import SpareKey, WarmPool, fork_enabled_by_env, pool_enabled_by_env
from fwlearn.engine.runner import RunSpec, UsageError, infer_framework, run_async
from fwlearn.frameworks import SIDES
from fwlearn.lessons import Lesson, LessonProblem, prose_check, verify
from fwlearn.lessons.wrong_answers import sides_without_wrong_answers
from fwlearn.packs import (
    find_lesson,
    format_problem,
    open_pack,
    problems_of,
    unknown_lesson_message,
)


@dataclass
class CheckReport:
    """What ``fwlearn check`` found, for the final verdict and the exit status."""

    problems: list[LessonProblem] = field(default_factory=list)
    jobs: list[CheckJob] = field(default_factory=list)
    verdicts: list[tuple[Lesson, str]] = field(default_factory=list)  # unexpected check outcomes
    notes: list[str] = field(default_factory=list)  # what was skipped, and why
    warnings: list[str] = field(default_factory=list)  # past the time budget (not failures)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.verdicts and not self.failed

    @property
    def failed(self) -> list[CheckJob]:
        """Runs that did not end ok, but for wrong answers: a mistake may well crash (a None
        gradient), which fails the check as a wrong value does; they are listed apart."""
        return [job for job in self.jobs if not job.ok and not _wrong(job)]

    @property
    def crashed_wrong(self) -> list[CheckJob]:
        return [job for job in self.jobs if not job.ok and _wrong(job)]


def _wrong(job: CheckJob) -> bool:
    return job.is_wrong_answer


def check_main(args: argparse.Namespace) -> int:
    """Validate a pack, run all its code, verify the exercise checks; 0 only if all holds.

    With ``--json`` the table and details go to stderr and stdout gets one JSON document: every
    row (lesson, side, backend, what, status, check, expected, seconds) and the findings.
    """
    if not getattr(args, "json", False):
        return _check(args)
    with contextlib.redirect_stdout(sys.stderr):
        report = CheckReport()
        code = _check(args, report)
    if code != EXIT_USAGE:
        print(jsonout.dumps(_json(report, code)))
    return code


def _json(report: CheckReport, code: int) -> dict[str, object]:
    return {
        "ok": code == EXIT_OK,
        "problems": [format_problem(p) for p in report.problems],
        "runs": [checkjobs.row(job, report.jobs) for job in report.jobs],
        "unexpected": [{"lesson": lesson.id, "message": m} for lesson, m in report.verdicts],
        "notes": report.notes,
        "warnings": report.warnings,
    }


def _check(args: argparse.Namespace, report: CheckReport | None = None) -> int:
    # Default: one run per core, up to 4 (on 2 cores --jobs 2 took 82 s against 105 s for 1).
    jobs = args.jobs if args.jobs is not None else max(1, min(4, os.cpu_count() or 1))
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    pack = open_pack(args.dir, getattr(args, "lessons", None))
    lessons = pack.lessons
    problems = pack.problems
    if args.lesson:  # --lesson ID, repeatable (argparse's append: a list)
        lessons, problems = [], []
        for name in dict.fromkeys(args.lesson):
            lesson = find_lesson(pack, name)
            found = problems_of(pack, name)
            if lesson is None and not found:
                print(f"fwlearn: error: {unknown_lesson_message(pack, name)}", file=sys.stderr)
                return EXIT_USAGE
            if lesson is not None:
                if lesson in lessons:  # the same lesson by id and by number
                    continue
                lessons.append(lesson)
                found = [p for p in pack.problems if p.folder == lesson.folder] or found
            problems.extend(found)
    backends, backend_notes = checkjobs.keras_backends(getattr(args, "keras_backend", None))
    report = report if report is not None else CheckReport()
    report.problems = list(problems)
    width = terminal_width()
    print(
        f"checking {len(lessons)} lesson{'s' if len(lessons) != 1 else ''} "
        f"in {display_path(pack.root)}"
    )
    if problems:
        print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''}:")
        for problem in problems:
            print(format_problem(problem))
    report.jobs, lesson_notes = checkjobs.plan_jobs(lessons, backends)
    report.notes = [*backend_notes, *lesson_notes]
    for note in report.notes:
        print(f"note: {note}")
    if report.jobs:
        table = CheckTable(report.jobs, width)
        print()
        table.header()
        # Started spares pay off only with a core to spare: bench/check_jobs.py on 2 cores
        # measured --jobs 1 123 s cold vs 105 s warm, but --jobs 2 82 s cold vs 98 s warm.
        # Forked ones (engine/zygote.py) import once per framework: `fwlearn check --lesson
        # training --lesson one-step --jobs 2` took 65 s (123 s CPU) against 74 s (141 s)
        # cold with FWLEARN_NO_FORK=1 (2026-12-02).
        warm = (
            (jobs < (os.cpu_count() or 1) or fork_enabled_by_env())
            and not getattr(args, "no_warm", False)
            and pool_enabled_by_env()
        )
        asyncio.run(run_jobs(report.jobs, jobs, table, warm=warm))
        for lesson in lessons:
            report.verdicts.extend((lesson, v) for v in checkjobs.unexpected(lesson, report.jobs))
        report.warnings = checkjobs.slow(report.jobs)
        record = getattr(args, "record", False)
        report.problems.extend(check_prose(lessons, report.jobs, record, backends))
    for lesson in lessons:
        report.verdicts.extend((lesson, m) for m in checkjobs.stray_solution_files(lesson))
        report.verdicts.extend((lesson, m) for m in sides_without_wrong_answers(lesson))
    if report.jobs and getattr(args, "record", False):
        stamped = stamp_lessons(lessons, report.jobs, report.problems, report.verdicts, backends)
        if stamped:
            print("\nfull-check stamps:", *stamped, sep="\n  ")
    print_details(report, width)
    return EXIT_OK if report.ok else EXIT_FAILED


def check_prose(
    lessons: Sequence[Lesson], jobs: Sequence[CheckJob], record: bool, backends: Sequence[str]
) -> list[LessonProblem]:
    """The prose's references against these runs (``lessons.prose_check``); prints its findings.

    A keras-side program that imports no Keras ran once (backend None): it stands for its run
    on every backend checked."""
    found: list[LessonProblem] = []
    lines: list[str] = []
    for lesson in lessons:
        rows = [
            (j.side, backend, j.what, j.result)
            for j in jobs
            if j.lesson is lesson
            for backend in (backends if j.side == "keras" and j.backend is None else [j.backend])
        ]
        prose = prose_check.check_prose(lesson, prose_check.runs_by_key(rows), record=record)
        if prose.written is not None:
            lines.append(f"recorded {display_path(prose.written)}")
        lines.extend([*prose.notes, *map(format_problem, prose.problems)])
        found.extend(prose.problems)
    if lines:
        print("\nnumbers in the prose:", *lines, sep="\n  ")
    return found


async def run_jobs(
    planned: Sequence[CheckJob], jobs: int, table: CheckTable, *, warm: bool = False
) -> None:
    """Run up to ``jobs`` programs at once; each row is printed as its run finishes.

    ``warm``: keep a warm spare per framework, so the next program's framework imports while
    the current one runs (``bench/check_jobs.py`` measures what that saves)."""
    limit = asyncio.Semaphore(jobs)
    # Only used with a core to spare (see check_main), so replacements may import meanwhile.
    pool = WarmPool(enabled=warm, spawn_while_running=True) if warm else None
    if pool is not None:
        pool.want(
            {
                SpareKey.for_spec(framework, backend, "auto")
                for framework, backend in {
                    (_framework_of(job.path), job.runs_on) for job in planned
                }
                if framework in SIDES  # each side is a framework that has warm spares
            }
        )

    async def one(job: CheckJob) -> None:
        async with limit:
            table.started(job)
            began = time.monotonic()
            spec = RunSpec(
                path=job.path,
                keras_backend=job.runs_on,
                data_files=job.lesson.data_files,
                timeout=job.lesson.timeout,
                threads=1 if jobs > 1 else None,  # 2 cores: one thread each is fastest
            )
            try:
                job.result = await run_async(spec, pool=pool)
            except UsageError as exc:
                job.failure = str(exc)
            except Exception as exc:  # an engine bug: report it on the row, go on
                job.failure = f"engine error: {type(exc).__name__}: {exc}"
            job.seconds = (
                job.result.end.wall if job.result is not None else time.monotonic() - began
            )
            table.finished(job)

    try:
        await asyncio.gather(*(one(job) for job in planned))
    finally:
        if pool is not None:
            await pool.close()


def _framework_of(path: Path) -> str:
    try:
        return infer_framework(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return "python"


BACKEND_SHORT = {"tensorflow": "tf"}  # the side column: keras/tf, keras/torch, keras/jax


def check_label(job: CheckJob, planned: Sequence[CheckJob]) -> str:
    """The row's check: ``checkjobs.judge`` (with the other side's solution, so across checks
    count) for a lesson with across checks, else the conditions on this program's side. "-" when
    none apply or it did not run."""
    lesson = job.lesson
    if job.result is None:
        return "-"
    if any(c.across for c in lesson.exercise.checks):
        return checkjobs.judge(job, planned)  # the table waits for the partner (CheckTable)
    if not any(c.applies_to(job.side) for c in lesson.exercise.checks):
        return "-"
    return "pass" if verify.verify_side(lesson, job.side, job.result).passed else "fail"


class CheckTable:
    """The run table, printed a row at a time so a long check shows progress as it goes."""

    def __init__(self, planned: Sequence[CheckJob], width: int) -> None:
        self.width = width
        self.lesson_width = min(16, max([6, *(len(job.lesson.id) for job in planned)]))
        self.what_width = min(24, max([8, *(len(job.what) for job in planned)]))
        self.live = sys.stdout.isatty()
        self.running: list[CheckJob] = []
        self.planned = planned
        # A row whose check pairs it with the other side's solution (across checks) waits for
        # that run, so its "check" column is the final verdict, never a guess from one side.
        self.waiting: list[CheckJob] = []
        self.done: set[int] = set()

    def _row(self, lesson: str, side: str, what: str, status: str, check: str, secs: str) -> str:
        return (
            f"{clip(lesson, self.lesson_width):<{self.lesson_width}} {side:<11} "
            f"{clip(what, self.what_width):<{self.what_width}} "
            f"{status:<7} {check:<5} {secs:>6}  "
        )

    def header(self) -> None:
        head = self._row("lesson", "side", "what", "status", "check", "time") + "final metrics"
        print(head)
        print("─" * min(self.width, max(len(head), 60)))

    def started(self, job: CheckJob) -> None:
        self.running.append(job)
        self._show_running()

    def finished(self, job: CheckJob) -> None:
        self.running.remove(job)
        self.done.add(id(job))
        self._clear_running()
        self.waiting.append(job)
        for ready in [waiting for waiting in self.waiting if self._ready(waiting)]:
            self.waiting.remove(ready)
            self._print(ready)
        self._show_running()

    def _ready(self, job: CheckJob) -> bool:
        if job.result is None or not any(c.across for c in job.lesson.exercise.checks):
            return True
        lesson_done = all(id(j) in self.done for j in self.planned if j.lesson is job.lesson)
        return lesson_done or checkjobs.partner_done(job, self.planned)

    def _print(self, job: CheckJob) -> None:
        status = job.result.end.status if job.result is not None else "error"
        side = _side_label(job)
        row = self._row(
            job.lesson.id,
            side,
            job.what,
            status,
            check_label(job, self.planned),
            f"{job.seconds:.1f}s",
        )
        print(row + clip(self._last_column(job), self.width - len(row)), flush=True)

    @staticmethod
    def _last_column(job: CheckJob) -> str:
        if job.result is None:
            return job.failure or ""
        error = job.result.error
        if not job.result.ok and error is not None:
            return f"{error.kind}: {error.message}"
        return short_metrics(job.result.final_metrics())

    def _show_running(self) -> None:
        if self.live and self.running:
            names = ", ".join(f"{j.lesson.id} {_who(j)} {j.what}" for j in self.running)
            sys.stdout.write(clip(f"running: {names}", self.width - 1))
            sys.stdout.flush()

    def _clear_running(self) -> None:
        if self.live:
            sys.stdout.write("\r\033[K")


def print_details(report: CheckReport, width: int) -> None:
    """Why things failed (errors with their line, unexpected check outcomes), then a verdict."""
    failed = report.failed
    for title, jobs in (
        ("failed runs", failed),
        (
            "wrong answers that fail by not finishing (fine if that is the mistake)",
            report.crashed_wrong,
        ),
    ):
        if jobs:
            print(f"\n{title}:")
        for job in jobs:
            print(f"  {job.lesson.id} {_who(job)} {job.what} ({display_path(job.path)}):")
            for line in _failure_lines(job):
                print(f"    {line}")
    if report.warnings:
        print("\nslower than the time budget (a warning):")
        for warning in report.warnings:
            print(f"  {warning}")
    if report.verdicts:
        print("\nexercise checks not as expected:")
        for lesson, verdict in report.verdicts:
            print(f"  {lesson.id}: {verdict}")
    runs = len(report.jobs)
    lessons = len({job.lesson.id for job in report.jobs})
    counts = f"{lessons} lesson{'s' if lessons != 1 else ''}, {runs} run{'s' if runs != 1 else ''}"
    if report.ok:
        print(f"\nall good: {counts}, every exercise check as expected")
    else:
        issues = []
        if report.problems:
            issues.append(
                f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
            )
        if failed:
            issues.append(f"{len(failed)} failed run{'s' if len(failed) != 1 else ''}")
        if report.verdicts:
            issues.append(
                f"{len(report.verdicts)} unexpected check{'s' if len(report.verdicts) != 1 else ''}"
            )
        print(f"\nFAILED: {', '.join(issues)} ({counts})")


def _who(job: CheckJob) -> str:
    if job.side in job.lesson.pinned_keras_backend:
        return f"{job.side} (keras on {job.runs_on})"
    return job.side if job.backend is None else f"keras on {job.backend}"


def _side_label(job: CheckJob) -> str:
    """The table's side column: keras/tf, keras/torch, pytorch, or pytorch+k/torch for a side
    pinned to a Keras backend."""
    if job.side in job.lesson.pinned_keras_backend:
        return f"{job.side}+k/{BACKEND_SHORT.get(job.runs_on, job.runs_on)}"
    return (
        job.side if job.backend is None else f"keras/{BACKEND_SHORT.get(job.backend, job.backend)}"
    )


def _failure_lines(job: CheckJob) -> list[str]:
    if job.result is None:
        return [job.failure or "did not run"]
    error: Error | None = job.result.error
    end: End = job.result.end
    if error is None:
        return [f"status {end.status}"]
    where = f" at line {error.line}" if error.line else ""
    return [f"{error.kind}{where}: {error.message}"]


__all__ = ["CheckJob", "CheckReport", "check_main"]
