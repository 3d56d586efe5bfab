"""``fwlearn run FILE`` passes its stdin through: piped, from a terminal, and EOF otherwise.

Real ``fwlearn`` subprocesses running plain Python files (~1 s each here). The terminal case
runs under a pseudo-terminal (``pty.fork``), where fwlearn is in the foreground as in a shell.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# Starts real `fwlearn` subprocesses: `make test`, not `make test-fast` (fake engine only).
pytestmark = pytest.mark.engine

ASK = """
name = input("Name? ")
age = int(input("Age? "))
print(f"hi {name}, next year {age + 1}")
"""
DEBUG = """
def forward(x):
    y = x * 2
    breakpoint()
    return y + 1
print("result", forward(20))
"""


def program(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "prog.py"
    path.write_text(textwrap.dedent(source))
    return path


def fwlearn_run(path: Path, *extra: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "fwlearn", "run", str(path), "--timeout", "60", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=path.parent,
        **kwargs,
    )


def test_piped_input_reaches_input(tmp_path: Path) -> None:
    done = fwlearn_run(program(tmp_path, ASK), input="Ada\n36\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hi Ada, next year 37" in done.stdout


def test_piped_input_answers_pdb(tmp_path: Path) -> None:
    done = fwlearn_run(program(tmp_path, DEBUG), input="p y\nc\n")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    # As ``python prog.py`` prints it with piped input: nothing echoes the answers.
    assert "(Pdb) 40" in lines and "(Pdb) result 41" in lines


def test_dev_null_gives_eof_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    done = fwlearn_run(program(tmp_path, ASK), stdin=subprocess.DEVNULL)
    assert time.monotonic() - started < 30  # not the 60 s timeout: EOF, no waiting
    assert done.returncode == 1
    assert "EOFError" in done.stdout + done.stderr


def test_json_reads_a_pipe(tmp_path: Path) -> None:
    done = fwlearn_run(program(tmp_path, ASK), "--json", input="Bo\n1\n")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    printed = [line for e in events if e["type"] == "output" for line in e["lines"]]
    assert any("hi Bo, next year 2" in line for line in printed)


def read_until(fd: int, wanted: str, seen: list[str], timeout: float = 60) -> None:
    """Read the terminal's output until ``wanted`` shows up (after what ``seen`` holds)."""
    deadline = time.monotonic() + timeout
    start = len("".join(seen))
    while wanted not in "".join(seen)[start:]:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"{wanted!r} never came; the terminal showed {''.join(seen)!r}")
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                pytest.fail(f"{wanted!r} never came; the terminal showed {''.join(seen)!r}")
            seen.append(chunk.decode(errors="replace"))


def test_a_terminal_answers_input_and_pdb_line_by_line(tmp_path: Path) -> None:
    path = program(tmp_path, ASK + DEBUG)
    pid, fd = pty.fork()
    if pid == 0:  # the child: fwlearn on the terminal, in its foreground
        os.chdir(tmp_path)
        argv = [sys.executable, "-m", "fwlearn", "run", str(path), "--timeout", "60"]
        os.execv(sys.executable, argv)
    seen: list[str] = []
    try:
        read_until(fd, "Name? ", seen)  # the prompt shows before anything is typed
        os.write(fd, b"Ada\n")
        read_until(fd, "Age? ", seen)
        os.write(fd, b"36\n")
        read_until(fd, "hi Ada, next year 37", seen)
        read_until(fd, "(Pdb) ", seen)
        os.write(fd, b"p x + y\n")
        read_until(fd, "60", seen)
        os.write(fd, b"c\n")
        read_until(fd, "── ok", seen)
    finally:
        with_status = os.waitpid(pid, 0)[1]
        os.close(fd)
    assert os.waitstatus_to_exitcode(with_status) == 0, "".join(seen)
    shown = "".join(seen).replace("\r\n", "\n")
    # Each answer once: echoed by the terminal, and the finished line printed without its prompt.
    assert shown.count("Ada") == 2  # the typed echo, then "hi Ada..."
    assert "result 41" in shown
