"""The ``fwlearn`` command.

``fwlearn`` alone opens the app; the subcommands are headless and never import textual, so
``fwlearn run --json`` and ``fwlearn check`` start fast and work in CI and scripts.
Exit status: 0 ok, 1 a run failed/timed out/was cancelled (or a check failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from fwlearn.checkjobs import ALL, BACKEND_CHOICES
from fwlearn.cmd_app import app_main
from fwlearn.cmd_check import check_main
from fwlearn.cmd_doctor import doctor_main
from fwlearn.cmd_list import list_main
from fwlearn.cmd_progress import progress_main
from fwlearn.cmd_run import run_main
from fwlearn.cmd_serve import serve_main
from fwlearn.cmd_verify import verify_main
from fwlearn.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from fwlearn.engine.spec import RunSpec, UsageError
from fwlearn.frameworks import DEVICES, FRAMEWORKS, KERAS_BACKENDS, SIDE_CHOICES
from fwlearn.store import StoreError
from fwlearn.version import version

# One function per subcommand, each in its own module; no subcommand opens the app.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run_main,
    "check": check_main,
    "verify": verify_main,
    "list": list_main,
    "progress": progress_main,
    "doctor": doctor_main,
    "serve": serve_main,
}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2 (no usage dump, no traceback)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> Parser:
    parser = Parser(prog="fwlearn", description="Learn Keras and PyTorch side by side.")
    parser.add_argument("--lessons", metavar="DIR", help="use the lesson pack in DIR")
    parser.add_argument("--no-warm", action="store_true", help="do not keep warm workers")
    parser.add_argument("--version", action="version", version=f"fwlearn {version()}")
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
        "--side",
        choices=SIDE_CHOICES,
        default="both",
        help="for a lesson: which file (default: both)",
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
    check.add_argument(
        "--lesson", metavar="ID", action="append", help="only this lesson (repeatable)"
    )
    check.add_argument(
        "--keras-backend",
        choices=BACKEND_CHOICES,
        default=ALL,
        help="run every Keras program on this backend (default: all installed ones)",
    )
    check.add_argument("--json", action="store_true", help="one JSON document on stdout")

    verify = commands.add_parser(
        "verify", help="check your own files of a lesson (default: your saved edits)"
    )
    verify.add_argument("target", metavar="LESSON", help="its id or its number in 'fwlearn list'")
    verify.add_argument("--keras", metavar="FILE", help="the Keras file to check")
    verify.add_argument("--pytorch", metavar="FILE", help="the PyTorch file to check")
    verify.add_argument(
        "--keras-backend",
        choices=KERAS_BACKENDS,
        default=None,
        help="the backend Keras runs on (default: the app's setting, else tensorflow)",
    )
    verify.add_argument("--json", action="store_true", help="one JSON document on stdout")
    verify.add_argument(
        "--watch", action="store_true", help="verify again each time you save a side's file"
    )
    verify.add_argument("--lessons", dest="verify_lessons", metavar="DIR")
    check.add_argument(
        "--record",
        action="store_true",
        help="write each lesson's reference.json (the prose's numbers) from the runs made",
    )

    listing = commands.add_parser("list", help="list lessons")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--lessons", dest="list_lessons", metavar="DIR")

    progress = commands.add_parser("progress", help="show or reset your progress")
    progress.add_argument("--reset", nargs="?", const="__all__", metavar="LESSON")
    progress.add_argument("--yes", action="store_true", help="do not ask before resetting")

    commands.add_parser("doctor", help="versions, devices, limits and where data is kept")

    serve = commands.add_parser("serve", help="the app in a browser, over textual-serve")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: %(default)s; any other needs --allow-remote)",
    )
    serve.add_argument("--port", type=int, default=8000, help="default: %(default)s")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="bind to a non-loopback address (anyone who reaches it with the token runs code)",
    )
    serve.add_argument("--lessons", dest="serve_lessons", metavar="DIR", help="lesson pack")
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
    command = COMMANDS.get(args.command, app_main)
    return command(args)


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


if __name__ == "__main__":
    main()
