"""Run one snippet in a fresh child process and stream typed events.

``Run`` is the async API the app consumes from a worker (``async for event in run.events()``,
``run.cancel()`` from anywhere); ``run_sync`` is the thin synchronous wrapper for the CLI and
tests. Both share one implementation. ``Run`` orchestrates; the parts live apart: what to run
in ``spec``, the run's folder in ``workdirs``, the limits in ``supervisor``, the readers in
``reading``, the wire in ``protocol``, the bounded result in ``result``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
import signal
import sys
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from .environment import CONTROL_FD_ENV, WORKER_ARGV, child_env, default_threads
from .events import End, Event, Start
from .pool import SpareKey, WarmPool
from .process import ChildProcess
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

    def __init__(self, spec: RunSpec, pool: WarmPool | None = None) -> None:
        self.spec = spec.resolved()
        self.run_id: str = self.spec.run_id or ""
        self.pool = pool
        self.warm = False  # True when a warm spare ran this snippet
        self.workdir: Path | None = None
        self.supervisor = Supervisor(self.spec)
        self._queue = EventQueue()
        self._t0 = time.monotonic()
        self.end: End | None = None

    @property
    def child(self) -> ChildProcess:
        return self.supervisor.child

    # -- public API ---------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the run to stop: SIGINT first (KeyboardInterrupt), then SIGTERM, then SIGKILL."""
        self.supervisor.cancel()

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

    async def _start_child(self, threads: int) -> None:
        """Take a warm spare if one fits, else start a fresh worker; fill the run's folder."""
        plan, binds = plan_workdir(self.spec.data_files, self.spec.data_dir)
        key = SpareKey.for_spec(
            self.spec.framework or "python",
            self.spec.keras_backend,
            self.spec.device,
            self.spec.network,
        )
        # A spare's sandbox was set up before this run was known: it sees its own work
        # dir but not data linked from a folder the sandbox hides (/tmp...): start cold.
        warm_ok = self.pool is not None and not self.spec.env and not binds
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
                binds=[str(self.workdir), *map(str, binds)],
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
        return Job(
            type="job",
            run_id=self.run_id,
            path=str(snippet),
            source=self.spec.source or "",
            cwd=str(snippet.parent),
            threads=threads,
            limits=limits,
        )

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


def run_sync(spec: RunSpec, on_event: Callable[[Event], None] | None = None) -> RunResult:
    """Run to completion from synchronous code (the CLI, tests); Ctrl+C cancels the run."""
    run = Run(spec)

    async def main() -> RunResult:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, run.cancel)
        result = RunResult()
        try:
            # aclosing: should on_event raise (a printer on a closed pipe), the run still ends
            # here, child killed and work dir removed, before the error propagates.
            async with contextlib.aclosing(run.events()) as events:
                async for event in events:
                    result.add(event)
                    if on_event is not None:
                        on_event(event)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
        return result

    return asyncio.run(main())
