"""Reading a run's child: its stdout/stderr and its event channel, into one queue of events.

Three readers run per run (stdout, stderr, the channel) and feed ``EventQueue``; the consumer
(``Run.events``) drains it. The readers apply back-pressure, turn channel messages
(``protocol.decode``) into events, coalesce per-batch metrics, and never die of what a hostile
snippet writes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from .events import (
    ERROR_KINDS,
    Error,
    Event,
    Fact,
    InputWanted,
    Metric,
    Output,
    Prediction,
    Start,
    Stream,
    Warning,
    finite_or_none,
)
from .output import LineAssembler, clean
from .process import ChildProcess
from .protocol import ErrorMessage, MetricMessage, StartMessage, decode
from .supervisor import Supervisor

MAX_OUTPUT_CHARS = 64 * 2**20  # delivered per stream; a marker says when the rest was dropped
PARTIAL_INTERVAL = 0.1
READ_SIZE = 1 << 16
# The event channel (see ChannelReader): a message past this is dropped with a warning.
MAX_MESSAGE_BYTES = 1 << 20  # 50 prediction rows of 784-pixel images are ~0.3 MB
BATCH_METRIC_INTERVAL = 0.1  # per-batch metrics are coalesced to one per split per 0.1 s
# Back-pressure: readers stop reading the child's pipes while this many events wait for the
# consumer, so a flooding snippet blocks on its own write instead of the engine buffering it.
QUEUE_HIGH = 256  # an Output event carries up to READ_SIZE bytes: <= 16 MB held
QUEUE_LOW = 128

Clock = Callable[[], float]  # seconds since the run started


class EventQueue(asyncio.Queue[Event | None]):
    """The events between the readers and the consumer: never full for ``put_nowait`` (the
    supervisor's closing ``None`` must always fit), but ``room()`` makes readers wait while
    QUEUE_HIGH events are queued, until the consumer is down to QUEUE_LOW.

    Uses the ``_init``/``_put``/``_get`` hooks asyncio.Queue keeps for subclasses.
    """

    def _init(self, maxsize: int) -> None:
        super()._init(maxsize)
        self._room = asyncio.Event()
        self._room.set()

    def _put(self, item: Event | None) -> None:
        super()._put(item)
        if self.qsize() >= QUEUE_HIGH:
            self._room.clear()

    def _get(self) -> Event | None:
        item: Event | None = super()._get()
        if self.qsize() <= QUEUE_LOW:
            self._room.set()
        return item

    async def room(self, child: ChildProcess) -> None:
        """Back-pressure while the child lives: wait until the consumer has caught up.

        Once the child is gone nothing more can arrive, so the readers empty the pipes at full
        speed (a bounded amount: the pipe and the event reader's 2 MiB buffer): the supervisor
        gives them only READ_DRAIN seconds, and the "done" message must not be lost.
        """
        if not self._room.is_set() and child.returncode is None:
            await self._room.wait()


async def read_output(
    child: ChildProcess, stream: str, queue: EventQueue, run_id: str, now: Clock
) -> None:
    """Turn one of the child's output pipes into Output events (partial lines included)."""
    assert child.proc is not None
    reader = child.proc.stdout if stream == "stdout" else child.proc.stderr
    assert reader is not None
    name: Stream = "stdout" if stream == "stdout" else "stderr"
    assembler = LineAssembler(max_chars=MAX_OUTPUT_CHARS)
    sent_partial = ""
    last_partial = 0.0
    while True:
        await queue.room(child)
        try:
            data: bytes | None = await asyncio.wait_for(reader.read(READ_SIZE), PARTIAL_INTERVAL)
        except asyncio.TimeoutError:
            data = None
        if data == b"":
            break
        if data:
            was_truncated = assembler.truncated
            lines = assembler.feed(data)
            if lines:
                queue.put_nowait(Output(run_id, now(), name, tuple(lines)))
                sent_partial = ""
            if assembler.truncated and not was_truncated:
                note = (
                    f"[fwlearn] more than {MAX_OUTPUT_CHARS // 2**20} MB on {stream}: "
                    "the rest of it is not shown (the run goes on)"
                )
                queue.put_nowait(Output(run_id, now(), name, (note,)))
        pending = assembler.pending
        moment = time.monotonic()
        if pending != sent_partial and (data is None or moment - last_partial >= PARTIAL_INTERVAL):
            queue.put_nowait(Output(run_id, now(), name, (pending,), partial=True))
            sent_partial, last_partial = pending, moment
    rest = assembler.flush()
    if rest:
        queue.put_nowait(Output(run_id, now(), name, tuple(rest)))


class ChannelReader:
    """The event channel's reader: the child's messages become events, in order.

    What it learned for the run's end (an error was reported, the exit code and peak memory
    the worker said) is kept in its attributes for ``Supervisor.closing_events``.
    """

    def __init__(self, run_id: str, supervisor: Supervisor, queue: EventQueue, now: Clock):
        self.run_id = run_id
        self.supervisor = supervisor
        self.queue = queue
        self.now = now
        self.started = False
        self.error_seen = False
        self.exit_code_reported: int | None = None
        self.child_peak_mb: float | None = None
        self._nan_warned: set[str] = set()
        self._held_batches: dict[str, Metric] = {}  # per split, see _metric
        self._last_batch: dict[str, float] = {}
        self._batch_timer: asyncio.TimerHandle | None = None
        self._bad_messages = 0

    async def read(self) -> None:
        """Turn the child's JSON lines into events until the channel closes.

        This reader must never die: a message it cannot use (not JSON, too large, nested too
        deeply, a field of the wrong type, a non-finite epoch) becomes one Warning and is
        dropped, and the next message is read as usual. Were it to die, later metrics would be
        lost, the run reported "crashed", and a snippet that keeps reporting would block on a
        full pipe until the timeout.
        """
        child = self.supervisor.child
        reader = child.events
        assert reader is not None
        early = list(child.early_lines)
        while True:
            await self.queue.room(child)  # checked first: this loop runs per message
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
                self._handle(line)
            except RecursionError:
                self._bad_message("it is nested too deeply")
            except Exception as exc:  # whatever a hostile line does, the reader goes on
                self._bad_message(str(exc)[:200] or type(exc).__name__)
        self.flush_batches()

    def _put(self, event: Event) -> None:
        self.queue.put_nowait(event)

    def _bad_message(self, reason: str = "") -> None:
        """Count a dropped message; only the first gets a Warning, so garbage written to the
        channel in a loop cannot flood the learner's log."""
        self._bad_messages += 1
        if self._bad_messages == 1:
            why = f": {clean(reason)}" if reason else ""
            self._put(
                Warning(
                    self.run_id,
                    self.now(),
                    "channel",
                    "ignored a malformed message on fwlearn's event channel "
                    f"(something other than fwlearn.report wrote to it){why}",
                )
            )

    def _handle(self, line: bytes) -> None:
        """Build the event for one line; raises for one the reader must drop."""
        message = decode(line)
        kind = message["type"]
        if kind == "job":
            raise ValueError("not a message fwlearn knows")
        now = self.now()
        if message["type"] == "metric":
            self._metric(message, now)
            return
        self.flush_batches()  # a held batch metric goes out before what came after it
        if message["type"] == "start":
            if not self.started:
                self.started = True
                self._put(self._start(message, now))
        elif message["type"] == "prediction":
            rows = tuple(message["rows"])
            total = len(rows) if message["total"] is None else message["total"]
            self._put(Prediction(self.run_id, now, rows, total, message.get("run", "")))
        elif message["type"] == "fact":
            self._put(
                Fact(self.run_id, now, message["name"], message["value"], message.get("run", ""))
            )
        elif message["type"] == "warning":
            self._put(Warning(self.run_id, now, message["kind"], message["message"]))
        elif message["type"] == "error":
            self.error_seen = True
            self._put(self._error(message, now))
        elif message["type"] == "input":
            self._put(InputWanted(self.run_id, now, message["prompt"]))
        elif message["type"] == "done":
            self.exit_code_reported = message["exit_code"]
            self.child_peak_mb = message["peak_rss_mb"]

    def _start(self, message: StartMessage, now: float) -> Start:
        spec = self.supervisor.spec
        return Start(
            self.run_id,
            now,
            framework=message["framework"] or str(spec.framework),
            python=message["python"],
            device=message["device"],
            pid=message["pid"] or self.supervisor.child.pid or 0,
            keras_backend=message["keras_backend"],
            versions=message["versions"],
            threads=message["threads"] or 1,
            limits=spec.limits_shown(message["network"], message["sandbox"]),
        )

    def _metric(self, message: MetricMessage, now: float) -> None:
        raw_values = message["values"]
        values = {name: finite_or_none(v) for name, v in raw_values.items()}
        epoch, step, split = message["epoch"], message["step"], message["split"]
        metric = Metric(self.run_id, now, values, epoch, step, split, message.get("run", ""))
        if step is None:
            self.flush_batches()
            self._put(metric)
        else:
            # Coalesce: one batch metric per split per BATCH_METRIC_INTERVAL reaches the
            # consumer; a newer one replaces a held one, which goes out when its time is up.
            self._held_batches[split] = metric
            wait = self._last_batch.get(split, -math.inf) + BATCH_METRIC_INTERVAL - time.monotonic()
            if wait <= 0:
                self.flush_batches()
            elif self._batch_timer is None:  # due even if the snippet goes quiet now
                loop = asyncio.get_running_loop()
                self._batch_timer = loop.call_later(wait, self.flush_batches)
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

    def flush_batches(self) -> None:
        """Send the held (coalesced) batch metrics."""
        if self._batch_timer is not None:
            self._batch_timer.cancel()
            self._batch_timer = None
        if not self._held_batches:
            return
        moment = time.monotonic()
        for split, metric in self._held_batches.items():
            self._last_batch[split] = moment
            self._put(metric)
        self._held_batches.clear()

    def _error(self, message: ErrorMessage, now: float) -> Error:
        kind = message["kind"] if message["kind"] in ERROR_KINDS else "exception"
        text = message["message"]
        exc_type = message["exc_type"]
        stop_reason = self.supervisor.stop_reason
        if exc_type == "KeyboardInterrupt" and stop_reason:
            kind = "timeout" if stop_reason == "timeout" else "cancelled"
            text = self.supervisor.stop_message()
        return Error(
            self.run_id,
            now,
            kind,  # type: ignore[arg-type]  # checked against ERROR_KINDS above
            text,
            message["traceback"],
            message["line"],
            exc_type,
            tuple(message.get("frames", ())),
        )
