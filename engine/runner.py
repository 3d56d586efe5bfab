"""Run one snippet in a fresh child process and stream typed events.

``Run`` is the async API the app consumes from a worker (``async for event in run.events()``,
``run.cancel()`` from anywhere); ``run_sync`` is the thin synchronous wrapper for the CLI and
tests. Both share one implementation. ``Run`` orchestrates; the parts live apart: what to run
in ``spec``, the run's folder in ``workdirs``, the limits in ``supervisor``, the readers in
``reading``, the wire in ``protocol``, the bounded result in ``result``.

Stdin: a run made with ``interactive=True`` keeps its program's stdin open; ``send_input``
writes a line (``write_input`` raw bytes), ``close_input`` ends it, and an ``InputWanted``
event says the program waits on it (``snippet_stdin``): at most one per line written, none
once stdin is closed, so a program (or a forged message) cannot flood the consumer with them.
Every other run gets EOF at once, as it did when stdin was /dev/null: ``fwlearn check`` never
waits on an ``input()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
import signal
import sys
import time
from collections.abc import AsyncGenerator, Callable, Coroutine
from pathlib import Path
from typing import Any

from .environment import CONTROL_FD_ENV, WORKER_ARGV, child_env, default_threads
from .events import End, Event, InputWanted, Start
from .pool import SpareKey, WarmPool
from .process import MAX_INPUT_BUFFER, ChildProcess
from .protocol import Job, JobLimits, encode
from .reading import ChannelReader, EventQueue, read_output
from .result import MAX_KEPT_FACTS, MAX_KEPT_METRICS, MAX_KEPT_NOTES, RunResult
from .runtime import ENV_FD
from .spec import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    DEVICES,
    FRAMEWORKS,
    KERAS_BACKENDS,
    RunSpec,
    UsageError,
    infer_framework,
)
from .supervisor import Supervisor
from .workdirs import fill_workdir, plan_workdir, work_folder

# Names callers have always imported from here; each is defined in the module named above.
__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "DEVICES",
    "FRAMEWORKS",
    "KERAS_BACKENDS",
    "MAX_KEPT_FACTS",
    "MAX_KEPT_METRICS",
    "MAX_KEPT_NOTES",
    "Run",
    "RunResult",
    "RunSpec",
    "UsageError",
    "default_threads",
    "infer_framework",
    "run_async",
    "run_sync",
]


class Run:
    """One run of one snippet. Iterate ``events()`` once; call ``cancel()`` from anywhere."""

    def __init__(
        self,
        spec: RunSpec,
        pool: WarmPool | None = None,
        *,
        interactive: bool = False,
        echo: bool = False,
    ) -> None:
        """``interactive``: the program's stdin stays open for ``send_input`` (else EOF).
        ``echo``: what the program reads from it is shown in its stdout where it read it, as a
        terminal echoes typing (the app; a terminal running ``fwlearn run`` echoes itself)."""
        self.spec = spec.resolved()
        self.interactive = interactive
        self.echo = echo
        self.run_id: str = self.spec.run_id or ""
        self.pool = pool
        self.warm = False  # True when a warm spare ran this snippet
        self.workdir: Path | None = None
        self.supervisor = Supervisor(self.spec)
        self._queue = EventQueue()
        self._t0 = time.monotonic()
        self.end: End | None = None
        self._early_input: list[bytes] = []  # written before the child had its job
        self._early_eof = False
        self._input_live = False  # the child has its job: input goes straight to it
        self._live = asyncio.Event()  # set with _input_live
        self._announced = False  # an InputWanted went out and no input was written since

    @property
    def child(self) -> ChildProcess:
        return self.supervisor.child

    def readiness(self) -> str:
        """Before ``events()``: "ready" (a warm spare: output in milliseconds), "warming up" (a
        spare still importing its framework: say so, the run waits for it) or "cold"."""
        if self.pool is None or self.spec.env:
            return "cold"
        return self.pool.readiness(self._spare_key())

    def _spare_key(self) -> SpareKey:
        return SpareKey.for_spec(
            self.spec.framework or "python",
            self.spec.keras_backend,
            self.spec.device,
            self.spec.network,
        )

    # -- public API ---------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the run to stop: SIGINT first (KeyboardInterrupt), then SIGTERM, then SIGKILL."""
        self.supervisor.cancel()

    def send_input(self, text: str) -> bool:
        """Send ``text`` and a newline to the program's stdin, as a line typed in a terminal.
        False when it was not taken: not interactive, stdin closed, or too much unread."""
        return self.write_input((text + "\n").encode("utf-8", "replace"))

    def write_input(self, data: bytes) -> bool:
        """Send raw bytes to the program's stdin (``fwlearn run`` passing its own through);
        never blocks. Before the program started they wait for it (bounded as well)."""
        if not self.interactive or self._early_eof:
            return False
        if not self._input_live:
            if sum(map(len, self._early_input)) + len(data) > MAX_INPUT_BUFFER:
                return False
            self._early_input.append(data)
            return True
        if not self.child.write_input(data):
            return False
        self._announced = False  # the next read that waits is a new question
        return True

    def close_input(self) -> None:
        """End of input (Ctrl+D): the program's next read past what was sent gets EOF."""
        if not self._input_live:
            self._early_eof = True
        else:
            self.child.close_input()

    async def input_drained(self) -> None:
        """Wait until the program has its job and the input written so far has gone into its
        pipe: back-pressure for a feeder such as ``fwlearn run``'s stdin pump."""
        await self._live.wait()
        await self.child.input_drained()

    @property
    def input_open(self) -> bool:
        """Whether input can still be sent (interactive, not closed, the program not gone)."""
        if not self.interactive or self._early_eof:
            return False
        return not self._input_live or self.child.input_open

    async def events(self) -> AsyncGenerator[Event, None]:
        """Start the child and yield its events until (and including) ``End``."""
        # The pool counts the runs going on (warm or cold); without one, this run is alone.
        if self.pool is not None:
            self.pool.run_started()
        threads = self.spec.threads or default_threads(self.pool.running if self.pool else 1)
        self._t0 = time.monotonic()
        tasks: list[asyncio.Task[Any]] = []
        pending_start: list[Event] = []
        started = False
        channel = ChannelReader(self.run_id, self.supervisor, self._queue, self._now)
        try:
            await self._start_child(threads)
            assert self.workdir is not None
            snippet = work_folder(self.workdir) / self._snippet_name()
            snippet.write_text(self.spec.source or "", encoding="utf-8")
            self.child.send_job(encode(self._job(snippet, threads)))
            self._connect_input()
            tasks = [
                asyncio.create_task(
                    read_output(self.child, name, self._queue, self.run_id, self._now)
                )
                for name in ("stdout", "stderr")
            ]
            tasks.append(asyncio.create_task(channel.read()))
            supervisor = asyncio.create_task(self._supervise(list(tasks)))
            tasks.append(supervisor)
            while True:
                event = await self._queue.get()
                if event is None:
                    break
                if isinstance(event, InputWanted) and not self._announce():
                    continue
                if not started:
                    if isinstance(event, Start):
                        started = True
                        yield event
                        for held in pending_start:
                            yield held
                        pending_start.clear()
                    else:
                        pending_start.append(event)
                    continue
                yield event
            await supervisor
            if not started:
                yield self._fallback_start(threads)
                for held in pending_start:
                    yield held
            closing = self.supervisor.closing_events(
                self.run_id,
                self._now(),
                channel.error_seen,
                channel.exit_code_reported,
                channel.child_peak_mb,
            )
            self.end = closing[-1]  # type: ignore[assignment]  # always the End
            for event in closing:
                yield event
        finally:
            if self.pool is not None:
                self.pool.release()
            for task in tasks:
                task.cancel()
            # Normally all gone already; if the consumer stopped early, the tree is listed
            # while the worker (a subreaper) still holds its orphans, then killed and reaped.
            self.child.kill_tree()
            if self.child.returncode is None and self.child.proc is not None:
                with contextlib.suppress(Exception):
                    await self.child.wait(5)
                    await self.child.wait_gone()
            self.child.close()
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)

    # -- internals ----------------------------------------------------------------------------

    def _connect_input(self) -> None:
        """The child has its job: hand it the input sent so far, or EOF if not interactive."""
        self._input_live = True
        self._live.set()
        if not self.interactive:
            self.child.close_input()
            return
        for data in self._early_input:
            self.child.write_input(data)
        self._early_input.clear()
        if self._early_eof:
            self.child.close_input()

    def _announce(self) -> bool:
        """Whether an InputWanted goes to the consumer: one per line written, none once stdin
        is closed (a read at EOF does not wait; a forged message could still claim it)."""
        if not self.interactive or self._announced or not self.child.input_open:
            return False
        self._announced = True
        return True

    async def _start_child(self, threads: int) -> None:
        """Take a warm spare if one fits, else start a fresh worker; fill the run's folder."""
        plan = plan_workdir(self.spec.data_files)
        key = self._spare_key()
        # A spare's sandbox was set up before this run was known: its environment is fixed.
        warm_ok = self.pool is not None and not self.spec.env
        spare = await self.pool.take(key) if self.pool is not None and warm_ok else None
        if spare is not None and spare.workdir is not None:
            self.supervisor.child, self.warm = spare, True
            self.workdir = fill_workdir(plan, spare.workdir)
            return
        if spare is not None:  # no work dir of its own: unusable
            spare.kill_tree()
            spare.close()
        self.workdir = fill_workdir(plan)
        await self.child.start(
            WORKER_ARGV,
            child_env(
                self.spec.framework or "python",
                self.spec.keras_backend,
                self.spec.device,
                threads,
                self.spec.env,
                network=self.spec.network,
                memory_mb=self.spec.memory_mb,
                binds=[str(self.workdir)],
            ),
            work_folder(self.workdir),
            ENV_FD,
            CONTROL_FD_ENV,
        )
        self.child.workdir = self.workdir

    async def _supervise(self, readers: list[asyncio.Task[Any]]) -> None:
        try:
            await self.supervisor.watch(readers, self._t0)
        finally:
            self._queue.put_nowait(None)  # the consumer's cue that nothing more comes

    def _now(self) -> float:
        return round(time.monotonic() - self._t0, 4)

    def _snippet_name(self) -> str:
        name = Path(self.spec.path).name if self.spec.path else "snippet.py"
        return name if name.endswith(".py") else name + ".py"

    def _job(self, snippet: Path, threads: int) -> Job:
        limits: JobLimits = {}
        if self.spec.timeout:
            # A backstop should the engine itself be stopped: CPU seconds for all threads.
            limits["cpu_seconds"] = math.ceil(self.spec.timeout * max(threads, 1) * 2 + 30)
        job = Job(
            type="job",
            run_id=self.run_id,
            path=str(snippet),
            source=self.spec.source or "",
            cwd=str(snippet.parent),
            threads=threads,
            limits=limits,
        )
        if self.interactive and self.echo:
            job["echo_input"] = True
        return job

    def _fallback_start(self, threads: int) -> Start:
        return Start(
            run_id=self.run_id,
            t=0.0,
            framework=self.spec.framework or "python",
            python=sys.version.split()[0],
            device="unknown",
            pid=self.child.pid or 0,
            keras_backend=self.spec.keras_backend if self.spec.framework == "keras" else None,
            threads=threads,
            limits=self.spec.limits_shown(),
        )


