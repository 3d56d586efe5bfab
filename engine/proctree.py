"""A process and its descendants, read from /proc (Linux; elsewhere nothing is found).

Stdlib only and tiny: the worker imports it too, to clean up after a snippet before it exits.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
LINUX = sys.platform.startswith("linux")


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid``, found through /proc (Linux); empty elsewhere."""
    if not LINUX:
        return []
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in _listdir(f"/proc/{current}/task"):
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                stack.append(child)
    return found


def rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def task_count(pid: int) -> int:
    """Threads of ``pid`` (0 if it is gone)."""
    return len(_listdir(f"/proc/{pid}/task"))


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (dead, not yet reaped by whoever adopted it) is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False
