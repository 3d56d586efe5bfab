"""Run one snippet in a fresh child process and stream typed events.

``Run`` is the async API the app consumes from a worker (``async for event in run.events()``,
``run.cancel()`` from anywhere); ``run_sync`` is the thin synchronous wrapper for the CLI and
tests. Both share one implementation. Limits are enforced from outside the child: wall time by
a timer, memory by sampling the resident size of the child and its descendants (an address-space
limit would break CUDA, which reserves huge virtual ranges).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .environment import CONTROL_FD_ENV, WORKER_ARGV, child_env, default_threads
from .events import (
    End,
    Error,
    Event,
    Fact,
    Metric,
    Output,
    Prediction,
    Start,
    Warning,
    finite_or_none,
)
from .output import LineAssembler
from .pool import SpareKey, WarmPool
from .process import ChildProcess
from .runtime import ENV_FD, MAX_PREDICTION_ROWS

FRAMEWORKS = ("keras", "pytorch", "python")
KERAS_BACKENDS = ("tensorflow", "torch", "jax")
DEVICES = ("auto", "cpu", "cuda")

DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 4096
DEFAULT_MAX_PROCESSES = 64  # a DataLoader with 8 workers is 9
DEFAULT_MAX_THREADS = 1024  # a keras fit uses ~24-40; torch adds a pool per worker
MAX_OUTPUT_CHARS = 64 * 2**20  # delivered per stream; a marker says when the rest was dropped
MAX_DATA_COPY = 64 * 1024 * 1024
MEMORY_POLL = 0.05
PARTIAL_INTERVAL = 0.1
READ_SIZE = 1 << 16
CANCEL_GRACE = 2.0  # SIGINT reaches a keras fit in ~1-1.25 s; then SIGTERM, then SIGKILL
TIMEOUT_GRACE = 1.0

CHILD_TYPES = {"ready", "start", "metric", "prediction", "fact", "error", "done", "warning"}
SIGNAL_NAMES = {
    signal.SIGSEGV: "a segmentation fault (SIGSEGV)",
    signal.SIGABRT: "an abort (SIGABRT)",
    signal.SIGKILL: "SIGKILL",
    signal.SIGBUS: "a bus error (SIGBUS)",
    signal.SIGFPE: "a floating-point exception (SIGFPE)",
    signal.SIGXCPU: "the CPU-time limit (SIGXCPU)",
}

_active_runs = 0
_run_counter = itertools.count(1)


class UsageError(ValueError):
    """A run was asked for with options that cannot work; the message says why."""


@dataclass
class RunSpec:
    """What to run and under which limits. ``source`` wins over the file at ``path``."""

    path: Path | str | None = None
    source: str | None = None
    framework: str | None = None  # keras | pytorch | python; inferred from imports when None
    keras_backend: str = "tensorflow"
    device: str = "auto"
    timeout: float | None = DEFAULT_TIMEOUT
    memory_mb: int | None = DEFAULT_MEMORY_MB
    threads: int | None = None  # None: fit the cores to the runs going on at once
    max_processes: int = DEFAULT_MAX_PROCESSES  # the snippet and everything it starts
    max_threads: int = DEFAULT_MAX_THREADS  # counted over all those processes
    network: bool = False  # True: the snippet may reach the network
    data_files: tuple[Path | str, ...] = ()  # copied into the working directory
    data_dir: Path | str | None = None  # its entries are linked into the working directory
    env: dict[str, str] = field(default_factory=dict)  # extra variables, secrets allowed
    run_id: str | None = None

    def resolved(self) -> RunSpec:
        """Fill in inferred fields and check the options, raising ``UsageError``."""
        source = self.source
        path = Path(self.path) if self.path is not None else None
        if source is None:
            if path is None:
                raise UsageError("nothing to run: give a file or source code")
            try:
                source = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise UsageError(f"no such file: {path}") from None
            except UnicodeDecodeError as exc:
                raise UsageError(
                    f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})"
                ) from None
            except OSError as exc:
                raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        framework = self.framework or infer_framework(source)
        if framework not in FRAMEWORKS:
            raise UsageError(
                f"unknown framework {framework!r} (choose from {', '.join(FRAMEWORKS)})"
            )
        if self.keras_backend not in KERAS_BACKENDS:
            raise UsageError(
                f"unknown Keras backend {self.keras_backend!r} (choose from {', '.join(KERAS_BACKENDS)})"
            )
        if self.device not in DEVICES:
            raise UsageError(f"unknown device {self.device!r} (choose from {', '.join(DEVICES)})")
        if self.timeout is not None and self.timeout <= 0:
            raise UsageError("the timeout must be a positive number of seconds")
        if self.memory_mb is not None and self.memory_mb < 64:
            raise UsageError("the memory cap must be at least 64 MB")
        return RunSpec(
            path=path,
            source=source,
            framework=framework,
            keras_backend=self.keras_backend,
            device=self.device,
            timeout=self.timeout,
            memory_mb=self.memory_mb,
            max_processes=self.max_processes,
            max_threads=self.max_threads,
            network=self.network,
            threads=self.threads,
            data_dir=self.data_dir,
            data_files=tuple(self.data_files),
            env=dict(self.env),
            run_id=self.run_id or f"r{next(_run_counter)}-{uuid.uuid4().hex[:6]}",
        )


def infer_framework(source: str) -> str:
    """keras if the code imports keras or tensorflow, pytorch if it imports torch, else python."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None
    names: set[str] = set()
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    else:  # still say something useful for a file that does not parse
        names.update(re.findall(r"^\s*(?:import|from)\s+(\w+)", source, re.MULTILINE))
    if names & {"keras", "tensorflow"}:
        return "keras"
    if "torch" in names:
        return "pytorch"
    return "python"


