"""``fwlearn`` with no subcommand: open the Textual app.

The one place the core reaches up into ``fwlearn.tui``, and only when the app is opened: the
headless commands (``list``, ``run``, ``check``, ``progress``, ``doctor``) must start without
loading textual (``import textual.app`` alone is ~250 ms here, see /work/shared/FACTS.md). The
import contract (``.importlinter``) lists this import as its single allowed exception.
"""

from __future__ import annotations

import argparse


def app_main(args: argparse.Namespace) -> int:
    from fwlearn.tui.app import run_app

    return run_app(lessons_dir=args.lessons, warm=not args.no_warm)
