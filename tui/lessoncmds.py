"""``fwlearn check``, ``fwlearn list`` and ``fwlearn run LESSON``: lesson packs, headless.

These never import textual (they must start fast and work in CI) nor any framework: lesson code
runs only in engine child processes. ``check`` is the pack author's test suite: it validates the
pack, runs every program and solution for real, and verifies the exercise checks behave (pass on
the solution, fail on the starting code when the lesson says so), in the spirit of rustlings'
``dev check``.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fwlearn.engine.events import End, Error
from fwlearn.engine.pool import SpareKey, WarmPool, pool_enabled_by_env
from fwlearn.engine.runner import (
    RunResult,
    RunSpec,
    UsageError,
    infer_framework,
    run_async,
    run_sync,
)
from fwlearn.lessons import SIDES, Lesson, LessonProblem, LessonVerdict, Pack, load_pack, verify
from fwlearn.tui import jsonout
from fwlearn.tui.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    HumanPrinter,
    json_printer,
    spec_from_args,
)

DEFAULT_WIDTH = 80
METRIC_ABBREVIATIONS = {"accuracy": "acc", "loss": "loss"}


# -- shared -------------------------------------------------------------------------------------


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


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it: shorter lines."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def format_problem(problem: LessonProblem) -> str:
    where = display_path(problem.path) + (f":{problem.line}" if problem.line else "")
    return f"{where}: {problem.message}"


def terminal_width() -> int:
    return max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def short_metrics(final: Mapping[str, float | None]) -> str:
    """``val_acc 0.91 loss 0.25``: the final metrics, validation/test ones first."""
    ordered = sorted(final.items(), key=lambda kv: (not kv[0].startswith(("val_", "test_")), kv[0]))
    parts = []
    for name, value in ordered:
        prefix, _, base = (
            name.rpartition("_") if name.startswith(("val_", "test_")) else ("", "", name)
        )
        short = (prefix + "_" if prefix else "") + METRIC_ABBREVIATIONS.get(base, base)
        parts.append(f"{short} {'nan' if value is None else f'{value:.3g}'}")
    return " ".join(parts)


# -- fwlearn list -------------------------------------------------------------------------------


def list_main(args: argparse.Namespace, progress: Mapping[str, str] | None = None) -> int:
    """List the lessons and, separately, the folders that did not load and why.

    ``progress`` (lesson id -> a short word such as "done") is the hook for the app's progress
    store: when given, a progress column (and a ``progress`` JSON field) appears.
    """
    pack = open_pack(getattr(args, "list_lessons", None), getattr(args, "lessons", None))
    broken = pack.broken()
    if args.json:
        data = {
            "pack": str(pack.root),
            "lessons": [_lesson_json(lesson, progress) for lesson in pack.lessons],
            "broken": [
                {
                    "folder": str(folder),
                    "id": next((p.lesson_id for p in problems if p.lesson_id), None),
                    "problems": [str(p) for p in problems],
                }
                for folder, problems in broken.items()
            ],
            "problems": [str(p) for p in pack.problems],
        }
        print(jsonout.dumps(data, indent=2))
        return EXIT_OK
    width = terminal_width()
    if not pack.lessons and not broken:
        print(f"no lessons in {display_path(pack.root)}")
        return EXIT_OK
    id_width = min(18, max((len(lesson.id) for lesson in pack.lessons), default=2))
    title_width = min(24, max((len(lesson.title) for lesson in pack.lessons), default=5))
    progress_width = 13 if progress is not None else 0
    head = f"{'#':>3}  {'id':<{id_width}}  {'title':<{title_width}}  "
    if progress is not None:
        head += f"{'progress':<{progress_width}}"
    print(head + "summary")
    for lesson in pack.lessons:
        line = (
            f"{lesson.order:>3}  {clip(lesson.id, id_width):<{id_width}}  "
            f"{clip(lesson.title, title_width):<{title_width}}  "
        )
        if progress is not None:
            line += f"{clip(progress.get(lesson.id, 'not started'), progress_width - 1):<{progress_width}}"
        print(line + clip(lesson.summary, width - len(line)))
    other = [p for p in pack.problems if p.folder is None or p.folder not in broken]
    if broken:
        print(f"\nbroken ({len(broken)}; 'fwlearn check' shows every problem):")
        for folder, problems in broken.items():
            first = problems[0]
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            where = first.path.name + (f":{first.line}" if first.line else "")
            label = f"  {folder.name}: "
            print(label + clip(f"{where}: {first.message}{more}", width - len(label)))
    if other:
        print("\nproblems:")
        for problem in other:
            print(f"  {format_problem(problem)}")
    return EXIT_OK


def _lesson_json(lesson: Lesson, progress: Mapping[str, str] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lesson.id,
        "title": lesson.title,
        "order": lesson.order,
        "summary": lesson.summary,
        "requires": list(lesson.requires),
        "folder": str(lesson.folder),
        "exercise_sides": list(lesson.exercise.sides),
    }
    if progress is not None:
        data["progress"] = progress.get(lesson.id, "not started")
    return data


# -- fwlearn run LESSON -------------------------------------------------------------------------


def run_lesson(args: argparse.Namespace) -> int:
    """Run a lesson's programs one side after the other, then show the exercise check.

    Exit 0 when every run ended ok (the starting code failing its exercise check is normal),
    1 when a run failed, 2 for an unknown lesson.
    """
    pack = open_pack(getattr(args, "run_lessons", None), getattr(args, "lessons", None))
    lesson = find_lesson(pack, args.target)
    if lesson is None:
        problems = problems_of(pack, args.target)
        if problems:
            print(f'fwlearn: error: lesson "{args.target}" does not load:', file=sys.stderr)
            for problem in problems:
                print(f"  {format_problem(problem)}", file=sys.stderr)
            return EXIT_FAILED
        print(f"fwlearn: error: {unknown_lesson_message(pack, args.target)}", file=sys.stderr)
        return EXIT_USAGE
    sides = SIDES if args.side == "both" else (args.side,)
    results: dict[str, RunResult] = {}
    for side in sides:
        code = lesson.files[side]
        spec = spec_from_args(
            args,
            path=code.path,
            framework=None,  # inferred from the imports
            data_files=lesson.data_files,
            timeout=args.timeout or lesson.timeout,
        ).resolved()
        if args.json:
            printer: Any = json_printer
        else:
            print(f"── {lesson.id} · {side} ({display_path(code.path)})", flush=True)
            printer = HumanPrinter(side if len(sides) > 1 else "")
        result = run_sync(spec, on_event=printer)
        results[side] = result
        if not args.json:
            print(f"── {side}: {HumanPrinter.summary(result)}", flush=True)
        if result.end.status == "cancelled":
            break  # Ctrl+C stops the whole command, not just this side
    outcome = _lesson_check(lesson, results)
    if args.json:
        record = {
            "type": "lesson_check",
            "lesson": lesson.id,
            "runs": {side: result.end.run_id for side, result in results.items()},
            "passed": outcome.passed,
            "messages": list(outcome.messages),
        }
        sys.stdout.write(jsonout.dumps(record) + "\n")
    else:
        width = terminal_width()
        print()
        print(textwrap.fill(f"exercise: {lesson.exercise.task}", width, subsequent_indent="  "))
        print("check: " + ("passed" if outcome.passed else "not passed"))
        for message in outcome.messages:
            print(f"  {message}")
    return EXIT_OK if all(r.ok for r in results.values()) else EXIT_FAILED


def _lesson_check(lesson: Lesson, results: Mapping[str, RunResult]) -> LessonVerdict:
    """The exercise check on the sides that ran; with one side, only that side's conditions."""
    return verify.verify_lesson(lesson, results, only_ran=True)


# -- fwlearn check ------------------------------------------------------------------------------


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
                if framework in ("keras", "pytorch")
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


__all__ = [
    "CheckJob",
    "CheckReport",
    "check_main",
    "find_lesson",
    "list_main",
    "open_pack",
    "run_lesson",
    "unknown_lesson_message",
]
