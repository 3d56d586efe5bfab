"""Run working directories: filled with copies of the run's data, named after the engine that
owns them, swept when it died.

How data reaches a run: the caller lists it (a lesson's front-matter ``data``, or what
``fwlearn run FILE`` finds next to the file) and each entry is copied into the run's fresh
folder, so nothing a run does to its working directory reaches the originals.

A run's directory is removed when the run ends. If the engine itself is killed (SIGKILL of
the app during a stuck run), nobody is left to remove it, so the name carries the owner's pid
and the next engine to start removes every directory whose owner is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .proctree import alive

PREFIX = "fwlearn-run-"
OWNED = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")
MAX_DATA_COPY = 64 * 1024 * 1024  # a file run's folder past this is not copied at all
_swept = False

Entry = tuple[Path, str]  # (source, name in the run's folder)


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
    removed: list[Path] = []
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


def plan_workdir(data_files: Iterable[Path | str]) -> list[Entry]:
    """What goes into the run's directory besides the program: each of ``data_files`` under
    its own name (a later entry with a name already taken is left out).

    Everything is copied, never linked: a link let a run write through to the original (a
    lesson's data over 64 MB used to be linked, and ``fwlearn run FILE`` linked the file's
    folder, so one run rewrote an author's reference file). The caller chooses what to copy;
    the engine does not look around the program's folder, so a leftover of ``python
    in_keras.py`` run by hand never becomes data.
    """
    plan: list[Entry] = []
    names: set[str] = set()
    for item in map(Path, data_files):
        if item.name in names or not (item.is_file() or item.is_dir()):
            continue  # no sockets, fifos or devices: copying one would block or fail
        plan.append((item, item.name))
        names.add(item.name)
    return plan


def fill_workdir(plan: list[Entry], workdir: Path | None = None) -> Path:
    """Fill ``workdir`` (a spare's) or a fresh directory, named after this engine's pid
    so that one left behind by a killed engine is swept at the next start.

    Copies, not links, down to the files of a folder (``symlinks=False``: a link inside a data
    folder is copied as the file it leads to). Copying costs little at a course's sizes:
    0.18-0.24 s for 64 MB, /tmp to /tmp (``python -c "import shutil;
    shutil.copy2('/tmp/64mb.bin', '/tmp/64mb-copy.bin')"``, 3 runs on this 2-core machine while
    other engineers worked, so noisy); a pack with gigabytes of data should let its program
    download or generate it instead.
    """
    workdir = workdir or make_workdir()
    for item, name in plan:
        target = work_folder(workdir) / name
        if target.exists() or target.is_symlink():
            continue
        with contextlib.suppress(OSError, shutil.Error):
            if item.is_dir():
                shutil.copytree(
                    item,
                    target,
                    symlinks=False,
                    ignore_dangling_symlinks=True,
                    ignore=_special_files,
                )
            else:
                shutil.copy2(item, target)
    return workdir


def _special_files(folder: str, names: list[str]) -> set[str]:
    """Entries of a data folder that are not files or folders (a FIFO would block the copy)."""
    skipped = set()
    for name in names:
        path = os.path.join(folder, name)
        if not (os.path.isfile(path) or os.path.isdir(path)):
            skipped.add(name)
    return skipped


def folder_entries(folder: Path, leave_out: Path | None = None) -> tuple[list[Path], int]:
    """The entries of ``folder`` a file run there would read (hidden ones, caches and
    ``leave_out`` aside), and their size counted up to ``MAX_DATA_COPY`` + 1: past it the
    caller copies nothing (a home folder can be huge) and says so."""
    entries: list[Path] = []
    total = 0
    with contextlib.suppress(OSError):
        for item in sorted(folder.iterdir()):
            if item.name.startswith(".") or item.name == "__pycache__" or item == leave_out:
                continue
            if not (item.is_file() or item.is_dir()):
                continue
            entries.append(item)
            with contextlib.suppress(OSError):
                total += size_up_to(item, MAX_DATA_COPY + 1 - total)
            if total > MAX_DATA_COPY:
                break
    return entries, total


def size_up_to(path: Path, limit: int) -> int:
    """Bytes under ``path``, counting no further than ``limit`` (a home folder can be huge)."""
    if not path.is_dir():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, name)).st_size  # links are copied as files
            if total >= limit:
                return total
    return total