class Run:
    """One run of one snippet. Iterate ``events()`` once; call ``cancel()`` from anywhere."""

    def __init__(self, spec: RunSpec, pool: WarmPool | None = None) -> None:
        self.spec = spec.resolved()
        self.run_id: str = self.spec.run_id  # type: ignore[assignment]
        self.pool = pool
        self.warm = False  # True when a warm spare ran this snippet
        self.child = ChildProcess()
        self.workdir: Path | None = None
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._t0 = time.monotonic()
        self._stop_reason: str | None = None  # cancelled | timeout | memory
        self._cancel_event: asyncio.Event | None = None
        self._peak_rss = 0
        self._child_peak_mb: float | None = None
        self._exit_code_reported: int | None = None
        self._started = False
        self._error_seen = False
        self._nan_warned: set[str] = set()
        self._bad_messages = 0
        self.end: End | None = None

    # -- public API ---------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the run to stop: SIGINT first (KeyboardInterrupt), then SIGTERM, then SIGKILL."""
        if self._stop_reason is None:
            self._stop_reason = "cancelled"
        if self._cancel_event is not None:
            self._cancel_event.set()

    async def events(self) -> AsyncIterator[Event]:
        """Start the child and yield its events until (and including) ``End``."""
        global _active_runs
        _active_runs += 1
        threads = self.spec.threads or default_threads(_active_runs)
        self._t0 = time.monotonic()
        self._cancel_event = asyncio.Event()
        if self._stop_reason:
            self._cancel_event.set()
        tasks: list[asyncio.Task[Any]] = []
        pending_start: list[Event] = []
        key = SpareKey.for_spec(
            self.spec.framework or "python",
            self.spec.keras_backend,
            self.spec.device,
            self.spec.network,
        )
        if self.pool is not None:
            self.pool.run_started()
        try:
            self.workdir = self._make_workdir()
            snippet = self.workdir / self._snippet_name()
            snippet.write_text(self.spec.source or "", encoding="utf-8")
            spare = await self.pool.take(key) if self.pool and not self.spec.env else None
            if spare is not None:
                self.child, self.warm = spare, True
            else:
                await self.child.start(
                    WORKER_ARGV,
                    child_env(
                        self.spec.framework or "python",
                        self.spec.keras_backend,
                        self.spec.device,
                        threads,
                        self.spec.env,
                        network=self.spec.network,
                    ),
                    self.workdir,
                    ENV_FD,
                    CONTROL_FD_ENV,
                )
            self.child.send_job(self._job(snippet, threads))
            tasks = [
                asyncio.create_task(self._read_output("stdout")),
                asyncio.create_task(self._read_output("stderr")),
                asyncio.create_task(self._read_events()),
            ]
            supervisor = asyncio.create_task(self._supervise(list(tasks)))
            tasks.append(supervisor)
            while True:
                event = await self._queue.get()
                if event is None:
                    break
                if not self._started:
                    if isinstance(event, Start):
                        self._started = True
                        yield event
                        for held in pending_start:
                            yield held
                        pending_start.clear()
                    else:
                        pending_start.append(event)
                    continue
                yield event
            await supervisor
            if not self._started:
                yield self._fallback_start(threads)
                for held in pending_start:
                    yield held
            for event in self._closing_events():
                yield event
        finally:
            _active_runs -= 1
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

    def _now(self) -> float:
        return round(time.monotonic() - self._t0, 4)

    def _put(self, event: Event) -> None:
        self._queue.put_nowait(event)

    def _snippet_name(self) -> str:
        name = Path(self.spec.path).name if self.spec.path else "snippet.py"
        return name if name.endswith(".py") else name + ".py"

    def _make_workdir(self) -> Path:
        """A fresh directory for the run.

        ``data_files`` (a lesson's data) are copied, so a snippet cannot change the lesson's
        originals (links past MAX_DATA_COPY bytes). The entries of ``data_dir`` (the folder of
        a file given to ``fwlearn run``) are linked, not copied: that folder can be anything,
        a home directory included, and the run should see it as ``python file.py`` there would.
        """
        workdir = Path(tempfile.mkdtemp(prefix="fwlearn-run-"))
        budget = MAX_DATA_COPY
        for item in map(Path, self.spec.data_files):
            target = workdir / item.name
            with contextlib.suppress(OSError, shutil.Error):
                size = _size_up_to(item, budget + 1)
                if size > budget:
                    target.symlink_to(item.resolve())
                elif item.is_dir():
                    shutil.copytree(item, target, symlinks=True)
                elif item.is_file():
                    shutil.copy2(item, target)
                budget -= min(size, budget)
        data_dir = Path(self.spec.data_dir) if self.spec.data_dir else None
        if data_dir is not None and data_dir.is_dir():
            for item in sorted(data_dir.iterdir()):
                target = workdir / item.name
                if item.name.startswith(".") or target.exists() or target.is_symlink():
                    continue
                if item.is_file() or item.is_dir():  # no sockets, fifos or devices
                    with contextlib.suppress(OSError):
                        target.symlink_to(item.resolve())
        return workdir

    def _job(self, snippet: Path, threads: int) -> bytes:
        limits: dict[str, Any] = {}
        if self.spec.timeout:
            # A backstop should the engine itself be stopped: CPU seconds for all threads.
            limits["cpu_seconds"] = math.ceil(self.spec.timeout * max(threads, 1) * 2 + 30)
        job = {
            "run_id": self.run_id,
            "path": str(snippet),
            "source": self.spec.source,
            "cwd": str(self.workdir),
            "threads": threads,
            "limits": limits,
        }
        return json.dumps(job).encode()

    def _limits(self, network: str | None = None) -> dict[str, Any]:
        """The limits in force, as the learner is shown them."""
        linux = sys.platform.startswith("linux")
        return {
            "timeout_s": self.spec.timeout,
            "memory_mb": self.spec.memory_mb if linux else None,
            "max_processes": self.spec.max_processes if linux else None,
            "max_threads": self.spec.max_threads if linux else None,
            "network": network or ("allowed" if self.spec.network else "unknown"),
        }

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
            limits=self._limits(),
        )

    async def _read_output(self, stream: str) -> None:
        assert self.child.proc is not None
        reader = self.child.proc.stdout if stream == "stdout" else self.child.proc.stderr
        assert reader is not None
        assembler = LineAssembler(max_chars=MAX_OUTPUT_CHARS)
        sent_partial = ""
        last_partial = 0.0
        while True:
            try:
                data = await asyncio.wait_for(reader.read(READ_SIZE), PARTIAL_INTERVAL)
            except asyncio.TimeoutError:
                data = None
            if data == b"":
                break
            if data:
                was_truncated = assembler.truncated
                lines = assembler.feed(data)
                if lines:
                    self._put(Output(self.run_id, self._now(), stream, tuple(lines)))  # type: ignore[arg-type]
                    sent_partial = ""
                if assembler.truncated and not was_truncated:
                    self._put(
                        Output(
                            self.run_id,
                            self._now(),
                            stream,  # type: ignore[arg-type]
                            (
                                f"[fwlearn] more than {MAX_OUTPUT_CHARS // 2**20} MB on {stream}: "
                                "the rest of it is not shown (the run goes on)",
                            ),
                        )
                    )
            pending = assembler.pending
            now = time.monotonic()
            if pending != sent_partial and (data is None or now - last_partial >= PARTIAL_INTERVAL):
                self._put(Output(self.run_id, self._now(), stream, (pending,), partial=True))  # type: ignore[arg-type]
                sent_partial, last_partial = pending, now
        rest = assembler.flush()
        if rest:
            self._put(Output(self.run_id, self._now(), stream, tuple(rest)))  # type: ignore[arg-type]

    async def _read_events(self) -> None:
        reader = self.child.events
        assert reader is not None
        early = list(self.child.early_lines)
        while True:
            try:
                line = early.pop(0) if early else await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                self._bad_message()
                continue
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                self._bad_message()
                continue
            if not isinstance(message, dict) or message.get("type") not in CHILD_TYPES:
                self._bad_message()
                continue
            try:
                self._handle_message(message)
            except (TypeError, ValueError, KeyError, AttributeError):
                self._bad_message()

    def _bad_message(self) -> None:
        self._bad_messages += 1
        if self._bad_messages == 1:
            self._put(
                Warning(
                    self.run_id,
                    self._now(),
                    "channel",
                    "ignored a malformed message on fwlearn's event channel "
                    "(something other than fwlearn.report wrote to it)",
                )
            )

    def _handle_message(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        now = self._now()
        if kind == "start":
            if self._started:
                return
            self._put(
                Start(
                    self.run_id,
                    now,
                    framework=str(message.get("framework", self.spec.framework)),
                    python=str(message.get("python", "")),
                    device=str(message.get("device", "cpu")),
                    pid=int(message.get("pid") or self.child.pid or 0),
                    keras_backend=message.get("keras_backend"),
                    versions={
                        str(k): str(v) for k, v in dict(message.get("versions") or {}).items()
                    },
                    threads=int(message.get("threads") or 1),
                    limits=self._limits(str(message.get("network") or "")),
                )
            )
        elif kind == "metric":
            raw_values = message.get("values") or {}
            values = {str(k): finite_or_none(v) for k, v in dict(raw_values).items()}
            epoch, step = message.get("epoch"), message.get("step")
            split = (
                message.get("split")
                if message.get("split") in ("train", "val", "test")
                else "train"
            )
            self._put(
                Metric(
                    self.run_id,
                    now,
                    values,
                    None if epoch is None else int(epoch),
                    None if step is None else int(step),
                    split,
                )
            )
            for name, value in values.items():
                if (
                    value is None
                    and name not in self._nan_warned
                    and raw_values.get(name) is not None
                ):
                    self._nan_warned.add(name)
                    where = f" at epoch {epoch}" if epoch is not None else ""
                    self._put(
                        Warning(
                            self.run_id,
                            now,
                            "nan",
                            f"{name} is {raw_values[name]}{where}: training diverged "
                            "(try a smaller learning rate)",
                        )
                    )
        elif kind == "prediction":
            rows = tuple(dict(row) for row in list(message.get("rows") or [])[:MAX_PREDICTION_ROWS])
            self._put(Prediction(self.run_id, now, rows, int(message.get("total") or len(rows))))
        elif kind == "fact":
            self._put(Fact(self.run_id, now, str(message["name"]), message.get("value")))
        elif kind == "warning":
            self._put(
                Warning(
                    self.run_id, now, str(message.get("kind", "")), str(message.get("message", ""))
                )
            )
        elif kind == "error":
            self._error_seen = True
            self._put(self._error_from_child(message, now))
        elif kind == "done":
            self._exit_code_reported = int(message.get("exit_code") or 0)
            peak = message.get("peak_rss_mb")
            self._child_peak_mb = float(peak) if peak is not None else None

    def _error_from_child(self, message: dict[str, Any], now: float) -> Error:
        kind = str(message.get("kind", "exception"))
        text = str(message.get("message", ""))
        if message.get("exc_type") == "KeyboardInterrupt" and self._stop_reason:
            kind = "timeout" if self._stop_reason == "timeout" else "cancelled"
            text = self._stop_message()
        line = message.get("line")
        return Error(
            self.run_id,
            now,
            kind,  # type: ignore[arg-type]
            text,
            str(message.get("traceback") or ""),
            int(line) if isinstance(line, int) else None,
            message.get("exc_type"),
        )

    def _stop_message(self) -> str:
        if self._stop_reason == "timeout":
            return f"stopped after {self.spec.timeout:g} s: the run's time limit"
        if self._stop_reason == "processes":
            return (
                f"stopped: the run started more than {self.spec.max_processes} processes or "
                f"{self.spec.max_threads} threads (its limit); a fork or thread bomb?"
            )
        if self._stop_reason == "memory":
            return (
                f"stopped: the run used more than {self.spec.memory_mb} MB of memory (its limit); "
                "use smaller batches or a smaller model, or raise the limit"
            )
        return "cancelled by the learner"

    async def _supervise(self, readers: list[asyncio.Task[Any]]) -> None:
        """Watch wall time and memory until the child exits and every pipe is drained."""
        assert self._cancel_event is not None
        deadline = self._t0 + self.spec.timeout if self.spec.timeout else None
        cap = self.spec.memory_mb * 2**20 if self.spec.memory_mb else None
        wait_task = asyncio.create_task(self.child.wait())
        cancel_task = asyncio.create_task(self._cancel_event.wait())
        try:
            while not wait_task.done():
                timeout = MEMORY_POLL
                if deadline is not None:
                    timeout = max(0.0, min(timeout, deadline - time.monotonic()))
                await asyncio.wait({wait_task, cancel_task}, timeout=timeout)
                if wait_task.done():
                    break
                usage = self.child.usage()
                self._peak_rss = max(self._peak_rss, usage.rss)
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
            # The child is gone; whatever it left behind goes too, so the pipes close, and
            # "end" means the whole tree is gone.
            self.child.kill_tree()
            await self.child.wait_gone()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*readers, return_exceptions=True), 5)
        finally:
            cancel_task.cancel()
            wait_task.cancel()
            self._queue.put_nowait(None)

    async def _kill(self, reason: str) -> None:
        """A limit that is growing right now: no grace period, kill the whole tree."""
        self._stop_reason = reason
        self.child.kill_tree()
        await self.child.wait(5)

    async def _stop(self, reason: str, grace: float) -> None:
        if self._stop_reason in (None, reason):
            self._stop_reason = reason
        await self.child.shutdown(interrupt_grace=grace)

    def _closing_events(self) -> list[Event]:
        now = self._now()
        returncode = self.child.returncode
        events: list[Event] = []
        status = "ok"
        sig = -returncode if returncode is not None and returncode < 0 else None
        if self._stop_reason:
            status = {"timeout": "timeout", "cancelled": "cancelled"}.get(
                self._stop_reason, "failed"
            )
            if not self._error_seen or status == "failed":
                kind = "cancelled" if status == "cancelled" else self._stop_reason
                events.append(Error(self.run_id, now, kind, self._stop_message()))  # type: ignore[arg-type]
        elif returncode != 0:
            status = "failed"
            if not self._error_seen:
                if sig is not None:
                    what = SIGNAL_NAMES.get(sig, f"signal {sig}")
                    message = f"the process crashed: it was killed by {what}"
                else:
                    message = f"the process exited with code {returncode}"
                events.append(Error(self.run_id, now, "crashed", message))
        elif self._error_seen:
            status = "failed"
        elif self._exit_code_reported is None:
            # Exit status 0 without our 'done' message: os._exit(0) or a closed channel mid-run.
            status = "failed"
            events.append(
                Error(
                    self.run_id,
                    now,
                    "crashed",
                    "the process exited early (os._exit?) before the snippet finished",
                )
            )
        peak = max(self._peak_rss / 2**20, self._child_peak_mb or 0.0) or None
        self.end = End(
            self.run_id,
            now,
            status,  # type: ignore[arg-type]
            returncode,
            round(now, 3),
            round(peak, 1) if peak else None,
            sig,
        )
        events.append(self.end)
        return events


