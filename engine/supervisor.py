"""The run's limits, enforced from outside the child: wall time, memory, processes, cancel.

Wall time is a timer; memory is the resident size of the child and all its descendants,
sampled every MEMORY_POLL seconds (an address-space limit would break CUDA, which reserves
huge virtual ranges). The supervisor also decides how the run ended (``closing_events``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from typing import Any

from .events import End, Error, Event
from .process import ChildProcess
from .spec import RunSpec

CANCELLED_MESSAGE = "cancelled by the learner"  # the Error of a run the learner stopped

MEMORY_POLL = 0.05
# SIGINT reaches a keras fit in 1.0-1.25 s (SIGINT to a child in ``model.fit`` until it exits
# with KeyboardInterrupt, 2-core dev box); then SIGTERM, then SIGKILL.
CANCEL_GRACE = 2.0
TIMEOUT_GRACE = 1.0
READ_DRAIN = 2.0  # after the child is gone, seconds the readers get to empty the pipes

SIGNAL_NAMES: dict[int, str] = {
    signal.SIGSEGV: "a segmentation fault (SIGSEGV)",
    signal.SIGABRT: "an abort (SIGABRT)",
    signal.SIGKILL: "SIGKILL",
    signal.SIGBUS: "a bus error (SIGBUS)",
    signal.SIGFPE: "a floating-point exception (SIGFPE)",
    signal.SIGXCPU: "the CPU-time limit (SIGXCPU)",
}


class Supervisor:
    """Watches one child against its spec's limits; ``stop_reason`` says why it was stopped."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec
        self.child = ChildProcess()  # the run replaces it with a warm spare when it takes one
        self.stop_reason: str | None = None  # cancelled | timeout | memory | processes
        self.peak_rss = 0
        self._cancelled = asyncio.Event()

    def cancel(self) -> None:
        """Ask for a stop: SIGINT first (KeyboardInterrupt), then SIGTERM, then SIGKILL."""
        if self.stop_reason is None:
            self.stop_reason = "cancelled"
        self._cancelled.set()

    async def watch(self, readers: list[asyncio.Task[Any]], t0: float) -> None:
        """Watch wall time and memory until the child exits and every pipe is drained."""
        deadline = t0 + self.spec.timeout if self.spec.timeout else None
        cap = self.spec.memory_mb * 2**20 if self.spec.memory_mb else None
        wait_task = asyncio.create_task(self.child.wait())
        cancel_task = asyncio.create_task(self._cancelled.wait())
        try:
            while not wait_task.done():
                timeout = MEMORY_POLL
                if deadline is not None:
                    timeout = max(0.0, min(timeout, deadline - time.monotonic()))
                await asyncio.wait({wait_task, cancel_task}, timeout=timeout)
                if wait_task.done():
                    break
                usage = self.child.usage()
                self.peak_rss = max(self.peak_rss, usage.rss)
                if cancel_task.done():
                    await self._stop("cancelled", CANCEL_GRACE)
                elif cap is not None and usage.rss > cap:
                    await self._kill("memory")
                elif (
                    usage.processes > self.spec.max_processes
                    or usage.threads > self.spec.max_threads
                ):
                    await self._kill("processes")
                elif deadline is not None and time.monotonic() >= deadline:
                    await self._stop("timeout", TIMEOUT_GRACE)
            # The child is gone, and the run with it: in the sandbox its namespace died with
            # it. Whatever it left behind goes too ("end" means the whole tree is gone); then
            # the readers get READ_DRAIN to deliver what is still in the pipes. The end is
            # decided here, not by the pipes closing: outside a sandbox an escaped daemon
            # may hold them open for good.
            self.child.kill_tree()
            await self.child.wait_gone()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*readers, return_exceptions=True), READ_DRAIN)
        finally:
            cancel_task.cancel()
            wait_task.cancel()

    async def _kill(self, reason: str) -> None:
        """A limit that is growing right now: no grace period, kill the whole tree."""
        self.stop_reason = reason
        self.child.kill_tree()
        await self.child.wait(5)

    async def _stop(self, reason: str, grace: float) -> None:
        if self.stop_reason in (None, reason):
            self.stop_reason = reason
        await self.child.shutdown(interrupt_grace=grace)

    def stop_message(self) -> str:
        if self.stop_reason == "timeout":
            return f"stopped after {self.spec.timeout:g} s: the run's time limit"
        if self.stop_reason == "processes":
            return (
                f"stopped: the run started more than {self.spec.max_processes} processes or "
                f"{self.spec.max_threads} threads (its limit); a fork or thread bomb?"
            )
        if self.stop_reason == "memory":
            return (
                f"stopped: the run used more than {self.spec.memory_mb} MB of memory (its limit); "
                "use smaller batches or a smaller model, or raise the limit"
            )
        return CANCELLED_MESSAGE

    def closing_events(
        self,
        run_id: str,
        now: float,
        error_seen: bool,
        exit_code_reported: int | None,
        child_peak_mb: float | None,
    ) -> list[Event]:
        """The run's last events: an Error where nothing said why it failed, then End."""
        returncode = self.child.returncode
        events: list[Event] = []
        status = "ok"
        sig = -returncode if returncode is not None and returncode < 0 else None
        if self.stop_reason:
            status = {"timeout": "timeout", "cancelled": "cancelled"}.get(
                self.stop_reason, "failed"
            )
            if not error_seen or status == "failed":
                kind = "cancelled" if status == "cancelled" else self.stop_reason
                events.append(Error(run_id, now, kind, self.stop_message()))  # type: ignore[arg-type]
        elif returncode != 0:
            status = "failed"
            if not error_seen:
                if sig is not None:
                    what = SIGNAL_NAMES.get(sig, f"signal {sig}")
                    message = f"the process crashed: it was killed by {what}"
                else:
                    message = f"the process exited with code {returncode}"
                events.append(Error(run_id, now, "crashed", message))
        elif error_seen:
            status = "failed"
        elif exit_code_reported is None:
            # Exit status 0 without our 'done' message: os._exit(0) or a closed channel mid-run.
            status = "failed"
            events.append(
                Error(
                    run_id,
                    now,
                    "crashed",
                    "the process exited early (os._exit?) before the snippet finished",
                )
            )
        peak = max(self.peak_rss / 2**20, child_peak_mb or 0.0) or None
        end = End(
            run_id,
            now,
            status,  # type: ignore[arg-type]
            returncode,
            round(now, 3),
            round(peak, 1) if peak else None,
            sig,
        )
        events.append(end)
        return events
