"""Lesson 18's DistributedDataParallel program in the real sandbox: two gloo workers meet over
the run's own loopback (the network is otherwise cut), match one-process training, and are gone
when the run ends. Watched from outside, through /proc, not from the program's own report."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from fwlearn.engine import RunSpec, run_sync
from fwlearn.lessons import builtin_pack_dir

pytestmark = pytest.mark.frameworks

PROGRAM = builtin_pack_dir() / "18-distributed" / "solution" / "in_pytorch.py"
MARK = b"multiprocessing.spawn"  # the command line of a worker torch.multiprocessing started


def spawned_workers() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if MARK in cmdline:
                found.add(int(entry))
    return found


def test_two_gloo_workers_match_one_process_and_leave_nothing_behind() -> None:
    before = spawned_workers()
    seen: set[int] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.update(spawned_workers() - before)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = run_sync(RunSpec(path=PROGRAM, source=PROGRAM.read_text(), timeout=300))
    finally:
        stop.set()
        watcher.join()
    assert result.ok, result.stderr[-2000:]
    assert result.facts["world_size"] == 2 and result.facts["global_batch"] == 64
    assert result.facts["ddp_vs_single_max_diff"] <= 1e-5
    assert len(seen) >= 2  # both workers ran, as processes of their own
    assert not (spawned_workers() - before)  # and none outlived the run
