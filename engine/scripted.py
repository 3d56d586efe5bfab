"""A scripted engine: runs that yield given events instead of running code.

Why it exists: the app's Pilot tests mostly need "a run happened and produced X" (printed
lines, an epoch's metrics, a fact, predictions, a traceback, an end), and the real engine pays a
sandboxed child process per run for that: on 2 idle cores a Pilot test of the numpy fixture
pack took 2-5 s (``pytest tests/tui -m "not slow" --durations=30``) and ``make test-fast`` 95 s.
A ``ScriptedRun`` has the public surface of ``runner.Run`` that a consumer uses (``events()``,
``cancel()``, ``spec``, ``run_id``, ``end``), so the app takes one unchanged; its events are the
engine's own types, stamped with the run's id and its clock, in the order a real run yields
them (``Start`` first, ``End`` last). A recorded ``fwlearn run --json`` is a script too:
``[event_from_dict(json.loads(line)) for line in lines]``.

Pacing is the test's: ``HOLD`` in a script stops the run there, as a long snippet would, until
``release()`` or ``cancel()``. Cancelling ends the run as a cancelled real run ends (an
``Error`` of kind "cancelled", then ``End`` with status "cancelled" and exit code 130). An
exception in a script is raised from ``events()``: what an engine bug looks like to its consumer.
Runs are driven by the event loop that iterates them; ``cancel`` and ``release`` belong to that
loop too (unlike ``Run.cancel``, which any thread may call).
"""

from __future__ import annotations

import asyncio
import platform
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .events import End, Error, Event, Fact, Metric, Output, Prediction, Start, Stream
from .spec import RunSpec
from .supervisor import CANCELLED_MESSAGE


class Hold:
    """The script's pause: the run waits here until released or cancelled."""

    def __repr__(self) -> str:
        return "HOLD"


HOLD = Hold()

ScriptItem = Event | Hold | Exception
Script = Iterable[ScriptItem]

# What a cancelled run ends with: the worker's KeyboardInterrupt is said so, and 128 + SIGINT.
CANCELLED_EXIT_CODE = 130


# -- events without an envelope: a ScriptedRun stamps run_id and t as it yields each ----------


def start(spec: RunSpec) -> Start:
    """The ``Start`` a real run of ``spec`` would report on this machine (CPU, sandbox on)."""
    framework = spec.framework or "python"
    return Start(
        "",
        0.0,
        framework=framework,
        python=platform.python_version(),
        keras_backend=spec.keras_backend if framework == "keras" else None,
        threads=spec.threads or 1,
        limits=spec.limits_shown(network="off", sandbox={"summary": "on"}),
    )


def printed(*lines: str, stream: Stream = "stdout") -> Output:
    """Complete lines the snippet printed."""
    return Output("", 0.0, stream=stream, lines=tuple(lines))


def epoch(number: int, **values: float) -> list[Metric]:
    """What ``report(epoch=number, **values)`` sends: ``val_`` names go to the "val" split
    without their prefix, one ``Metric`` per split, train first."""
    splits: dict[str, dict[str, float | None]] = {}
    for name, value in values.items():
        split, _, bare = name.partition("_") if name.startswith("val_") else ("train", "", name)
        splits.setdefault(split, {})[bare] = value
    return [
        Metric("", 0.0, values=named, epoch=number, split=split)  # type: ignore[arg-type]
        for split, named in splits.items()
    ]


def fact(name: str, value: Any) -> Fact:
    return Fact("", 0.0, name=name, value=value)


def predictions(rows: Sequence[Mapping[str, Any]]) -> Prediction:
    """A table of rows with ``input``, ``predicted`` and ``actual``."""
    return Prediction("", 0.0, rows=tuple(dict(row) for row in rows), total=len(rows))


def exception(
    exc_type: str, message: str, frames: Sequence[tuple[str, int, str, str]]
) -> list[Event]:
    """An uncaught exception, as the worker reports it: the ``Error`` (its line is the last
    frame in the first file, the snippet's), then the traceback printed on stderr.
    ``frames`` are (file, line, function, source line), outermost first."""
    traceback = ["Traceback (most recent call last):"]
    for filename, number, function, code in frames:
        traceback += [f'  File "{filename}", line {number}, in {function}', f"    {code}"]
    traceback.append(f"{exc_type}: {message}")
    snippet = frames[0][0] if frames else ""
    line: int | None = next((n for f, n, _fn, _c in reversed(frames) if f == snippet), None)
    bare_type = exc_type.rsplit(".", 1)[-1]
    error = Error(
        "",
        0.0,
        kind="exception",
        message=f"{bare_type}: {message}",
        traceback="\n".join(traceback) + "\n",
        line=line,
        exc_type=bare_type,
        frames=tuple({"line": n, "function": fn} for f, n, fn, _c in frames if f == snippet),
    )
    return [error, printed(*traceback, stream="stderr")]


