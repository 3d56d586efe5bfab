"""``fwlearn`` with no subcommand: open the Textual app.

The one place the core reaches up into ``fwlearn.tui``, and only when the app is opened: the
headless commands (``list``, ``run``, ``check``, ``progress``, ``doctor``) must start without
loading textual (``import textual.app`` alone: 250 ms median, 210-440 ms, over 5 runs on 2 busy
cores with ``python -X importtime -c 'import textual.app'``, cumulative column). The
import contract (``.importlinter``) lists this import as its single allowed exception.
"""

from __future__ import annotations

import argparse


def app_main(args: argparse.Namespace) -> int:
    from fwlearn.tui.app import run_app

    return run_app(lessons_dir=args.lessons, warm=not args.no_warm)
