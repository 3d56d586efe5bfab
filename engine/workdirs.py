"""Run working directories: named after the engine that owns them, swept when it died.

A run's directory is removed when the run ends. If the engine itself is killed (SIGKILL of the
app during a stuck run), nobody is left to remove it, so the name carries the owner's pid and
the next engine to start removes every directory whose owner is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from .proctree import alive

PREFIX = "fwlearn-run-"
OWNED = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")
_swept = False


def make_workdir() -> Path:
    """A fresh directory for one run (or one warm spare), owned by this process.

    The run works in its ``work`` subfolder (``work_folder``): the sandbox binds the outer
    folder into the run, and a mount point cannot be removed, so a snippet that deletes its
    working directory (``shutil.rmtree(os.getcwd())``) must not be standing on it.
    """
    sweep_once()
    workdir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    work_folder(workdir).mkdir()
    return workdir


def work_folder(workdir: Path) -> Path:
    """Where the run's snippet, data and current directory are, inside its ``workdir``."""
    return workdir / "work"


def sweep_once() -> None:
    global _swept
    if not _swept:
        _swept = True
        sweep(Path(tempfile.gettempdir()))


def sweep(folder: Path) -> list[Path]:
    """Remove run directories in ``folder`` whose owning engine no longer runs.

    A directory of a live engine is left alone, even one another user runs: only owners that
    are gone are swept (and another user's directories cannot be removed by us anyway).
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = OWNED.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        owner = int(match.group(1))
        if owner == os.getpid() or alive(owner):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.exists(entry.path):
            removed.append(Path(entry.path))
    return removed
