"""The engine's side of a zygote (``zygote.py``): start one per key, ask it for spares.

A forked spare is not the engine's child, so asyncio cannot watch it: ``ForkedProcess`` stands
in for ``asyncio.subprocess.Process`` with what ``ChildProcess`` uses (pid, returncode, the
three standard pipes, ``send_signal``), and its return code comes from the zygote, which reaps
it. Everything else about a spare (its process group, its tree, its limits) is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import Mapping
from typing import Any

from . import priority
from .zygote import ARGV, FDS_PER_SPARE, SOCKET_FD_ENV


class ForkedProcess:
    """A spare forked by a zygote, as far as ``ChildProcess`` needs a process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stdin: asyncio.StreamWriter | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self.event_fd = -1  # our ends of the event channel and the control pipe
        self.control_fd = -1

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def close_pipes(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports = []


class Zygote:
    """One zygote process; ``fork()`` gives a started spare's process and pipe ends."""

    def __init__(self) -> None:
        self.ready = False
        self.pid: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._children: dict[int, ForkedProcess] = {}
        self._forks: asyncio.Queue[int] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._became_ready = asyncio.Event()

    async def start(self, env: Mapping[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**env, SOCKET_FD_ENV: str(theirs.fileno())}
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *ARGV,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                env=env,
                cwd="/",  # it runs nothing; each fork goes to its own folder
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        ours.setblocking(False)
        self._sock = ours
        self.pid = self._proc.pid
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def start_low(self, env: Mapping[str, str], lever: str) -> bool:
        """Start at idle priority (it only imports, beside whatever runs) and wait until it has
        imported; back at normal then: its forks must not inherit an idle scheduling policy."""
        await self.start(env)
        pid = self.pid
        if pid is not None and lever != priority.NORMAL:
            priority.lower([pid], lever)
        # No time limit: at idle priority on a busy machine it may wait long, which costs
        # nothing (the key's spares are started meanwhile); a zygote that dies says so.
        await self._became_ready.wait()
        ready = self.ready
        if pid is not None and lever != priority.NORMAL:
            priority.restore([pid], lever)
        return ready

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        try:
            while True:
                data = await loop.sock_recv(self._sock, 1 << 16)
                if not data:
                    break
                message: dict[str, Any] = json.loads(data)
                if "ready" in message:
                    self.ready = True
                    self._became_ready.set()
                elif "forked" in message:
                    self._forks.put_nowait(int(message["forked"]))
                elif "exited" in message:
                    child = self._children.pop(int(message["exited"]), None)
                    if child is not None:
                        child.returncode = int(message["code"])
        except (OSError, ValueError):
            pass
        finally:
            # Gone: its children went with it (PR_SET_PDEATHSIG), unseen by anyone else.
            self.ready = False
            self._became_ready.set()
            for child in self._children.values():
                if child.returncode is None:
                    child.returncode = -signal.SIGKILL
            self._children.clear()
            self._forks.put_nowait(0)

    async def fork(self, env: Mapping[str, str], cwd: str) -> ForkedProcess | None:
        """A new spare with ``env`` in ``cwd``; None when the zygote cannot fork now."""
        if not self.ready or self._sock is None:
            return None
        loop = asyncio.get_running_loop()
        pipes = [os.pipe() for _ in range(FDS_PER_SPARE)]
        # The child's ends: stdin's read end, then the write ends of stdout, stderr and the
        # event channel, then the control pipe's read end.
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1], pipes[4][0]]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0], pipes[4][1]]
        request = json.dumps({"env": dict(env), "cwd": cwd}).encode()
        try:
            while True:
                try:
                    socket.send_fds(self._sock, [request], theirs)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.001)
            pid = await self._forks.get()
        except (OSError, asyncio.CancelledError):
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        if not pid:
            for fd in ours:
                os.close(fd)
            return None
        process = ForkedProcess(pid)
        self._children[pid] = process
        await _connect(process, loop, ours)
        return process

    def retire(self) -> None:
        """No more forks: the zygote leaves once its children have ended."""
        self.ready = False
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)

    async def close(self) -> None:
        """Kill it now (its children die with it) and reap it."""
        self.retire()
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            await self._proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._sock is not None:
            self._sock.close()
            self._sock = None


async def _connect(
    process: ForkedProcess, loop: asyncio.AbstractEventLoop, ours: list[int]
) -> None:
    """Our pipe ends as asyncio streams, as ``create_subprocess_exec`` would make them (the
    event channel and control pipe are handed back raw: ``ChildProcess`` wraps them)."""
    stdin_w, stdout_r, stderr_r = ours[0], ours[1], ours[2]
    readers = []
    for fd in (stdout_r, stderr_r):
        reader = asyncio.StreamReader(limit=1 << 20, loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        transport, _ = await loop.connect_read_pipe(
            lambda protocol=protocol: protocol,  # type: ignore[misc]
            os.fdopen(fd, "rb", buffering=0),
        )
        process._transports.append(transport)
        readers.append(reader)
    process.stdout, process.stderr = readers
    write_transport, write_protocol = await loop.connect_write_pipe(
        lambda: asyncio.streams.FlowControlMixin(loop=loop),
        os.fdopen(stdin_w, "wb", buffering=0),
    )
    process._transports.append(write_transport)
    process.stdin = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
    process.event_fd, process.control_fd = ours[3], ours[4]