def _size_up_to(path: Path, limit: int) -> int:
    """Bytes under ``path``, counting no further than ``limit`` (a home folder can be huge)."""
    if not path.is_dir():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
            if total >= limit:
                return total
    return total


@dataclass
class RunResult:
    """Everything a finished run produced, with the views tests and the CLI ask for."""

    events: list[Event]

    @property
    def end(self) -> End:
        return next(e for e in reversed(self.events) if isinstance(e, End))

    @property
    def start(self) -> Start:
        return next(e for e in self.events if isinstance(e, Start))

    @property
    def ok(self) -> bool:
        return self.end.status == "ok"

    @property
    def error(self) -> Error | None:
        return next((e for e in self.events if isinstance(e, Error)), None)

    @property
    def metrics(self) -> list[Metric]:
        return [e for e in self.events if isinstance(e, Metric)]

    def epoch_metrics(self, split: str = "train") -> list[Metric]:
        return [m for m in self.metrics if m.step is None and m.split == split]

    def final_metrics(self) -> dict[str, float | None]:
        """The last reported value of each metric, val/test ones prefixed as Keras names them."""
        final: dict[str, float | None] = {}
        for metric in self.metrics:
            if metric.step is not None:
                continue
            prefix = "" if metric.split == "train" else f"{metric.split}_"
            for name, value in metric.values.items():
                final[prefix + name] = value
        return final

    @property
    def facts(self) -> dict[str, Any]:
        return {e.name: e.value for e in self.events if isinstance(e, Fact)}

    @property
    def predictions(self) -> Prediction | None:
        return next((e for e in reversed(self.events) if isinstance(e, Prediction)), None)

    def lines(self, stream: str | None = None) -> list[str]:
        return [
            line
            for e in self.events
            if isinstance(e, Output) and not e.partial and (stream is None or e.stream == stream)
            for line in e.lines
        ]

    @property
    def stdout(self) -> str:
        return "\n".join(self.lines("stdout"))

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines("stderr"))


async def run_async(
    spec: RunSpec,
    on_event: Callable[[Event], None] | None = None,
    pool: WarmPool | None = None,
) -> RunResult:
    """Run to completion inside a running event loop (with a warm spare if ``pool`` has one)."""
    events: list[Event] = []
    async for event in Run(spec, pool).events():
        events.append(event)
        if on_event is not None:
            on_event(event)
    return RunResult(events)


def run_sync(spec: RunSpec, on_event: Callable[[Event], None] | None = None) -> RunResult:
    """Run to completion from synchronous code (the CLI, tests); Ctrl+C cancels the run."""
    run = Run(spec)

    async def main() -> RunResult:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, run.cancel)
        events: list[Event] = []
        try:
            async for event in run.events():
                events.append(event)
                if on_event is not None:
                    on_event(event)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
        return RunResult(events)

    return asyncio.run(main())
