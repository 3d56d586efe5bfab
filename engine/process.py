"""One small interface for a child process: start, signal, wait, clean up.

All process handling lives here, in the manner of jupyter_client's provisioner. Children start
in their own session (so they, their DataLoader workers and anything they spawn share one process
group we can signal as a whole), with two extra pipes: the structured-event channel (child →
engine) and the control pipe (engine → child, carrying the job). Shutdown escalates: interrupt,
wait, terminate, wait, kill.

Stdin is a pipe too (the sandbox's outer and init processes pass it down to the worker as its fd
0): ``write_input`` queues bytes for it without ever blocking the event loop (asyncio's pipe
transport buffers what the pipe does not take), refusing past ``MAX_INPUT_BUFFER`` unread, so a
flood of input for a program that never reads cannot grow the engine's memory; ``close_input``
is the end of input (EOF).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .forking import ForkedProcess, Zygote
from .proctree import alive, descendants, rss_of, shared_memory_of, task_count
from .protocol import decode

EXIT_POLL = 0.01  # seconds between looks at the exit status; adds at most this to a run's end
# Input written but not yet taken by the program (beyond the 64 KiB the pipe itself holds).
MAX_INPUT_BUFFER = 1 << 20


class ChildProcess:
    """A started child with its stdout, stderr and event-channel readers."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | ForkedProcess | None = None
        self.events: asyncio.StreamReader | None = None
        self._control_w: int | None = None
        self._event_transport: asyncio.BaseTransport | None = None
        self.seen: set[int] = set()  # every pid of the tree we ever listed
        # Event-channel lines read before a run took this child (a warm spare's first words).
        self.early_lines: list[bytes] = []
        self.ready = False
        # The directory the child was started in and will run its job in (a spare's is made
        # before the job is known: its sandbox binds it in at start).
        self.workdir: Path | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    async def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: str | os.PathLike[str],
        event_fd_env: str,
        control_fd_env: str,
    ) -> None:
        event_r, event_w = os.pipe()
        control_r, control_w = os.pipe()
        env = dict(env)
        env[event_fd_env] = str(event_w)
        env[control_fd_env] = str(control_r)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=os.fspath(cwd),
                pass_fds=(event_w, control_r),
                start_new_session=True,
                limit=1 << 20,
            )
        finally:
            os.close(event_w)
            os.close(control_r)
        self._control_w = control_w
        await self._read_events(event_r)

    async def start_forked(
        self,
        zygote: Zygote,
        env: Mapping[str, str],
        cwd: str | os.PathLike[str],
    ) -> bool:
        """Start as a fork of ``zygote`` (``zygote.py``): the same worker, its framework already
        imported. False when the zygote could not fork (start the usual way then)."""
        forked = await zygote.fork(env, os.fspath(cwd))
        if forked is None:
            return False
        self.proc = forked
        self._control_w = forked.control_fd
        await self._read_events(forked.event_fd)
        return True

    async def _read_events(self, event_r: int) -> None:
        loop = asyncio.get_running_loop()
        # The limit is the longest message (reading.MAX_MESSAGE_BYTES) and half the buffer: the
        # reader stops reading the pipe past 2 MiB unread, so a flooding snippet blocks on its
        # write and little is left to parse once it ends (8 MiB was ~100k metric messages).
        self.events = asyncio.StreamReader(limit=1 << 20, loop=loop)
        protocol = asyncio.StreamReaderProtocol(self.events, loop=loop)
        self._event_transport, _ = await loop.connect_read_pipe(
            lambda: protocol, os.fdopen(event_r, "rb", buffering=0)
        )

    async def wait_ready(self) -> bool:
        """Wait for the worker's "ready" (framework imported); keep anything else it said."""
        assert self.events is not None
        while not self.ready:
            line = await self.events.readline()
            if not line:
                return False
            try:
                self.ready = decode(line)["type"] == "ready"
            except Exception:  # not a message: the run's channel reader will say so
                self.ready = False
            if not self.ready:
                self.early_lines.append(line)
        return True

    def send_job(self, payload: bytes) -> None:
        """Hand the child its job; closing the pipe tells it nothing more is coming."""
        if self._control_w is None:
            return
        fd, self._control_w = self._control_w, None
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            pass  # the child died before reading: its exit is reported elsewhere
        finally:
            os.close(fd)

    @property
    def input_open(self) -> bool:
        """Whether stdin can still take input (not closed, the child's end not gone)."""
        stdin = self.proc.stdin if self.proc is not None else None
        return stdin is not None and not stdin.is_closing()

    def write_input(self, data: bytes) -> bool:
        """Queue ``data`` for the child's stdin; never blocks. False (nothing written) when
        stdin is closed or more than ``MAX_INPUT_BUFFER`` bytes would wait unread."""
        if not self.input_open or self.proc is None or self.proc.stdin is None:
            return False
        transport = self.proc.stdin.transport
        if transport.get_write_buffer_size() + len(data) > MAX_INPUT_BUFFER:
            return False
        self.proc.stdin.write(data)
        return True

    def close_input(self) -> None:
        """End of input: the program's next read past what was written gets EOF."""
        if self.input_open and self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()  # what is still buffered is written first

    async def input_drained(self) -> None:
        """Wait until what was written has gone into the pipe (a feeder's back-pressure)."""
        if self.input_open and self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(ConnectionError, OSError):
                await self.proc.stdin.drain()

    def send_signal(self, signum: int) -> None:
        """Signal the child's whole process group (DataLoader workers included)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            # No group left (already reaped) or not ours: the child itself, if still there.
            if self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signum)

    async def wait(self, timeout: float | None = None) -> int | None:
        """The exit status once the child itself has exited (None on timeout).

        Not ``Process.wait()``: on Python 3.11 that also waits for every pipe to close, so a
        grandchild holding stdout open kept a run from ever ending (and its timeout and Esc
        with it). ``returncode`` is set by the child watcher the moment the child is reaped.
        """
        if self.proc is None:
            return None
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        delay = 0.001
        while self.proc.returncode is None:
            if deadline is not None and loop.time() >= deadline:
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, EXIT_POLL)
        return self.proc.returncode

    async def shutdown(self, interrupt_grace: float = 2.0, term_grace: float = 0.5) -> None:
        """Escalate until the child is gone: SIGINT, SIGTERM, SIGKILL (of the whole tree)."""
        steps = ((signal.SIGINT, interrupt_grace), (signal.SIGTERM, term_grace))
        for signum, grace in steps:
            if self.returncode is not None:
                break
            self.send_signal(signum)
            await self.wait(grace)
        if self.returncode is None:
            self.kill_tree()
            await self.wait(5)

    def kill_tree(self) -> None:
        """SIGKILL the child, its process group and every descendant, escaped or not.

        Descendants are listed *before* the child dies: the worker is a child subreaper, so a
        daemon that left the group with setsid is still below it until then. A fork bomb keeps
        forking while we kill, so repeat until a pass finds nothing.
        """
        if self.proc is None:
            return
        self.seen.add(self.proc.pid)
        for _ in range(10):
            found = descendants(self.proc.pid) if self.proc.returncode is None else []
            self.seen.update(found)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            for pid in found:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if not found:
                break

    async def wait_gone(self, timeout: float = 2.0) -> bool:
        """Wait until no process of the tree is running (a SIGKILLed one takes a moment)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while any(alive(pid) for pid in self.seen):
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def close(self) -> None:
        if self._control_w is not None:
            with contextlib.suppress(OSError):
                os.close(self._control_w)
            self._control_w = None
        if self._event_transport is not None:
            self._event_transport.close()
            self._event_transport = None
        # The stdout/stderr pipes too: ``wait()`` no longer waits for them to close, and a
        # pipe transport still open when the loop closes complains from its __del__. The
        # process transport itself only once the child watcher has reaped the child (closing
        # it earlier polls the child and steals its exit status from the watcher).
        if isinstance(self.proc, ForkedProcess):
            self.proc.close_pipes()
        elif self.proc is not None:
            transport = getattr(self.proc, "_transport", None)  # asyncio has no public close
            for fd in (0, 1, 2):
                pipe = transport.get_pipe_transport(fd) if transport is not None else None
                if pipe is not None:
                    pipe.close()
            if transport is not None and self.proc.returncode is not None:
                transport.close()

    def usage(self) -> Usage:
        """Memory (resident, plus the run's tmpfs files and memfds), processes and threads of the
        child and all its descendants."""
        if self.proc is None or self.proc.returncode is not None:
            return Usage()
        pids = [self.proc.pid, *descendants(self.proc.pid)]
        self.seen.update(pids)
        return Usage(
            rss=sum(rss_of(pid) for pid in pids) + shared_memory_of(pids),
            processes=len(pids),
            threads=sum(task_count(pid) for pid in pids),
        )


@dataclass(frozen=True)
class Usage:
    """What a run's process tree holds right now."""

    rss: int = 0
    processes: int = 0
    threads: int = 0