async def run_async(
    spec: RunSpec,
    on_event: Callable[[Event], None] | None = None,
    pool: WarmPool | None = None,
) -> RunResult:
    """Run to completion inside a running event loop (with a warm spare if ``pool`` has one)."""
    result = RunResult()
    # aclosing: should on_event raise, the run still ends here (child killed, work dir gone).
    async with contextlib.aclosing(Run(spec, pool).events()) as events:
        async for event in events:
            result.add(event)
            if on_event is not None:
                on_event(event)
    return result


def run_sync(
    spec: RunSpec,
    on_event: Callable[[Event], None] | None = None,
    feed: Callable[[Run], Coroutine[Any, Any, None]] | None = None,
) -> RunResult:
    """Run to completion from synchronous code (the CLI, tests); Ctrl+C cancels the run.
    ``feed``: the run is interactive and ``feed(run)`` runs beside it to send its input
    (``fwlearn run`` passing its stdin through); it is cancelled when the run ends."""
    run = Run(spec, interactive=feed is not None)

    async def main() -> RunResult:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, run.cancel)
        result = RunResult()
        feeding = asyncio.create_task(feed(run)) if feed is not None else None
        try:
            # aclosing: should on_event raise (a printer on a closed pipe), the run still ends
            # here, child killed and work dir removed, before the error propagates.
            async with contextlib.aclosing(run.events()) as events:
                async for event in events:
                    result.add(event)
                    if on_event is not None:
                        on_event(event)
        finally:
            if feeding is not None:
                feeding.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await feeding
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
        return result

    return asyncio.run(main())
