"""The ``fwlearn`` command.

``fwlearn`` alone opens the app; the subcommands are headless and never import textual, so
``fwlearn run --json`` and ``fwlearn check`` start fast and work in CI and scripts.
Exit status: 0 ok, 1 a run failed/timed out/was cancelled (or a check failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from importlib import metadata, resources
from pathlib import Path
from typing import Any, NoReturn

from fwlearn.engine.events import End, Event, Output, Warning
from fwlearn.engine.runner import (
    DEVICES,
    FRAMEWORKS,
    KERAS_BACKENDS,
    RunResult,
    RunSpec,
    UsageError,
    run_async,
    run_sync,
)
from fwlearn.tui import jsonout
from fwlearn.tui.store import StoreError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SIDES = ("keras", "pytorch", "both")
FRAMEWORK_PACKAGES = (
    "torch",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "jax",
    "scikit-learn",
    "pandas",
)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2 (no usage dump, no traceback)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> Parser:
    parser = Parser(prog="fwlearn", description="Learn Keras and PyTorch side by side.")
    parser.add_argument("--lessons", metavar="DIR", help="use the lesson pack in DIR")
    parser.add_argument("--no-warm", action="store_true", help="do not keep warm workers")
    parser.add_argument("--version", action="version", version=f"fwlearn {_version()}")
    commands = parser.add_subparsers(dest="command", parser_class=Parser)

    # --timeout/--memory default to None so a lesson's own timeout can apply; their help shows
    # the engine's defaults instead of argparse's "None".
    defaults = RunSpec()
    run = commands.add_parser("run", help="run a Python file or a lesson, headless")
    run.add_argument(
        "target", help="a .py file, or a lesson: its id or its number in 'fwlearn list'"
    )
    run.add_argument("--framework", choices=FRAMEWORKS, help="default: inferred from imports")
    run.add_argument(
        "--side", choices=SIDES, default="both", help="for a lesson: which file (default: both)"
    )
    run.add_argument("--json", action="store_true", help="one JSON event per line on stdout")
    run.add_argument(
        "--timeout",
        type=_positive_float,
        default=None,
        metavar="S",
        help=f"wall-clock limit in seconds (default: {defaults.timeout:g}; a lesson's own "
        "timeout for a lesson)",
    )
    run.add_argument(
        "--memory",
        type=int,
        default=None,
        metavar="MB",
        help=f"resident memory cap (default: {defaults.memory_mb})",
    )
    run.add_argument(
        "--device", choices=DEVICES, default="auto", help="where to run (default: %(default)s)"
    )
    run.add_argument(
        "--keras-backend",
        choices=KERAS_BACKENDS,
        default="tensorflow",
        help="the backend Keras runs on (default: %(default)s)",
    )
    run.add_argument("--network", action="store_true", help="let the snippet use the network")
    run.add_argument("--lessons", dest="run_lessons", metavar="DIR", help="lesson pack to look in")

    check = commands.add_parser("check", help="validate a lesson pack and run all its code")
    check.add_argument("dir", nargs="?", help="lesson pack (default: the built-in one)")
    check.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="default: cores, at most 4"
    )
    check.add_argument("--lesson", metavar="ID", help="only this lesson")

    listing = commands.add_parser("list", help="list lessons")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--lessons", dest="list_lessons", metavar="DIR")

    progress = commands.add_parser("progress", help="show or reset your progress")
    progress.add_argument("--reset", nargs="?", const="__all__", metavar="LESSON")
    progress.add_argument("--yes", action="store_true", help="do not ask before resetting")

    commands.add_parser("doctor", help="versions, devices, limits and where data is kept")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    _tolerant_output()
    args = build_parser().parse_args(argv)
    try:
        code = dispatch(args)
    except UsageError as exc:
        print(f"fwlearn: error: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except (sqlite3.Error, StoreError) as exc:
        print(f"fwlearn: error: progress database: {exc}", file=sys.stderr)
        code = EXIT_FAILED
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # `fwlearn list --json | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


def _tolerant_output() -> None:
    """Text that cannot be encoded is printed escaped (``\\udcff``) instead of crashing.

    File names that are not UTF-8 reach Python as lone surrogates; under a strict UTF-8 stdout
    (``PYTHONIOENCODING=utf-8``, many non-C locales) printing one raised UnicodeEncodeError
    and ended ``fwlearn list`` with a traceback. The C locale's ``surrogateescape`` is kept: it
    prints the name's own bytes.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            reconfigure(errors="backslashreplace")


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        target = Path(args.target)
        if target.suffix == ".py" or target.is_file():
            return run_file(args)
        from fwlearn.tui.lessoncmds import run_lesson

        return run_lesson(args)
    if args.command == "check":
        from fwlearn.tui.lessoncmds import check_main

        return check_main(args)
    if args.command == "list":
        from fwlearn.tui.lessoncmds import list_main

        return list_main(args, progress=_stored_progress())
    if args.command == "progress":
        from fwlearn.tui.progresscmd import progress_main

        return progress_main(args)
    if args.command == "doctor":
        return doctor()
    from fwlearn.tui.app import run_app

    return run_app(lessons_dir=args.lessons, warm=not args.no_warm)


