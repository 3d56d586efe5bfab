"""The scripted engine the Pilot tests run on tells the truth: for each fixture-pack program it
yields what the real engine yields (slow: real runs), and it ends, fails and cancels as the real
one does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from fwlearn.engine import End, Error, Event, Fact, Metric, Output, Prediction, Run, RunSpec
from fwlearn.engine.scripted import CANCELLED_EXIT_CODE, HOLD, ScriptedEngine, exception

PACK = Path(__file__).parent / "fixtures" / "pack"


def spec_of(program: Path, source: str | None = None) -> RunSpec:
    framework = "keras" if program.name == "in_keras.py" else "pytorch"
    return RunSpec(path=program, source=source or program.read_text(), framework=framework)


def what_it_said(events: list[Event]) -> dict[str, Any]:
    """What a learner and a check read of a run, without timing, pids and line batching."""
    return {
        "stdout": [
            line
            for e in events
            if isinstance(e, Output) and not e.partial and e.stream == "stdout"
            for line in e.lines
        ],
        "metrics": [(m.epoch, m.split, m.values) for m in events if isinstance(m, Metric)],
        "facts": [(f.name, f.value) for f in events if isinstance(f, Fact)],
        "predictions": [p.rows for p in events if isinstance(p, Prediction)],
        "errors": [(e.kind, e.exc_type) for e in events if isinstance(e, Error)],
        "end": [(e.status, e.exit_code) for e in events if isinstance(e, End)],
        "first": type(events[0]).__name__,
    }


async def drain(run: Any, cancel_after: int | None = None) -> list[Event]:
    events: list[Event] = []
    async for event in run.events():
        events.append(event)
        lines = sum(len(e.lines) for e in events if isinstance(e, Output) and not e.partial)
        if cancel_after is not None and lines >= cancel_after:
            run.cancel()
            cancel_after = None
    return events


@pytest.mark.slow
@pytest.mark.parametrize(
    "program,edit",
    [
        ("01-basics/in_keras.py", None),
        ("01-basics/in_pytorch.py", ("EPOCHS = 2", "EPOCHS = 4")),
        ("02-slow/solution/in_pytorch.py", None),
    ],
)
async def test_the_script_says_what_a_real_run_of_the_program_says(
    engine: ScriptedEngine, program: str, edit: tuple[str, str] | None
) -> None:
    path = PACK / program
    source = path.read_text()
    if edit:
        source = source.replace(*edit)
    real = await drain(Run(spec_of(path, source)))
    scripted = await drain(engine.run(spec_of(path, source)))
    assert what_it_said(scripted) == what_it_said(real)


@pytest.mark.slow
async def test_a_cancelled_script_ends_as_a_cancelled_real_run(engine: ScriptedEngine) -> None:
    path = PACK / "02-slow" / "in_pytorch.py"
    real = await drain(Run(spec_of(path)), cancel_after=4)
    scripted = await drain(engine.run(spec_of(path)), cancel_after=4)
    assert what_it_said(scripted)["end"] == what_it_said(real)["end"]
    assert [e.kind for e in scripted if isinstance(e, Error)] == ["cancelled"]
    assert [e.kind for e in real if isinstance(e, Error)] == ["cancelled"]


async def test_a_script_holds_until_released_and_a_cancel_ends_it_at_once() -> None:
    engine = ScriptedEngine()
    engine.will_run(HOLD)
    run = engine.run(RunSpec(source="pass", framework="python"))
    task = asyncio.ensure_future(drain(run))
    while not run.holding:
        await asyncio.sleep(0)
    assert run.end is None
    run.cancel()
    events = await asyncio.wait_for(task, 5)
    assert isinstance(events[-1], End) and events[-1].status == "cancelled"
    assert events[-1].exit_code == CANCELLED_EXIT_CODE

    engine.hold_runs = True
    run = engine.run(RunSpec(source="pass", framework="python"))
    task = asyncio.ensure_future(drain(run))
    while not run.holding:
        await asyncio.sleep(0)
    engine.release_all()
    assert (await asyncio.wait_for(task, 5))[-1].status == "ok"  # type: ignore[attr-defined]


async def test_an_exception_fails_the_run_and_a_bad_spec_is_refused() -> None:
    engine = ScriptedEngine()
    engine.will_run(exception("ValueError", "bad", [("/w/in_keras.py", 3, "<module>", "f()")]))
    events = await drain(engine.run(RunSpec(source="f()", framework="keras")))
    error = next(e for e in events if isinstance(e, Error))
    assert (error.kind, error.line, error.message) == ("exception", 3, "ValueError: bad")
    assert events[-1].status == "failed" and events[-1].exit_code == 1  # type: ignore[attr-defined]
    from fwlearn.engine import UsageError

    with pytest.raises(UsageError):
        engine.run(RunSpec(source="pass", framework="fortran"))