# -- runs -------------------------------------------------------------------------------------


class ScriptedRun:
    """One run that yields ``script``'s events. Iterate ``events()`` once."""

    def __init__(self, spec: RunSpec, script: Script = ()) -> None:
        self.spec = spec.resolved()  # a bad spec raises UsageError here, as Run's does
        self.run_id: str = self.spec.run_id or ""
        self.script = list(script)
        self.end: End | None = None
        self.cancelled = False
        self.holding = False  # waiting at a HOLD
        self.yielded: list[Event] = []
        self._wake = asyncio.Event()
        self._t0 = time.monotonic()

    def cancel(self) -> None:
        """Stop at the next event (or at once, from a HOLD), ending as a cancelled run."""
        self.cancelled = True
        self._wake.set()

    def readiness(self) -> str:
        """A scripted run has no framework to import: always ready, never "warming up"."""
        return "ready"

    def release(self) -> None:
        """Go on past the HOLD the run waits at (or the next one it reaches)."""
        self._wake.set()

    async def events(self) -> AsyncGenerator[Event, None]:
        self._t0 = time.monotonic()
        items = self.script
        if not items or not isinstance(items[0], Start):
            items = [start(self.spec), *items]
        failed = False
        for item in items:
            if self.cancelled:
                break
            if isinstance(item, Hold):
                self.holding = True
                await self._wake.wait()
                self._wake.clear()
                self.holding = False
                continue
            if isinstance(item, Exception):
                raise item
            event = self._stamp(item)
            failed = failed or isinstance(event, Error)
            if isinstance(event, End):
                self.end = event
            yield event
            if self.end is not None:
                return
            await asyncio.sleep(0)  # a real run's events arrive over time, not in one go
        if self.cancelled:
            yield self._stamp(Error("", 0.0, kind="cancelled", message=CANCELLED_MESSAGE))
        status = "cancelled" if self.cancelled else "failed" if failed else "ok"
        exit_code = CANCELLED_EXIT_CODE if self.cancelled else int(failed)
        self.end = self._stamp(End("", 0.0, status=status, exit_code=exit_code))  # type: ignore[arg-type]
        yield self.end

    def _stamp(self, event: Any) -> Any:
        now = round(time.monotonic() - self._t0, 4)
        if isinstance(event, End):
            event = replace(event, wall=round(now, 3))
        stamped = replace(event, run_id=self.run_id, t=now)
        self.yielded.append(stamped)
        return stamped


class ScriptedEngine:
    """Makes ``ScriptedRun``s: the next queued script (``will_run``), else ``script(spec)``,
    else a run that prints nothing and ends ok. ``runs`` lists every run made, oldest first."""

    def __init__(self, script: Callable[[RunSpec], Script] | None = None) -> None:
        self.script = script
        self.queued: deque[list[ScriptItem]] = deque()
        self.runs: list[ScriptedRun] = []
        # True: each run made from now on holds before it ends (a long run, until released).
        self.hold_runs = False

    def will_run(self, *items: ScriptItem | Iterable[Event]) -> None:
        """The next run yields these (lists of events, as ``epoch`` returns, are flattened)."""
        flat: list[ScriptItem] = []
        for item in items:
            if isinstance(item, (Event, Hold, Exception)):
                flat.append(item)
            else:
                flat.extend(item)
        self.queued.append(flat)

    def run(self, spec: RunSpec) -> ScriptedRun:
        resolved = spec.resolved()
        if self.queued:
            script: Script = self.queued.popleft()
        elif self.script is not None:
            script = self.script(resolved)
        else:
            script = ()
        run = ScriptedRun(resolved, [*script, HOLD] if self.hold_runs else script)
        self.runs.append(run)
        return run

    def release_all(self) -> None:
        for run in self.runs:
            run.release()

    def last(self, framework: str | None = None) -> ScriptedRun:
        """The latest run (of ``framework``, when given)."""
        return next(
            run
            for run in reversed(self.runs)
            if framework is None or run.spec.framework == framework
        )