# -- fwlearn run FILE ---------------------------------------------------------------------------


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


def json_printer(event: Event) -> None:
    """``--json``: exactly one event per line on stdout, nothing else there.

    Strict JSON (``jsonout.dumps``): a NaN or infinite number (a fact, ``--timeout inf`` in
    the limits) is written as null, since ``NaN``/``Infinity`` make strict parsers (``jq``,
    ``JSON.parse``) reject the line. The engine has already cleaned every string.
    """
    data = event.to_dict()
    try:  # the usual case, at C speed: a 1,000,000-report flood is 1,000,000 lines
        line = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere
        line = jsonout.dumps(data)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class HumanPrinter:
    """The snippet's output as it streams, then a short summary."""

    def __init__(self, label: str = "") -> None:
        self.label = label

    def __call__(self, event: Event) -> None:
        if isinstance(event, Output) and not event.partial:
            stream = sys.stdout if event.stream == "stdout" else sys.stderr
            prefix = f"[{self.label}] " if self.label else ""
            stream.write("".join(f"{prefix}{line}\n" for line in event.lines))
            stream.flush()
        elif isinstance(event, Warning):
            print(f"fwlearn: warning: {event.message}", file=sys.stderr)
        elif isinstance(event, End):
            sys.stdout.flush()

    @staticmethod
    def summary(result: RunResult) -> str:
        end = result.end
        parts = [f"{end.status} in {end.wall:.2f} s"]
        final = result.final_metrics()
        if final:
            parts.append(", ".join(f"{k} {_fmt(v)}" for k, v in final.items()))
        if end.peak_memory_mb:
            parts.append(f"peak {end.peak_memory_mb:.0f} MB")
        line = " · ".join(parts)
        error = result.error
        if error is not None:
            where = f" (line {error.line})" if error.line else ""
            line += f"\n{error.kind}{where}: {error.message}"
        return line


def _fmt(value: float | None) -> str:
    return "nan" if value is None else f"{value:.4g}"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    # float() also takes "nan" and "inf": a NaN timeout never fires (every comparison is false).
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


# -- fwlearn doctor -----------------------------------------------------------------------------


