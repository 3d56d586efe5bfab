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
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .environment import CONTROL_FD_ENV, WORKER_ARGV, child_env, default_threads
from .events import (
    ERROR_KINDS,
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
    load_message,
)
from .history import Thinning
from .output import LineAssembler, clean
from .pool import SpareKey, WarmPool
from .process import ChildProcess
from .runtime import ENV_FD, MAX_PREDICTION_ROWS
from .sandbox import hidden_path
from .workdirs import make_workdir, work_folder

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
# The event channel (see _read_events): a message past these is dropped with a warning.
MAX_MESSAGE_BYTES = 1 << 20  # 50 prediction rows of 784-pixel images are ~0.3 MB
BATCH_METRIC_INTERVAL = 0.1  # per-batch metrics are coalesced to one per split per 0.1 s
# Back-pressure: readers stop reading the child's pipes while this many events wait for the
# consumer, so a flooding snippet blocks on its own write instead of the engine buffering it.
QUEUE_HIGH = 256  # an Output event carries up to READ_SIZE bytes: <= 16 MB held
QUEUE_LOW = 128
CANCEL_GRACE = 2.0  # SIGINT reaches a keras fit in ~1-1.25 s; then SIGTERM, then SIGKILL
TIMEOUT_GRACE = 1.0
READ_DRAIN = 2.0  # after the child is gone, seconds the readers get to empty the pipes

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


