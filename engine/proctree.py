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


PRIVATE_TMPFS = ("tmp", "dev/shm", "var/tmp", "run")


def shared_memory_of(pids: list[int]) -> int:
    """Bytes a sandboxed run holds outside its processes' resident memory.

    Files in the run's private tmpfs folders (/tmp, /dev/shm, ...), read through the first
    process's view of its mount namespace, and memfds open in any process (their pages count
    only as RssShmem while mapped, so 3 GiB written into unmapped memfds used to read "peak
    91 MB"). Mapped pages count twice (RSS and here): the cap errs on the safe side. Returns 0
    for a process that shares our mount namespace (no sandbox: /tmp is the host's, not the
    run's). Cost: one statvfs per folder and one readlink per open fd (~30 µs for a torch
    worker's ~40 fds).
    """
    if not LINUX or not pids:
        return 0
    total = 0
    try:
        own = os.stat(f"/proc/{pids[0]}/ns/mnt").st_ino != os.stat("/proc/self/ns/mnt").st_ino
    except OSError:
        own = False
    if own:
        for folder in PRIVATE_TMPFS:
            path = f"/proc/{pids[0]}/root/{folder}"
            try:
                # Still the host's folder while the sandbox is being built: not the run's.
                if os.stat(path).st_dev == os.stat(f"/{folder}").st_dev:
                    continue
                fs = os.statvfs(path)
            except OSError:
                continue
            # The run's own tmpfs (its bound work dir is another mount, not counted here).
            total += (fs.f_blocks - fs.f_bfree) * fs.f_frsize
    seen: set[tuple[int, int]] = set()
    for pid in pids:
        for fd in _listdir(f"/proc/{pid}/fd"):
            path = f"/proc/{pid}/fd/{fd}"
            try:
                if not os.readlink(path).startswith("/memfd:"):
                    continue
                st = os.stat(path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


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
