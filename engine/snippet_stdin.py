"""The snippet's stdin, worker side: a read that would wait tells the engine it waits.

The engine gives every worker a pipe as fd 0 (``process.ChildProcess.start``); a run that is
not interactive gets EOF on it at once, an interactive one gets what the learner types
(``Run.send_input``). For the app to show an input line only while the program really waits,
``install()`` replaces ``sys.stdin`` with a text stream over a raw reader that, each time it
finds the pipe empty, sends one ``InputMessage`` on the event channel before it blocks.

Why at the raw level: ``input()`` (when stdin is not a terminal it calls ``sys.stdin.readline``),
pdb (``cmd.Cmd`` calls ``input(self.prompt)``), ``sys.stdin.read()``, iteration and
``sys.stdin.buffer`` all end in ``readinto`` of the raw stream, and only when what the buffers
hold is not enough: a line the learner typed ahead is read without a message. The prompt comes
from the ``builtins.input`` audit event (PEP 578), which ``input()`` raises with its prompt before
it prints it (pdb's "(Pdb) " too): an audit hook, not a wrapper of ``input``, so no frame of
fwlearn's appears in the learner's traceback of an ``EOFError``. A program that prints and then
reads ``sys.stdin`` directly sends "", and the app shows the line it printed.

Stdlib only; installed by the worker right before the snippet runs (a warm spare's import
never touches stdin).
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import sys
from typing import Any

from . import runtime
from .protocol import MAX_PROMPT, InputMessage

_prompt = ""  # what the input() under way printed; "" outside input()


class AnnouncingReader(io.RawIOBase):
    """fd ``fd`` (not closed with this object), announcing each read that will block."""

    def __init__(self, fd: int = 0, echo: bool = False) -> None:
        super().__init__()
        self._fd = fd
        self._echo = echo

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not view:
            return 0
        try:
            waiting = not select.select([self._fd], [], [], 0)[0]
        except (OSError, ValueError):
            waiting = False
        if waiting:  # EOF reads as ready: once the engine closed stdin nothing is announced
            runtime.send(InputMessage(type="input", prompt=_prompt[-MAX_PROMPT:]))
        data = os.read(self._fd, len(view))  # KeyboardInterrupt (cancel, timeout) ends it
        view[: len(data)] = data
        if self._echo and data:
            _echo(data)
        return len(data)


def _echo(data: bytes) -> None:
    """Write what was read to fd 1, as a terminal echoes typing: here, at the moment the
    program takes it, the echo lands after the prompt and before what the program prints next
    (echoed by the engine instead, it raced the prompt still in the stdout pipe)."""
    with contextlib.suppress(OSError):  # the snippet may have closed its stdout
        sys.stdout.flush()
        view = memoryview(data)
        while view:
            view = view[os.write(1, view) :]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Remember ``input()``'s prompt while it runs. An audit hook sees every audited event of
    the process (imports, opens...): it compares one string and must never raise."""
    global _prompt
    if event == "builtins.input":
        try:
            _prompt = "" if args[0] is None else str(args[0])
        except Exception:
            _prompt = ""
    elif event == "builtins.input/result":
        _prompt = ""


def install(echo: bool = False) -> None:
    """Make the snippet's ``sys.stdin`` announce reads that wait (and ``input`` its prompt);
    ``echo``: also write what it reads to stdout (the app's run log shows a transcript)."""
    try:
        os.fstat(0)
    except OSError:
        return  # no fd 0 at all: leave sys.stdin as Python made it
    old = sys.stdin
    encoding = getattr(old, "encoding", None) or "utf-8"
    errors = getattr(old, "errors", None) or "strict"
    raw = AnnouncingReader(0, echo)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(raw), encoding=encoding, errors=errors)
    sys.addaudithook(_audit)
