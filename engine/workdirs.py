"""Run working directories: named after the engine that owns them, swept when it died.

A run's directory is removed when the run ends. If the engine itself is killed (SIGKILL of the
app during a stuck run), nobody is left to remove it, so the name carries the owner's pid and
the next engine to start removes every directory whose owner is gone.
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
from .sandbox_setup import hidden_path

PREFIX = "fwlearn-run-"
OWNED = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")
MAX_DATA_COPY = 64 * 1024 * 1024  # a lesson's data past this is linked, not copied
_swept = False

Entry = tuple[Path, str, bool]  # (source, name in the run's folder, link rather than copy?)


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


def plan_workdir(
    data_files: Iterable[Path | str], data_dir: Path | str | None
) -> tuple[list[Entry], list[Path]]:
    """What goes into the run's directory, and the host paths its sandbox must show.

    Returns (source, name, link?) entries and the paths the links lead to that the
    sandbox would hide (under /tmp, /dev/shm...): those are bound into the run, at the
    same path, so the links keep working.

    ``data_files`` (a lesson's data) are copied, so a snippet cannot change the lesson's
    originals (links past MAX_DATA_COPY bytes). The entries of ``data_dir`` (the folder of
    a file given to ``fwlearn run``) are linked, not copied: that folder can be anything,
    a home directory included, and the run should see it as ``python file.py`` there would.
    """
    plan: list[Entry] = []
    names: set[str] = set()
    budget = MAX_DATA_COPY
    for item in map(Path, data_files):
        with contextlib.suppress(OSError):
            size = _size_up_to(item, budget + 1)
            if item.is_dir() or item.is_file():
                plan.append((item, item.name, size > budget))
                names.add(item.name)
            budget -= min(size, budget)
    data_dir = Path(data_dir) if data_dir else None
    if data_dir is not None and data_dir.is_dir():
        with contextlib.suppress(OSError):
            for item in sorted(data_dir.iterdir()):
                if item.name.startswith(".") or item.name in names:
                    continue
                if item.is_file() or item.is_dir():  # no sockets, fifos or devices
                    plan.append((item, item.name, True))
                    names.add(item.name)
    targets = sorted(
        {str(item.resolve()) for item, _, link in plan if link and hidden_path(str(item))}
    )
    if data_dir is not None and any(t.startswith(str(data_dir.resolve())) for t in targets):
        targets.append(str(data_dir.resolve()))  # one bind for the folder, not each entry
    binds: list[str] = []
    for target in sorted(set(targets)):
        if not any(target == b or target.startswith(b.rstrip("/") + "/") for b in binds):
            binds.append(target)
    return plan, [Path(b) for b in binds]


def fill_workdir(plan: list[Entry], workdir: Path | None = None) -> Path:
    """Fill ``workdir`` (a spare's) or a fresh directory, named after this engine's pid
    so that one left behind by a killed engine is swept at the next start."""
    workdir = workdir or make_workdir()
    for item, name, link in plan:
        target = work_folder(workdir) / name
        if target.exists() or target.is_symlink():
            continue
        with contextlib.suppress(OSError, shutil.Error):
            if link:
                target.symlink_to(item.resolve())
            elif item.is_dir():
                shutil.copytree(item, target, symlinks=True)
            else:
                shutil.copy2(item, target)
    return workdir


def _size_up_to(path: Path, limit: int) -> int:
    """Bytes under ``path``, counting no further than ``limit`` (a home folder can be huge)."""
    if not path.is_dir():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
            if total >= limit:
                return total
    return total
