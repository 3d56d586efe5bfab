"""``fwlearn verify LESSON [--keras FILE] [--pytorch FILE]``: check the learner's own code.

rustlings' ``verify``, for one lesson: run the learner's files (by default their saved edits
from the app, else the starting files) and print, per side, each check with the value the run
reported, the bound and pass/fail. The verdict is ``verify_lesson``'s, the very function the
app's Exercise tab calls, so the two agree on the same run. Both sides always run: an across
check needs both, and a side the learner does not edit is shown as an invariant.
Exit 0 when the exercise passes, 1 otherwise, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fwlearn import jsonout
from fwlearn.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE, HumanPrinter, display_path
from fwlearn.engine.runner import RunResult, RunSpec, UsageError, run_sync
from fwlearn.frameworks import SIDES, installed_keras_backends
from fwlearn.lessons import Lesson, LessonVerdict, Verdict, recorded, verify
from fwlearn.packs import (
    find_lesson,
    format_problem,
    open_pack,
    problems_of,
    unknown_lesson_message,
)
from fwlearn.store import Store


def verify_main(args: argparse.Namespace) -> int:
    if getattr(args, "watch", False):  # again on every save: fwlearn/verify_watch.py
        from fwlearn.verify_watch import watch_main

        return watch_main(args, verify_main)
    pack = open_pack(getattr(args, "verify_lessons", None), getattr(args, "lessons", None))
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
    backend = args.keras_backend or next(iter(installed_keras_backends()), "tensorflow")
    given = {"keras": args.keras, "pytorch": args.pytorch}
    sources = {side: _source(lesson, side, given[side]) for side in SIDES}
    results: dict[str, RunResult] = {}
    for side in SIDES:
        origin, path, source = sources[side]
        runs_on = lesson.keras_backend_for(side, backend)
        if not args.json:
            on = f" on {backend}" if side == "keras" else ""
            if side in lesson.pinned_keras_backend:
                on = f" (keras on {runs_on}, pinned by the lesson)"
            print(f"── {lesson.id} · {side}{on}: {origin}", flush=True)
        spec = RunSpec(
            path=path,
            source=source,
            keras_backend=runs_on,
            data_files=lesson.data_files,
            timeout=lesson.timeout,
        )
        results[side] = run_sync(spec)
        if not args.json:
            summary = HumanPrinter.summary(results[side]).replace("\n", "\n   ")
            print(f"   {summary}", flush=True)
    outcome = verify.verify_lesson(lesson, results)
    if args.json:
        print(jsonout.dumps(_json(lesson, outcome, sources, results, backend)))
    else:
        task = recorded.render_text(
            lesson.exercise.task, recorded.load(lesson.folder), backend, results
        )
        print(f"\nexercise: {task}")
        for message in outcome.messages:
            print(f"  {message}")
        print("verdict: " + ("pass" if outcome.passed else "not passed yet"))
    return EXIT_OK if outcome.passed else EXIT_FAILED


def _source(lesson: Lesson, side: str, given: str | None) -> tuple[str, Path, str]:
    """(where it comes from, the path it runs as, its code): a file given on the command line,
    else the learner's saved edit (the app's store), else the starting file."""
    if given is not None:
        path = Path(given)
        try:
            return display_path(path), path, path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read --{side} {given}: {exc}") from None
    code = lesson.files[side]
    saved: str | None = None
    try:
        store = Store.default()
        try:
            saved = store.edit(lesson.id, side)
        finally:
            store.close()
    except Exception:  # no progress database yet, or an unreadable one: the starting file
        saved = None
    if saved is not None and saved != code.source:
        return "your saved edit", code.path, saved
    return f"the starting file {display_path(code.path)}", code.path, code.source


def _json(
    lesson: Lesson,
    outcome: LessonVerdict,
    sources: dict[str, tuple[str, Path, str]],
    results: dict[str, RunResult],
    backend: str,
) -> dict[str, Any]:
    verdicts: dict[str, Verdict] = {**outcome.invariants, **outcome.sides}
    sides: dict[str, Any] = {}
    for side in SIDES:
        verdict = verdicts.get(side)
        sides[side] = {
            "source": sources[side][0],
            "backend": (
                lesson.keras_backend_for(side, backend)
                if side == "keras" or side in lesson.pinned_keras_backend
                else None
            ),
            "status": results[side].end.status,
            "edited": side in lesson.exercise.sides,
            "passed": verdict.passed if verdict is not None else None,
            "checks": _lines(verdict),
        }
    return {
        "lesson": lesson.id,
        "passed": outcome.passed,
        "sides": sides,
        "across": _lines(outcome.across),
        "messages": list(outcome.messages),
    }


def _lines(verdict: Verdict | None) -> list[dict[str, Any]]:
    if verdict is None:
        return []
    return [
        {
            "name": line.condition.name,
            "kind": "metric" if line.condition.metric is not None else "fact",
            "run": line.condition.run,
            "value": line.value,
            "needs": line.condition.requirement(),
            "passed": line.passed,
            "message": line.message,
        }
        for line in verdict.lines
    ]
