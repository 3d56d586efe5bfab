"""The fault catalogue: whatever a snippet does, the run ends cleanly and says what happened.

Every case is a real snippet through the real engine. Each must end with an ``end`` event, a
clear ``error`` (kind, one-line message, the snippet's line where known) unless the fault is
harmless, no process left from the run, no temp directory left, and the next run must work.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fwlearn.engine import Error, Metric, Run, RunResult, RunSpec, Warning
from fwlearn.engine.process import descendants


@dataclass
class Fault:
    source: str
    kind: str | None  # expected error kind; None: the run must end ok
    status: str = "failed"
    line: int | None = None
    message: str = ""  # must appear in the error message
    spec: dict[str, Any] = field(default_factory=dict)


CATALOGUE: dict[str, Fault] = {
    "infinite_cpu_loop": Fault(
        "x = 0\nwhile True:\n    x += 1\n", "timeout", "timeout", spec={"timeout": 1.5}
    ),
    "infinite_sleep": Fault(
        "import time\ntime.sleep(3600)\n", "timeout", "timeout", line=2, spec={"timeout": 1.5}
    ),
    "memory_bomb": Fault(
        "blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 2**20))\n",
        "memory",
        message="300 MB",
        spec={"memory_mb": 300},
    ),
    "fork_bomb": Fault(
        """
        import os, time
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.01)
        """,
        "processes",
        message="processes",
    ),
    "thread_bomb": Fault(
        """
        import threading, time
        while True:
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        """,
        "processes",
        message="threads",
    ),
    "deep_recursion": Fault(
        "def f(n):\n    return f(n + 1)\n\nf(0)\n", "exception", line=2, message="RecursionError"
    ),
    "sys_exit_3": Fault(
        "import sys\nprint('bye')\nsys.exit(3)\n", "exit", line=3, message="sys.exit(3)"
    ),
    "os_exit_0_mid_training": Fault(
        """
        import os
        from fwlearn import report
        report(epoch=1, loss=0.5)
        os._exit(0)
        """,
        "crashed",
        message="exited early",
    ),
    "segfault": Fault("import ctypes\nctypes.string_at(0)\n", "crashed", message="SIGSEGV"),
    "abort": Fault("import os\nos.abort()\n", "crashed", message="SIGABRT"),
    "sigkill_self": Fault(
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "crashed", message="SIGKILL"
    ),
    "keyboardinterrupt_from_snippet": Fault(
        "raise KeyboardInterrupt\n", "exception", line=1, message="KeyboardInterrupt"
    ),
    "huge_output_without_newlines": Fault(
        """
        import sys
        chunk = "x" * 2**20
        for _ in range(1024):
            sys.stdout.write(chunk)
        print()
        print("survived")
        """,
        None,
        "ok",
        spec={"timeout": 60},
    ),
    "invalid_utf8_and_escape_codes": Fault(
        """
        import sys
        sys.stdout.buffer.write(b"bad \\xff\\xfe bytes\\n")
        print("\\x1b]0;pwned title\\x07\\x1b[2J\\x1b[31mred\\x1b[0m \\x1b[?1049h done")
        """,
        None,
        "ok",
    ),
    "closes_stdout_and_stderr": Fault(
        "import os\nos.close(1)\nos.close(2)\nprint('lost')\n",
        "exception",
        line=4,
    ),
    "garbage_on_event_channel": Fault(
        """
        import os
        fd = int(os.environ["FWLEARN_EVENT_FD"])
        os.write(fd, b"\\x00\\xff garbage {not json\\n" * 1000 + b'{"type": "metric"}\\n')
        print("still here")
        """,
        None,
        "ok",
    ),
    "deletes_its_working_directory": Fault(
        "import os, shutil\nshutil.rmtree(os.getcwd())\nprint('gone')\n",
        None,
        "ok",
    ),
    "daemon_outlives_snippet": Fault(
        """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                try:
                    with open(os.environ["DAEMON_PID_FILE"], "w") as f:
                        f.write(str(os.getpid()))
                except OSError:  # a sandboxed run has its own /tmp (the watcher sees the pid)
                    pass
                time.sleep(300)
            os._exit(0)
        time.sleep(0.5)
        print("parent done")
        """,
        None,
        "ok",
    ),
    "reads_stdin": Fault(
        "data = input()\n", "exception", line=1, message="EOFError", spec={"timeout": 20}
    ),
    "syntax_error_last_line": Fault(
        "print('a')\nprint('b')\nfor x in range(3)\n", "syntax", line=3
    ),
    "missing_package": Fault(
        "import numpy\nimport fwlearn_no_such_pkg\n",
        "import",
        line=2,
        message="fwlearn_no_such_pkg",
    ),
    "missing_framework_extra": Fault(
        "import sklearn_missing_for_test as s\n", "import", message="sklearn_missing_for_test"
    ),
    "nan_loss": Fault(
        "from fwlearn import report\nfor e in range(1, 4):\n"
        "    report(epoch=e, loss=float('nan') if e > 1 else 1.0)\n",
        None,
        "ok",
    ),
}


@dataclass
class Leaks:
    """Every process and working directory the test's runs had."""

    families: list[list[int]] = field(default_factory=list)
    workdirs: list[Path] = field(default_factory=list)

    def append(self, family: list[int]) -> None:
        self.families.append(family)


