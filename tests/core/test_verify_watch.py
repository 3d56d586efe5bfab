"""``fwlearn verify LESSON --watch``: verify, then again on each save of a side's working file.

End to end: the real command in a subprocess, real (numpy-only) runs of the app's fixture pack.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fwlearn.store import DB_NAME, Store
from fwlearn.workfiles import WORK_FOLDER

# Starts real `fwlearn` subprocesses: `make test`, not `make test-fast` (fake engine only).
pytestmark = pytest.mark.engine

PACK = Path(__file__).resolve().parents[1] / "tui" / "fixtures" / "pack"


def _lines(stream: object) -> queue.Queue[str]:
    """Lines of ``stream`` as they come, read on a thread (so a wait can time out)."""
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:  # type: ignore[attr-defined]
            found.put(line)

    threading.Thread(target=read, daemon=True).start()
    return found


def _until(lines: queue.Queue[str], text: str, seen: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {text!r} within {timeout} s:\n{''.join(seen)}"
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return


def test_a_save_verifies_again_and_becomes_the_saved_edit(home: Path) -> None:
    env = {**os.environ, "FWLEARN_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "fwlearn", "verify", "basics", "--lessons", str(PACK), "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    seen: list[str] = []
    try:
        lines = _lines(child.stdout)
        _until(lines, "verdict: not passed yet", seen)
        _until(lines, "watching", seen)
        files = {
            side: home / WORK_FOLDER / "basics" / f"in_{side}.py" for side in ("keras", "pytorch")
        }
        assert all(path.exists() for path in files.values()), "".join(seen)
        for path in files.values():
            path.write_text(path.read_text().replace("EPOCHS = 2", "EPOCHS = 4"))
        _until(lines, "↻ saved", seen)
        _until(lines, "verdict: pass", seen)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=30) == 130
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    store = Store(home / DB_NAME)
    edit = store.edit("basics", "keras")
    assert edit is not None and "EPOCHS = 4" in edit  # the app opens what was verified
