"""``fwlearn check``: a pack author's test suite, headless.

It validates the pack, runs every program and solution for real, and verifies the exercise checks
behave (pass on the solution, fail on the starting code when the lesson says so), in the spirit of
rustlings' ``dev check``. Never imports textual nor any framework: lesson code runs only in
engine child processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from fwlearn.engine.pool import SpareKey, WarmPool, pool_enabled_by_env
from fwlearn.engine.runner import RunResult, RunSpec, UsageError, infer_framework, run_async
from fwlearn.frameworks import SIDES
from fwlearn.lessons import Lesson, LessonProblem, verify
from fwlearn.packs import (
    find_lesson,
    format_problem,
    open_pack,
    problems_of,
    unknown_lesson_message,
)


@dataclass
class CheckJob:
    """One program to run: a side's starting file or its solution."""

    lesson: Lesson
    side: str
    what: str  # start | solution
    path: Path
    result: RunResult | None = None
    failure: str | None = None  # the engine could not run it at all
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok


@dataclass
class CheckReport:
    """What ``fwlearn check`` found, for the final verdict and the exit status."""

    problems: list[LessonProblem] = field(default_factory=list)
    jobs: list[CheckJob] = field(default_factory=list)
    verdicts: list[tuple[Lesson, str]] = field(default_factory=list)  # unexpected check outcomes

    @property
    def ok(self) -> bool:
        return not self.problems and not self.verdicts and all(job.ok for job in self.jobs)


def check_main(args: argparse.Namespace) -> int:
    """Validate a pack, run all its code, verify the exercise checks; 0 only if all holds."""
    # Default: one run per core, up to 4 (on 2 cores --jobs 2 took 82 s against 105 s for 1).
    jobs = args.jobs if args.jobs is not None else max(1, min(4, os.cpu_count() or 1))
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    pack = open_pack(args.dir, getattr(args, "lessons", None))
    lessons = pack.lessons
    problems = pack.problems
    if args.lesson:
        lesson = find_lesson(pack, args.lesson)
        problems = problems_of(pack, args.lesson)
        if lesson is None and not problems:
            print(f"fwlearn: error: {unknown_lesson_message(pack, args.lesson)}", file=sys.stderr)
            return EXIT_USAGE
        lessons = [lesson] if lesson is not None else []
        if lesson is not None:
            problems = [p for p in pack.problems if p.folder == lesson.folder] or problems
    report = CheckReport(problems=list(problems))
    width = terminal_width()
    print(
        f"checking {len(lessons)} lesson{'s' if len(lessons) != 1 else ''} "
        f"in {display_path(pack.root)}"
    )
    if problems:
        print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''}:")
        for problem in problems:
            print(format_problem(problem))
    report.jobs = plan_jobs(lessons)
    if report.jobs:
        table = CheckTable(report.jobs, width)
        print()
        table.header()
        # Spares pay off only with a core to spare: bench/check_jobs.py on 2 cores measured
        # --jobs 1 123 s cold vs 105 s warm, but --jobs 2 82 s cold vs 98 s warm.
        warm = (
            jobs < (os.cpu_count() or 1)
            and not getattr(args, "no_warm", False)
            and pool_enabled_by_env()
        )
        asyncio.run(run_jobs(report.jobs, jobs, table, warm=warm))
        for lesson in lessons:
            report.verdicts.extend((lesson, v) for v in verify_lesson(lesson, report.jobs))
    print_details(report, width)
    return EXIT_OK if report.ok else EXIT_FAILED


def plan_jobs(lessons: Sequence[Lesson]) -> list[CheckJob]:
    """Both starting files of each lesson, then the solution of each side the exercise edits."""
    planned: list[CheckJob] = []
    for lesson in lessons:
        for side in SIDES:
            planned.append(CheckJob(lesson, side, "start", lesson.files[side].path))
        for side in lesson.exercise.sides:
            planned.append(CheckJob(lesson, side, "solution", lesson.exercise.solution[side]))
    return planned


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
                SpareKey.for_spec(framework, "tensorflow", "auto")
                for framework in {_framework_of(job.path) for job in planned}
                if framework in SIDES  # each side is a framework that has warm spares
            }
        )

    async def one(job: CheckJob) -> None:
        async with limit:
            table.started(job)
            began = time.monotonic()
            spec = RunSpec(
                path=job.path,
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


def verify_lesson(lesson: Lesson, planned: Sequence[CheckJob]) -> list[str]:
    """The check must pass on the solutions and, when ``fails_initially``, fail on each side's
    starting file.

    ``fails_initially`` is judged per side: a learner who opens a lesson whose keras file already
    passes has nothing to do on that side, even if the pytorch side still fails (judging both
    sides together let such a pack through).
    """
    mine = [job for job in planned if job.lesson is lesson]
    start = {job.side: job for job in mine if job.what == "start" and job.result is not None}
    solved = {side: job.result for side, job in start.items()}
    solved.update(
        {job.side: job.result for job in mine if job.what == "solution" and job.result is not None}
    )
    verdicts = []
    exercise = lesson.exercise
    on_solution = verify.verify_lesson(lesson, solved)
    if not on_solution.passed:
        verdicts.append("\n    ".join(["the check fails on the solution:", *on_solution.failing]))
    if exercise.fails_initially:
        for side in exercise.sides:
            job = start.get(side)
            if job is None or job.result is None:
                continue  # it did not run at all: already reported as a failed run
            if verify.verify_side(lesson, side, job.result).passed:
                verdicts.append(
                    f"the {side} starting file {display_path(job.path)} already passes its "
                    "side's check (fails_initially = true)"
                )
    return verdicts


def check_label(job: CheckJob) -> str:
    """The exercise check for this run's side alone: pass, fail, or - (side not in exercise)."""
    exercise = job.lesson.exercise
    if job.side not in exercise.sides or job.result is None:
        return "-"
    return "pass" if verify.verify_side(job.lesson, job.side, job.result).passed else "fail"


class CheckTable:
    """The run table, printed a row at a time so a long check shows progress as it goes."""

    def __init__(self, planned: Sequence[CheckJob], width: int) -> None:
        self.width = width
        self.lesson_width = min(16, max([6, *(len(job.lesson.id) for job in planned)]))
        self.live = sys.stdout.isatty()
        self.running: list[CheckJob] = []

    def _row(self, lesson: str, side: str, what: str, status: str, check: str, secs: str) -> str:
        return (
            f"{clip(lesson, self.lesson_width):<{self.lesson_width}} {side:<7} {what:<8} "
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
        self._clear_running()
        status = job.result.end.status if job.result is not None else "error"
        row = self._row(
            job.lesson.id, job.side, job.what, status, check_label(job), f"{job.seconds:.1f}s"
        )
        print(row + clip(self._last_column(job), self.width - len(row)), flush=True)
        self._show_running()

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
            names = ", ".join(f"{j.lesson.id} {j.side} {j.what}" for j in self.running)
            sys.stdout.write(clip(f"running: {names}", self.width - 1))
            sys.stdout.flush()

    def _clear_running(self) -> None:
        if self.live:
            sys.stdout.write("\r\033[K")


def print_details(report: CheckReport, width: int) -> None:
    """Why things failed (errors with their line, unexpected check outcomes), then a verdict."""
    failed = [job for job in report.jobs if not job.ok]
    if failed:
        print("\nfailed runs:")
        for job in failed:
            print(f"  {job.lesson.id} {job.side} {job.what} ({display_path(job.path)}):")
            for line in _failure_lines(job):
                print(f"    {line}")
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