@pytest.fixture
def leak_check(alive):
    """After the test, no run may have left a process or a directory behind."""
    leaks = Leaks()
    yield leaks
    leftover = [path for path in leaks.workdirs if path.exists()]
    assert not leftover, f"working directories left behind: {leftover}"
    time.sleep(0.2)
    survivors = [pid for family in leaks.families for pid in family if alive(pid)]
    assert not survivors, f"processes left behind: {survivors}"


def run_fault(source: str, tmp_path: Path, leaks: Leaks, **spec: Any) -> RunResult:
    """Run and, while it runs, keep a record of every process it had."""
    spec.setdefault("timeout", 30)
    run = Run(RunSpec(path=tmp_path / "fault.py", source=textwrap.dedent(source).lstrip(), **spec))
    family: set[int] = set()

    async def consume() -> RunResult:
        async def watch() -> None:
            while True:
                if run.child.pid:
                    family.update([run.child.pid, *descendants(run.child.pid)])
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        try:
            events = [event async for event in run.events()]
        finally:
            watcher.cancel()
        return RunResult(events)

    result = asyncio.run(consume())
    leaks.append(sorted(family))
    assert run.workdir is not None
    leaks.workdirs.append(run.workdir)
    return result


# A real GiB through the engine's readers: 19 s on 2 cores at load 15 (`pytest
# "tests/faults/test_catalogue.py::test_fault[huge_output_without_newlines]" --durations=3`),
# the slowest test of the fast tier: in `make test`, not `make test-fast`.
SLOW_FAULTS = {"huge_output_without_newlines"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_FAULTS else n for n in sorted(CATALOGUE)],
)
def test_fault(name: str, tmp_path: Path, leak_check, monkeypatch) -> None:
    fault = CATALOGUE[name]
    pid_file = tmp_path / "daemon.pid"
    monkeypatch.setenv("DAEMON_PID_FILE", str(pid_file))
    started = time.monotonic()
    result = run_fault(
        fault.source,
        tmp_path,
        leak_check,
        env={"DAEMON_PID_FILE": str(pid_file)} if name == "daemon_outlives_snippet" else {},
        **fault.spec,
    )
    elapsed = time.monotonic() - started
    assert result.end.status == fault.status, (result.error, result.stderr[-2000:])
    if fault.kind is None:
        assert result.error is None, result.error
    else:
        error = result.error
        assert error is not None and error.kind == fault.kind, error
        assert error.message and "\n" not in error.message
        assert fault.message in error.message, error.message
        if fault.line is not None:
            assert error.line == fault.line, error
    assert elapsed < 45
    if pid_file.exists():  # the daemon must be gone with the run
        leak_check.append([int(pid_file.read_text())])
    # The next run works.
    follow_up = run_fault("print('next')\n", tmp_path, leak_check)
    assert follow_up.ok and follow_up.stdout == "next"
    check_details(name, result)


def check_details(name: str, result: RunResult) -> None:
    """What the learner sees for the faults where the output itself is the point."""
    lines = result.lines()
    if name == "huge_output_without_newlines":
        assert lines[-1] == "survived"
        assert any("line cut" in line for line in lines)
        assert sum(len(line) for line in lines) < 10_000
    elif name == "invalid_utf8_and_escape_codes":
        assert lines == ["bad \ufffd\ufffd bytes", "red  done"]
    elif name == "garbage_on_event_channel":
        assert [e.kind for e in result.events if isinstance(e, Warning)] == ["channel"]
    elif name == "nan_loss":
        warnings = [e for e in result.events if isinstance(e, Warning)]
        assert len(warnings) == 1 and warnings[0].kind == "nan" and "epoch 2" in warnings[0].message
        losses = [m.values["loss"] for m in result.events if isinstance(m, Metric)]
        assert losses == [1.0, None, None]
    elif name == "missing_framework_extra":
        assert "pip install" in result.error.message  # type: ignore[union-attr]
    elif name == "timeout":
        assert isinstance(result.error, Error)


def test_missing_package_names_the_extra(tmp_path: Path, leak_check) -> None:
    """A missing framework says which fwlearn extra installs it."""
    result = run_fault("import sklearn_fake\n", tmp_path, leak_check)
    assert result.error is not None and "pip install" in result.error.message
    from fwlearn.engine.worker_errors import import_error

    message = import_error("sklearn", ModuleNotFoundError("x"))["message"]
    assert "scikit-learn" in message and "fwlearn[data]" in message
    assert "fwlearn[torch]" in import_error("torch", ModuleNotFoundError("x"))["message"]


def test_network_is_off_by_default(tmp_path: Path, leak_check) -> None:
    """Only loopback is touched: a server here that the snippet must not be able to reach."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[object] = []

    def serve() -> None:
        server.settimeout(10)
        with contextlib.suppress(OSError):
            accepted.append(server.accept())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    source = f"""
    import socket, time
    start = time.monotonic()
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=5)
        print("connected")
    except OSError as exc:
        print("refused", type(exc).__name__, round(time.monotonic() - start, 1))
    """
    try:
        result = run_fault(source, tmp_path, leak_check)
        assert result.ok
        assert result.start.limits["network"] == "off"
        assert result.stdout.startswith("refused"), result.stdout
        assert float(result.stdout.split()[-1]) < 1.0  # fails fast, no waiting for a timeout
        assert not accepted
        allowed = run_fault(source, tmp_path, leak_check, network=True)
        assert allowed.stdout == "connected" and allowed.start.limits["network"] == "allowed"
    finally:
        server.close()
        thread.join(timeout=15)
