"""The zygote: one process per spare key that has imported the framework and forks spares.

Why. A spare that imports torch costs ~2 s of CPU, one that imports tensorflow and keras ~5 s
(2 cores, bare ``import``). On 2 cores the edit-and-run loop with both sides (F7) needs both
replacements within the learner's pause: 7 CPU-seconds in a 2 s gap cannot fit, so a third
F7 pair 2 s apart waited seconds for a half-ready spare (``bench/rerun.py``: p95 4.2 s). A
fork of a process that already imported the framework costs milliseconds and shares its pages,
so the replacement is ready before the learner can press a key again.

Forking is safe only before the framework has *run* anything: forking after one op hangs
(measured 4/4 children), and a CUDA context never survives a fork. So the zygote only imports
(``import torch``, ``import tensorflow``, ``import keras``: no op, no device query, no thread
pool started: torch leaves 2 threads and tensorflow 3, idle) and never runs learner code. A
child does everything else as a cold worker would, in the same order: its sandbox first (a
fresh fork has one thread, so ``unshare`` accepts it), then threads, device, the Keras hook,
"ready", the job (``worker.serve``). Measured with a throwaway script on 2 cores, 4 forks each
after a bare import: every child trained (a torch loop, a keras ``fit``) and exited 0.

The protocol is a ``SOCK_SEQPACKET`` socket pair (a message is one packet, and the five pipe
ends a spare needs ride along with it as ``SCM_RIGHTS``):

* zygote → engine: ``{"ready": true}`` once imported, ``{"failed": "..."}`` if the import
  failed (the engine then starts spares the old way, which report the error to the learner),
  ``{"forked": pid}`` per request, ``{"exited": pid, "code": n}`` when a child ends
  (``n`` as ``Popen.returncode``: negative for a signal).
* engine → zygote: ``{"env": {...}, "cwd": "..."}`` plus stdin, stdout, stderr, event and
  control pipe ends. The child's environment is exactly ``env``: what a cold worker gets.

The zygote dies with the engine (``PR_SET_PDEATHSIG``) and its children die with it, so
nothing outlives the app; the engine retires a zygote by closing its socket, and the zygote
leaves once its last child has ended (a running program is never cut short by that).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
from typing import Any

from .environment import CONTROL_FD_ENV, WORKER_ARGV
from .runtime import ENV_FD
from .worker import ZYGOTE_FD_ENV, die_with_parent, quiet_import

SOCKET_FD_ENV = ZYGOTE_FD_ENV
# The worker's own command line (worker.main() sees SOCKET_FD_ENV and comes here): a fork's
# /proc/self/cmdline is its zygote's, and must read as a started worker's does.
ARGV = WORKER_ARGV
FDS_PER_SPARE = 5  # stdin, stdout, stderr, event channel, control pipe


def imports(framework: str, backend: str) -> list[str]:
    """What a worker of this key imports before its job (``worker.prepare``), without running
    anything: the modules only."""
    if framework == "pytorch":
        return ["numpy", "torch", "torch._dynamo"]
    if framework == "keras":
        first = {"tensorflow": ["tensorflow"], "torch": ["torch"], "jax": ["jax"]}
        return ["numpy", *first.get(backend, []), "keras"]
    return ["numpy"]


class _BecameSpare(Exception):
    """Raised in a forked child to unwind the zygote's frames back to ``main``."""


def main() -> None:
    """Import, then fork spares until retired; returns only in a forked spare."""
    sock = socket.socket(fileno=int(os.environ.pop(SOCKET_FD_ENV)))
    framework = os.environ.get("FWLEARN_FRAMEWORK", "python")
    try:
        with quiet_import():
            for name in imports(framework, os.environ.get("KERAS_BACKEND", "tensorflow")):
                __import__(name)
    except BaseException as exc:  # any failure: the engine falls back to started spares
        _send(sock, {"failed": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    try:
        _serve(sock)
    except _BecameSpare:
        return


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the engine is gone: PR_SET_PDEATHSIG ends us
        sock.send(json.dumps(message).encode())


def _serve(sock: socket.socket) -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd is written
    _send(sock, {"ready": True})
    children: set[int] = set()
    open_ = True
    while open_ or children:
        watched: list[int] = [sock.fileno(), wake_r] if open_ else [wake_r]
        readable, _, _ = select.select(watched, [], [], 1.0)
        if wake_r in readable:
            os.read(wake_r, 4096)
        _reap(sock, children)
        if open_ and sock.fileno() in readable:
            try:
                data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, FDS_PER_SPARE)
            except OSError:
                data, fds = b"", []
            if not data:
                open_ = False  # retired (or the engine is gone): leave after the children
                continue
            pid = _fork(sock, json.loads(data), fds, (wake_r, wake_w))
            for fd in fds:
                os.close(fd)
            if pid:
                children.add(pid)
            _send(sock, {"forked": pid})
    os._exit(0)


def _reap(sock: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        _send(sock, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _fork(
    sock: socket.socket, request: dict[str, Any], fds: list[int], wake: tuple[int, int]
) -> int:
    """Fork a spare: the child's pid in the zygote (0 when the fork failed). The child sets
    itself up as the engine would have started it and raises ``_BecameSpare``, which unwinds
    the zygote's frames: ``main`` returns and the worker goes on as a started one does."""
    if len(fds) != FDS_PER_SPARE:
        return 0
    try:
        pid = os.fork()
    except OSError:
        return 0
    if pid:
        return pid
    try:
        die_with_parent()  # the zygote's death (the app's) ends it
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wake:
            os.close(fd)
        os.setsid()  # its own process group and session, as start_new_session=True gives
        stdin, stdout, stderr, event, control = fds
        for target, fd in ((0, stdin), (1, stdout), (2, stderr)):
            os.dup2(fd, target)
            os.close(fd)
        env = dict(request["env"])
        env[ENV_FD], env[CONTROL_FD_ENV] = str(event), str(control)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(request["cwd"])
    except BaseException:
        os._exit(1)
    raise _BecameSpare
