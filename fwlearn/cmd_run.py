"""``fwlearn run FILE`` and ``fwlearn run LESSON``: run code headless, as the app would.

A file runs once; a lesson runs its sides one after the other and then shows its exercise check.
Exit 0 when every run ended ok, 1 when one failed, 2 for a usage error.

Stdin goes through to the program as ``python file.py`` would have it (``input()``, pdb):
line by line from a terminal (with the program's prompt shown when it waits), the whole of
what is piped or redirected from a file, and EOF at once for anything else (``</dev/null``, a
CI job): a run never waits on a stdin nobody can write. ``--json`` reads stdin only when it is
piped (a terminal would mix typing with the JSON lines).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import stat
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
from fwlearn.engine.events import Event, InputWanted, Output
from fwlearn.engine.runner import Run, RunResult, RunSpec, run_sync
from fwlearn.engine.workdirs import MAX_DATA_COPY, folder_entries
from fwlearn.frameworks import SIDES
from fwlearn.lessons import Lesson, LessonVerdict, load_lesson, recorded, verify
from fwlearn.lessons.model import LESSON_FILE, SIDE_OF_FILE, WRONG_DIR
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
    target = Path(args.target)
    lesson = _lesson_of(target.resolve()) if target.is_file() else None
    data, note = file_data(target, lesson)
    overrides: dict[str, Any] = {"data_files": tuple(data)}
    side = SIDE_OF_FILE.get(target.name)
    pinned = lesson.pinned_keras_backend.get(side) if lesson and side else None
    if pinned is not None:  # a lesson's side pinned to a Keras backend runs on it, as in the app
        overrides["keras_backend"] = pinned
    spec = spec_from_args(args, **overrides).resolved()  # UsageError: no such file
    if note:
        print(note, file=sys.stderr)
    mode = stdin_mode(args.json)
    printer = json_printer if args.json else PromptingPrinter()
    result = run_sync(spec, on_event=printer, feed=None if mode == "eof" else pump_stdin)
    if not args.json:
        print(f"── {HumanPrinter.summary(result)}")
    return EXIT_OK if result.ok else EXIT_FAILED


def file_data(target: Path, lesson: Lesson | None = None) -> tuple[list[Path], str | None]:
    """What ``fwlearn run FILE`` copies into the run next to the file, and a note when it
    copies nothing.

    A lesson's program (its starting file, solution or wrong answer) gets the lesson's declared
    ``data``, as in the app. Any other file gets copies of what is next to it, as
    ``cd folder && python file.py`` would see it, but never links (a run once rewrote the
    author's reference file through one) and nothing from a folder past
    ``MAX_DATA_COPY`` (a home folder). ``lesson``: the lesson ``target`` belongs to, when the
    caller has already loaded it (else it is looked up here).
    """
    target = target.resolve()
    lesson = lesson or _lesson_of(target)
    if lesson is not None:
        return list(lesson.data_files), None
    entries, total = folder_entries(target.parent, leave_out=target)
    if total > MAX_DATA_COPY:
        return [], (
            f"note: {display_path(target.parent)} holds over {MAX_DATA_COPY // 2**20} MB, so "
            "none of it is copied into the run: put what the program reads in a folder of "
            "its own"
        )
    return entries, None


def _lesson_of(target: Path) -> Lesson | None:
    """The lesson whose program ``target`` is: a code file, a solution or a wrong answer."""
    for folder in list(target.parents)[:3]:
        if not (folder / LESSON_FILE).is_file():
            continue
        lesson, _problems = load_lesson(folder)
        if lesson is None:
            return None
        programs = {code.path.resolve() for code in lesson.files.values()}
        programs.update(path.resolve() for path in lesson.exercise.solution.values())
        inside_wrong = (folder / WRONG_DIR).resolve() in target.parents
        return lesson if target in programs or inside_wrong else None
    return None


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
            keras_backend=lesson.keras_backend_for(side, args.keras_backend),
            data_files=lesson.data_files,
            timeout=args.timeout or lesson.timeout,
        ).resolved()
        if args.json:
            printer: Any = json_printer
        else:
            print(f"── {lesson.id} · {side} ({display_path(code.path)})", flush=True)
            printer = PromptingPrinter(side if len(sides) > 1 else "")
        mode = stdin_mode(args.json)
        result = run_sync(spec, on_event=printer, feed=None if mode == "eof" else pump_stdin)
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
        task = recorded.render_text(
            lesson.exercise.task, recorded.load(lesson.folder), args.keras_backend, results
        )
        print(textwrap.fill(f"exercise: {task}", width, subsequent_indent="  "))
        print("check: " + ("passed" if outcome.passed else "not passed"))
        for message in outcome.messages:
            print(f"  {message}")
    return EXIT_OK if all(r.ok for r in results.values()) else EXIT_FAILED


def _lesson_check(lesson: Lesson, results: Mapping[str, RunResult]) -> LessonVerdict:
    """The exercise check on the sides that ran; with one side, only that side's conditions."""
    return verify.verify_lesson(lesson, results, only_ran=True)


# -- stdin ------------------------------------------------------------------------------------


def stdin_mode(json_mode: bool, fd: int = 0) -> str:
    """How ``fwlearn run`` passes its stdin on: "tty" (a terminal we are in the foreground
    of), "pipe" (a pipe, socket or file), or "eof" (anything else: ``/dev/null``, no fd 0,
    a terminal with ``--json`` or in the background, where reading it would stop us)."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return "eof"
    if os.isatty(fd):
        with contextlib.suppress(OSError):
            if not json_mode and os.tcgetpgrp(fd) == os.getpgrp():
                return "tty"
        return "eof"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISREG(mode):
        return "pipe"
    return "eof"


async def pump_stdin(run: Run, fd: int = 0) -> None:
    """Pass ``fd`` on to the run until it ends (EOF, Ctrl+D) or the run does: a chunk at a
    time, each after the last has gone into the program's pipe, so a flood (``yes |``) is
    read only as fast as the program takes it. A terminal gives one line per read."""
    loop = asyncio.get_running_loop()
    pollable = not stat.S_ISREG(os.fstat(fd).st_mode)  # epoll refuses regular files
    while run.input_open:
        if pollable:
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(fd, _wake, ready)
            try:
                await ready
            finally:
                loop.remove_reader(fd)
        try:
            data = os.read(fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            run.close_input()
            return
        run.write_input(data)
        await run.input_drained()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class PromptingPrinter(HumanPrinter):
    """``HumanPrinter`` that shows the program's prompt when it waits on stdin.

    Output is printed by whole lines, so a prompt (``input("Name? ")``, pdb's "(Pdb) "),
    which has no newline, would show only after the answer. When the run says it waits, the
    prompt is printed; the finished line that starts with it is then printed without it."""

    def __init__(self, label: str = "") -> None:
        super().__init__(label)
        self._partial = ""  # the program's unfinished stdout line
        self._shown = ""  # the part of it already printed (a prompt)
        self._waiting = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, Output) and event.stream == "stdout":
            if event.partial:
                self._partial = event.lines[0] if event.lines else ""
                if self._waiting:  # a prompt printed before a direct read of sys.stdin
                    self._show(self._partial)
                return
            first = event.lines[0] if event.lines else ""
            if self._shown and first.startswith(self._shown):
                event = dataclasses.replace(
                    event, lines=(first[len(self._shown) :], *event.lines[1:])
                )
            self._partial, self._shown, self._waiting = "", "", False
        elif isinstance(event, InputWanted):
            self._waiting = True
            self._show(event.prompt or self._partial)
        super().__call__(event)

    def _show(self, prompt: str) -> None:
        if prompt.startswith(self._shown) and prompt != self._shown:
            prefix = f"[{self.label}] " if self.label and not self._shown else ""
            sys.stdout.write(prefix + prompt[len(self._shown) :])
            sys.stdout.flush()
            self._shown = prompt