class _EventQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The events between the readers and the consumer: never full for ``put_nowait`` (the
    supervisor's closing ``None`` must always fit), but ``room()`` makes readers wait while
    QUEUE_HIGH events are queued, until the consumer is down to QUEUE_LOW.

    Uses the ``_init``/``_put``/``_get`` hooks asyncio.Queue keeps for subclasses.
    """

    def _init(self, maxsize: int) -> None:
        super()._init(maxsize)  # type: ignore[misc]
        self._room = asyncio.Event()
        self._room.set()

    def _put(self, item: Event | None) -> None:
        super()._put(item)  # type: ignore[misc]
        if self.qsize() >= QUEUE_HIGH:
            self._room.clear()

    def _get(self) -> Event | None:
        item: Event | None = super()._get()  # type: ignore[misc]
        if self.qsize() <= QUEUE_LOW:
            self._room.set()
        return item

    def has_room(self) -> bool:
        return self._room.is_set()

    async def room(self) -> None:
        await self._room.wait()


class Run:
    """One run of one snippet. Iterate ``events()`` once; call ``cancel()`` from anywhere."""

    def __init__(self, spec: RunSpec, pool: WarmPool | None = None) -> None:
        self.spec = spec.resolved()
        self.run_id: str = self.spec.run_id  # type: ignore[assignment]
        self.pool = pool
        self.warm = False  # True when a warm spare ran this snippet
        self.child = ChildProcess()
        self.workdir: Path | None = None
        self._queue: _EventQueue = _EventQueue()
        self._t0 = time.monotonic()
        self._stop_reason: str | None = None  # cancelled | timeout | memory
        self._cancel_event: asyncio.Event | None = None
        self._peak_rss = 0
        self._child_peak_mb: float | None = None
        self._exit_code_reported: int | None = None
        self._started = False
        self._error_seen = False
        self._nan_warned: set[str] = set()
        self._held_batches: dict[str, Metric] = {}  # per split, see _handle_metric
        self._last_batch: dict[str, float] = {}
        self._batch_timer: asyncio.TimerHandle | None = None
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
            plan, binds = self._plan_workdir()
            # A spare's sandbox was set up before this run was known: it sees its own work
            # dir but not data linked from a folder the sandbox hides (/tmp...): start cold.
            warm_ok = self.pool is not None and not self.spec.env and not binds
            spare = await self.pool.take(key) if self.pool is not None and warm_ok else None
            if spare is not None and spare.workdir is not None:
                self.child, self.warm = spare, True
                self.workdir = self._make_workdir(plan, spare.workdir)
            else:
                if spare is not None:  # no work dir of its own: unusable
                    spare.kill_tree()
                    spare.close()
                self.workdir = self._make_workdir(plan)
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
                        binds=[self.workdir, *binds],
                    ),
                    work_folder(self.workdir),
                    ENV_FD,
                    CONTROL_FD_ENV,
                )
                self.child.workdir = self.workdir
            snippet = work_folder(self.workdir) / self._snippet_name()
            snippet.write_text(self.spec.source or "", encoding="utf-8")
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
        """Queue an event; readers ``await self._room()`` before reading more, so the queue
        stays near QUEUE_HIGH however fast the child writes."""
        self._queue.put_nowait(event)

    async def _room(self) -> None:
        """Back-pressure while the child lives: wait until the consumer has caught up.

        Once the child is gone nothing more can arrive, so the readers empty the pipes at full
        speed (a bounded amount: the pipe and the event reader's 2 MiB buffer): the supervisor
        gives them only READ_DRAIN seconds, and the "done" message must not be lost.
        """
        if self.child.returncode is None:
            await self._queue.room()

    def _snippet_name(self) -> str:
        name = Path(self.spec.path).name if self.spec.path else "snippet.py"
        return name if name.endswith(".py") else name + ".py"

    def _plan_workdir(self) -> tuple[list[tuple[Path, str, bool]], list[Path]]:
        """What goes into the run's directory, and the host paths its sandbox must show.

        Returns (source, name, link?) entries and the paths the links lead to that the
        sandbox would hide (under /tmp, /dev/shm...): those are bound into the run, at the
        same path, so the links keep working.

        ``data_files`` (a lesson's data) are copied, so a snippet cannot change the lesson's
        originals (links past MAX_DATA_COPY bytes). The entries of ``data_dir`` (the folder of
        a file given to ``fwlearn run``) are linked, not copied: that folder can be anything,
        a home directory included, and the run should see it as ``python file.py`` there would.
        """
        plan: list[tuple[Path, str, bool]] = []
        names: set[str] = set()
        budget = MAX_DATA_COPY
        for item in map(Path, self.spec.data_files):
            with contextlib.suppress(OSError):
                size = _size_up_to(item, budget + 1)
                if item.is_dir() or item.is_file():
                    plan.append((item, item.name, size > budget))
                    names.add(item.name)
                budget -= min(size, budget)
        data_dir = Path(self.spec.data_dir) if self.spec.data_dir else None
        if data_dir is not None and data_dir.is_dir():
            with contextlib.suppress(OSError):
                for item in sorted(data_dir.iterdir()):
                    if item.name.startswith(".") or item.name in names:
                        continue
                    if item.is_file() or item.is_dir():  # no sockets, fifos or devices
                        plan.append((item, item.name, True))
                        names.add(item.name)
        targets = sorted(
            {str(item.resolve()) for item, _, link in plan if link and hidden_path(str(item))}
        )
        if data_dir is not None and any(t.startswith(str(data_dir.resolve())) for t in targets):
            targets.append(str(data_dir.resolve()))  # one bind for the folder, not each entry
        binds: list[str] = []
        for target in sorted(set(targets)):
            if not any(target == b or target.startswith(b.rstrip("/") + "/") for b in binds):
                binds.append(target)
        return plan, [Path(b) for b in binds]

    def _make_workdir(
        self, plan: list[tuple[Path, str, bool]], workdir: Path | None = None
    ) -> Path:
        """Fill ``workdir`` (a spare's) or a fresh directory, named after this engine's pid
        so that one left behind by a killed engine is swept at the next start."""
        workdir = workdir or make_workdir()
        for item, name, link in plan:
            target = work_folder(workdir) / name
            if target.exists() or target.is_symlink():
                continue
            with contextlib.suppress(OSError, shutil.Error):
                if link:
                    target.symlink_to(item.resolve())
                elif item.is_dir():
                    shutil.copytree(item, target, symlinks=True)
                else:
                    shutil.copy2(item, target)
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
            "cwd": str(snippet.parent),
            "threads": threads,
            "limits": limits,
        }
        return json.dumps(job).encode()

    def _limits(self, network: str | None = None, sandbox: Any = None) -> dict[str, Any]:
        """The limits in force, as the learner is shown them.

        ``sandbox`` is the worker's report (see ``sandbox.Report``): "sandbox" is its one-line
        summary ("on", "partial (off: ...)", "off") for the status bar, "sandbox_checks" each
        protection with why it is off, for ``fwlearn doctor``.
        """
        linux = sys.platform.startswith("linux")
        checks = dict(sandbox) if isinstance(sandbox, dict) else {}
        summary = str(checks.pop("summary", "unknown"))
        return {
            "timeout_s": self.spec.timeout,
            "memory_mb": self.spec.memory_mb if linux else None,
            "max_processes": self.spec.max_processes if linux else None,
            "max_threads": self.spec.max_threads if linux else None,
            "network": network or ("allowed" if self.spec.network else "unknown"),
            "sandbox": summary,
            "sandbox_checks": {str(k): str(v) for k, v in checks.items()},
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
            if not self._queue.has_room():
                await self._room()
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
        """Turn the child's JSON lines into events until the channel closes.

        This reader must never die: a message it cannot use (not JSON, too large, nested too
        deeply, a field of the wrong type, a non-finite epoch) becomes one Warning and is
        dropped, and the next message is read as usual. Were it to die, later metrics would be
        lost, the run reported "crashed", and a snippet that keeps reporting would block on a
        full pipe until the timeout.
        """
        reader = self.child.events
        assert reader is not None
        early = list(self.child.early_lines)
        while True:
            if not self._queue.has_room():  # checked first: this loop runs per message
                await self._room()
            try:
                line = early.pop(0) if early else await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                self._bad_message("it is longer than the channel's buffer")
                continue
            if not line:
                break
            if len(line) > MAX_MESSAGE_BYTES:
                self._bad_message(
                    f"it is {len(line) / 2**20:.1f} MB (the limit is "
                    f"{MAX_MESSAGE_BYTES // 2**20} MB)"
                )
                continue
            try:
                message = load_message(line)
                if not isinstance(message, dict) or message.get("type") not in CHILD_TYPES:
                    raise ValueError("not a message fwlearn knows")
                self._handle_message(message)
            except RecursionError:
                self._bad_message("it is nested too deeply")
            except Exception as exc:  # whatever a hostile line does, the reader goes on
                self._bad_message(str(exc)[:200] or type(exc).__name__)
        self._flush_batches()

    def _bad_message(self, reason: str = "") -> None:
        """Count a dropped message; only the first gets a Warning, so garbage written to the
        channel in a loop cannot flood the learner's log."""
        self._bad_messages += 1
        if self._bad_messages == 1:
            why = f": {clean(reason)}" if reason else ""
            self._put(
                Warning(
                    self.run_id,
                    self._now(),
                    "channel",
                    "ignored a malformed message on fwlearn's event channel "
                    f"(something other than fwlearn.report wrote to it){why}",
                )
            )

    def _handle_message(self, message: dict[str, Any]) -> None:
        """Build the event for one message, already cleaned by ``safe_value``.

        Raises ValueError/TypeError for a field of the wrong type; the reader drops the message.
        """
        kind = message["type"]
        now = self._now()
        if kind != "metric":
            self._flush_batches()  # a held batch metric goes out before what came after it
        if kind == "start":
            if self._started:
                return
            backend = message.get("keras_backend")
            self._put(
                Start(
                    self.run_id,
                    now,
                    framework=str(message.get("framework", self.spec.framework)),
                    python=str(message.get("python", "")),
                    device=str(message.get("device", "cpu")),
                    pid=_whole(message.get("pid"), "pid") or self.child.pid or 0,
                    keras_backend=None if backend is None else str(backend),
                    versions={
                        str(k): str(v) for k, v in dict(message.get("versions") or {}).items()
                    },
                    threads=_whole(message.get("threads"), "threads") or 1,
                    limits=self._limits(str(message.get("network") or ""), message.get("sandbox")),
                )
            )
        elif kind == "metric":
            self._handle_metric(message, now)
        elif kind == "prediction":
            rows = tuple(dict(row) for row in list(message.get("rows") or [])[:MAX_PREDICTION_ROWS])
            total = _whole(message.get("total"), "total")
            self._put(Prediction(self.run_id, now, rows, len(rows) if total is None else total))
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
            self._exit_code_reported = _whole(message.get("exit_code"), "exit_code") or 0
            self._child_peak_mb = finite_or_none(message.get("peak_rss_mb"))

    def _handle_metric(self, message: dict[str, Any], now: float) -> None:
        raw_values = message.get("values") or {}
        if not isinstance(raw_values, dict):
            raise TypeError("metric values are not a mapping")
        values = {str(k): finite_or_none(v) for k, v in raw_values.items()}
        epoch, step = _whole(message.get("epoch"), "epoch"), _whole(message.get("step"), "step")
        split = str(message.get("split"))
        if split not in ("train", "val", "test"):
            split = "train"
        metric = Metric(self.run_id, now, values, epoch, step, split)  # type: ignore[arg-type]
        if step is None:
            self._flush_batches()
            self._put(metric)
        else:
            # Coalesce: one batch metric per split per BATCH_METRIC_INTERVAL reaches the
            # consumer; a newer one replaces a held one, which goes out when its time is up.
            self._held_batches[split] = metric
            wait = self._last_batch.get(split, -math.inf) + BATCH_METRIC_INTERVAL - time.monotonic()
            if wait <= 0:
                self._flush_batches()
            elif self._batch_timer is None:  # due even if the snippet goes quiet now
                loop = asyncio.get_running_loop()
                self._batch_timer = loop.call_later(wait, self._flush_batches)
        for name, value in values.items():
            if value is None and name not in self._nan_warned and raw_values.get(name) is not None:
                self._nan_warned.add(name)
                where = f" at epoch {epoch}" if epoch is not None else ""
                raw = raw_values[name]
                what = raw if isinstance(raw, float) else "not a number"
                self._put(
                    Warning(
                        self.run_id,
                        now,
                        "nan",
                        f"{name} is {what}{where}: training diverged (try a smaller learning rate)",
                    )
                )

    def _flush_batches(self) -> None:
        """Send the held (coalesced) batch metrics."""
        if self._batch_timer is not None:
            self._batch_timer.cancel()
            self._batch_timer = None
        if not self._held_batches:
            return
        now = time.monotonic()
        for split, metric in self._held_batches.items():
            self._last_batch[split] = now
            self._put(metric)
        self._held_batches.clear()

    def _error_from_child(self, message: dict[str, Any], now: float) -> Error:
        kind = str(message.get("kind", "exception"))
        if kind not in ERROR_KINDS:
            kind = "exception"
        text = str(message.get("message", ""))
        exc_type = message.get("exc_type")
        if exc_type == "KeyboardInterrupt" and self._stop_reason:
            kind = "timeout" if self._stop_reason == "timeout" else "cancelled"
            text = self._stop_message()
        line = message.get("line")
        return Error(
            self.run_id,
            now,
            kind,  # type: ignore[arg-type]
            text,
            str(message.get("traceback") or ""),
            line if isinstance(line, int) and not isinstance(line, bool) else None,
            None if exc_type is None else str(exc_type),
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


def _whole(value: Any, name: str) -> int | None:
    """An integer field of a child's message (epoch, step, pid...), or None when absent.

    ``int(float("inf"))`` raised OverflowError inside the reader before; a huge epoch crashed
    the app's chart. Anything that is not a finite whole number within 2**53 is refused.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} is {value}")
    if abs(value) > 2**53:
        raise ValueError(f"{name} is out of range")
    return int(value)


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


# What a RunResult keeps (see RunResult): the rest is counted in ``dropped``.
MAX_KEPT_METRICS = 2_000  # epochs with their metrics, evenly thinned (and as many batch points)
MAX_KEPT_FACTS = 1_000  # distinct fact names; a name reported again replaces its old value
MAX_KEPT_NOTES = 200  # warnings, and errors, each


@dataclass
class _Groups:
    """Metric events grouped by position (epoch, step), thinned as one series."""

    thinning: Thinning = field(default_factory=lambda: Thinning(MAX_KEPT_METRICS))
    position: object = None  # (epoch, step) of the latest group
    index: int = -1  # the latest group's arrival index
    members: list[Metric] = field(default_factory=list)  # the latest group's events
    index_of: dict[int, int] = field(default_factory=dict)  # id(kept event) -> group index


@dataclass
class RunResult:
    """Everything a finished run produced, with the views tests and the CLI ask for.

    Bounded, so a run that reports a million times cannot exhaust the CLI's or the app's
    memory. 1,000,000 ``report(epoch=i, loss=...)`` calls, peak RSS of ``fwlearn run``: 518 MB
    when every event was kept, 38 MB now (``--json``: 510 -> 36 MB; ``.venv/bin/python
    bench/report_flood.py --only cli``, which measures it as ``/usr/bin/time`` does). Metric
    events are kept per epoch (all splits of one epoch together) for at most
    ``MAX_KEPT_METRICS`` epochs, thinned evenly over the run with the first and the latest
    epoch always kept (``history.Thinning``); batch metrics likewise. ``final_metrics`` still
    sees every value. Only the latest prediction table and the latest value of each fact are
    kept, at most ``MAX_KEPT_FACTS`` names and ``MAX_KEPT_NOTES`` warnings and errors. Output is
    kept whole: the engine caps it per stream (``MAX_OUTPUT_CHARS``). ``dropped`` counts
    the events left out. Build one incrementally with ``add`` or from a list of events.
    """

    events: list[Event] = field(default_factory=list)
    dropped: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        given, self.events = self.events, []
        self._final: dict[str, float | None] = {}
        self._groups = {True: _Groups(), False: _Groups()}  # by "is an epoch metric"
        self._facts: dict[str, Fact] = {}
        self._prediction: Prediction | None = None
        self._notes = {"warning": 0, "error": 0}
        for event in given:
            self.add(event)

    def add(self, event: Event) -> None:
        """Keep ``event`` (or count it in ``dropped``), within the caps above."""
        if isinstance(event, Metric):
            self._add_metric(event)
            return
        if isinstance(event, Fact):
            previous = self._facts.get(event.name)
            if previous is None and len(self._facts) >= MAX_KEPT_FACTS:
                self.dropped += 1
                return
            if previous is not None:
                self._remove([previous])
            self._facts[event.name] = event
        elif isinstance(event, Prediction):
            if self._prediction is not None:
                self._remove([self._prediction])
            self._prediction = event
        elif isinstance(event, (Warning, Error)):
            if self._notes[event.type] >= MAX_KEPT_NOTES:
                self.dropped += 1
                return
            self._notes[event.type] += 1
        self.events.append(event)

    def _add_metric(self, metric: Metric) -> None:
        if metric.step is None:
            prefix = "" if metric.split == "train" else f"{metric.split}_"
            for name, value in metric.values.items():
                self._final[prefix + name] = value
        groups = self._groups[metric.step is None]
        position: object = (metric.epoch, metric.step)
        if metric.epoch is None and metric.step is None:
            position = object()  # no position: each report is its own point
        if position != groups.position:
            thinning = groups.thinning
            if groups.members and not thinning.keeps(groups.index):
                self._remove(groups.members)  # it was kept only while it was the latest
            groups.position, groups.index, groups.members = position, thinning.arrive(), []
            if thinning.over():
                thinning.halve()
                self._compact(groups)
        groups.members.append(metric)
        groups.index_of[id(metric)] = groups.index
        self.events.append(metric)

    def _compact(self, groups: _Groups) -> None:
        """Drop the metric events of ``groups`` that the doubled stride no longer keeps."""
        keeps, index_of = groups.thinning.keeps, groups.index_of
        kept: list[Event] = []
        for event in self.events:
            index = index_of.get(id(event)) if isinstance(event, Metric) else None
            if index is None or keeps(index):
                kept.append(event)
            else:
                del index_of[id(event)]
                self.dropped += 1
        self.events = kept

    def _remove(self, gone: list[Event]) -> None:
        """Remove these events, looking from the end (they are recent, so this is short)."""
        if len(gone) == 1 and self.events and self.events[-1] is gone[0]:
            self.events.pop()  # the usual case: the previous epoch, right before this one
            self.dropped += 1
            for groups in self._groups.values():
                groups.index_of.pop(id(gone[0]), None)
            return
        ids = {id(event) for event in gone}
        for position in range(len(self.events) - 1, -1, -1):
            event = self.events[position]
            if id(event) in ids:
                del self.events[position]
                ids.discard(id(event))
                self.dropped += 1
                for groups in self._groups.values():
                    groups.index_of.pop(id(event), None)
                if not ids:
                    return

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
        """The last reported value of each metric, val/test ones prefixed as Keras names them
        (from every metric reported, thinned or not)."""
        return dict(self._final)

    @property
    def facts(self) -> dict[str, Any]:
        return {name: fact.value for name, fact in self._facts.items()}

    @property
    def predictions(self) -> Prediction | None:
        return self._prediction

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
