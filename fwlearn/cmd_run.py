"""``fwlearn run FILE`` and ``fwlearn run LESSON``: run code headless, as the app would.

A file runs once; a lesson runs its sides one after the other and then shows its exercise check.
Exit 0 when every run ended ok, 1 when one failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fwlearn import jsonout
from fwlearn.console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    HumanPrinter,
    display_path,
    json_printer,
    terminal_width,
)
from fwlearn.engine.runner import RunResult, RunSpec, run_sync
from fwlearn.frameworks import SIDES
from fwlearn.lessons import Lesson, LessonVerdict, verify
from fwlearn.packs import (
    find_lesson,
    format_problem,
    open_pack,
    problems_of,
    unknown_lesson_message,
)


def run_main(args: argparse.Namespace) -> int:
    """A ``.py`` (or any existing file) runs as a file; anything else names a lesson."""
    target = Path(args.target)
    if target.suffix == ".py" or target.is_file():
        return run_file(args)
    return run_lesson(args)


def spec_from_args(args: argparse.Namespace, **overrides: Any) -> RunSpec:
    """The RunSpec that ``fwlearn run`` options describe (shared with ``run LESSON``)."""
    fields: dict[str, Any] = {
        "path": args.target,
        # The file's folder is its data, as for `cd folder && python file.py`.
        "data_dir": Path(args.target).resolve().parent,
        "framework": args.framework,
        "device": args.device,
        "keras_backend": args.keras_backend,
        "network": getattr(args, "network", False),
    }
    if args.timeout is not None:
        fields["timeout"] = args.timeout
    if args.memory is not None:
        fields["memory_mb"] = args.memory
    fields.update(overrides)
    return RunSpec(**fields)


def run_file(args: argparse.Namespace) -> int:
    spec = spec_from_args(args).resolved()  # UsageError for a missing or unreadable file
    result = run_sync(spec, on_event=json_printer if args.json else HumanPrinter())
    if not args.json:
        print(f"── {HumanPrinter.summary(result)}")
    return EXIT_OK if result.ok else EXIT_FAILED


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