def tested_versions() -> dict[str, str]:
    """The pins in the constraints file this fwlearn was tested with."""
    pins: dict[str, str] = {}
    try:
        text = resources.files("fwlearn").joinpath("constraints.txt").read_text(encoding="utf-8")
    except OSError:
        return pins
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def doctor() -> int:
    from fwlearn.tui.paths import data_home

    print(f"fwlearn {_version()} on Python {platform.python_version()} ({sys.executable})")
    print(f"{os.cpu_count()} CPU cores · {platform.system()} {platform.release()}")
    print()
    tested = tested_versions()
    print(f"{'package':<16}{'installed':<20}{'tested':<14}")
    for package in FRAMEWORK_PACKAGES:
        have = installed_version(package)
        want = tested.get(package, "")
        if have is None and not want:
            continue
        mark = "" if have is None or not want or have.split("+")[0] == want else "  (differs)"
        print(f"{package:<16}{have or 'not installed':<20}{want:<14}{mark}")
    print()
    print("devices (each framework asked in its own child process):")
    devices, limits = asyncio.run(_probe())
    for label, device in devices:
        print(f"  {label:<22}{device}")
    print()
    linux = sys.platform.startswith("linux")
    defaults = RunSpec()
    sandbox = str(limits.get("sandbox", "unknown"))
    checks = dict(limits.get("sandbox_checks") or {})
    pid_ns = checks.get("pid namespace") == "on"
    rows = [
        (
            "fresh process per run",
            "yes (own PID namespace: nothing of a run outlives it)"
            if pid_ns
            else "yes (own session; the whole process tree is killed at the end)",
        ),
        ("wall-clock timeout", f"yes (default {defaults.timeout:g} s)"),
        (
            "memory cap (resident)",
            (
                f"yes (default {defaults.memory_mb} MB: resident memory"
                + (", private /tmp and /dev/shm, memfds)" if pid_ns else ", memfds)")
            )
            if linux
            else "no (needs /proc)",
        ),
        (
            "process / thread cap",
            f"yes ({defaults.max_processes} / {defaults.max_threads})"
            if linux
            else "no (needs /proc)",
        ),
        ("network for snippets", str(limits.get("network", "unknown"))),
        ("environment", "allow list (PATH, HOME, LANG, LC_*, CUDA_*, TF_*, ...; FWLEARN_PASS_ENV)"),
        ("killed if fwlearn dies", "yes" if linux else "no"),
        ("sandbox", sandbox),
    ]
    rows += [(f"  {name}", state) for name, state in checks.items()]
    print("limits and isolation:")
    for label, value in rows:
        print(f"  {label:<29}{value}")
    print()
    print(f"progress is stored in {data_home()}")
    return EXIT_OK


async def _probe() -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Ask each installed framework for its device, and a plain run for the limits in force."""
    probes: list[tuple[str, RunSpec]] = [("python", RunSpec(source="pass\n", framework="python"))]
    if installed_version("torch"):
        probes.append(("pytorch", RunSpec(source="pass\n", framework="pytorch", timeout=60)))
    if installed_version("keras"):
        for backend in ("tensorflow", "torch", "jax"):
            package = "tensorflow" if backend == "tensorflow" else backend
            if installed_version(package) or installed_version(f"{package}-cpu"):
                spec = RunSpec(
                    source="pass\n", framework="keras", keras_backend=backend, timeout=60
                )
                probes.append((f"keras ({backend})", spec))
    results = await asyncio.gather(*(run_async(spec) for _, spec in probes))
    limits = dict(results[0].start.limits)
    lines = []
    for (label, _), result in zip(probes[1:], results[1:], strict=True):
        if result.ok:
            lines.append((label, result.start.device))
        else:
            error = result.error
            lines.append((label, f"unavailable: {error.message if error else result.end.status}"))
    if not lines:
        lines = [("-", "no framework installed: pip install 'fwlearn[all]'")]
    return lines, limits


def _stored_progress() -> dict[str, str] | None:
    """Lesson id -> state from the app's store; None (no column) when nothing is stored yet."""
    from fwlearn.tui.paths import data_home
    from fwlearn.tui.store import DB_NAME, Store

    if not (data_home() / DB_NAME).exists():
        return None
    return {lesson_id: p.state for lesson_id, p in Store.default().all_lessons().items()}


def _version() -> str:
    try:
        return metadata.version("fwlearn")
    except metadata.PackageNotFoundError:
        return "dev"


if __name__ == "__main__":
    main()
