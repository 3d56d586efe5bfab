"""A child process on its own pseudo-terminal, for the benches that need a real terminal."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

COLUMNS, ROWS = 80, 24
ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|.)")


class Terminal:
    """A child process on its own pseudo-terminal, with everything it writes kept as text."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.master = master
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.text = b""
        self.bytes = 0

    def read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            self.bytes += len(data)
            self.text += data

    def wait_for(self, markers: tuple[str, ...], timeout: float = 30.0) -> float:
        """Seconds since spawn when every marker has appeared (escape sequences stripped)."""
        deadline = time.perf_counter() + timeout
        wanted = [m.encode() for m in markers]
        while time.perf_counter() < deadline:
            plain = ANSI.sub(b"", self.text[-(1 << 16) :])  # recent output: cheap in a flood
            if all(m in plain for m in wanted):
                return time.perf_counter() - self.started
            if self.proc.poll() is not None:
                break
            self.read(0.005)
        tail = ANSI.sub(b"", self.text)[-400:].decode(errors="replace")
        raise RuntimeError(f"never saw {markers} (exit {self.proc.poll()}): ...{tail}")

    def settle(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.read(0.02)

    def press(self, keys: str) -> None:
        self.text = b""
        os.write(self.master, keys.encode())

    def close(self) -> None:
        with _quiet():
            os.write(self.master, b"\x11")  # ctrl+q
        try:
            deadline = time.perf_counter() + 5
            while self.proc.poll() is None and time.perf_counter() < deadline:
                self.read(0.05)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            os.close(self.master)


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def heavy_libraries(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in ("libtorch", "tensorflow", "libjax") if name in maps]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
