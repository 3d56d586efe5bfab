"""Hostile use of the event channel: the reader survives anything, memory stays bounded, a
flooding snippet is held back, and no string from a run reaches a terminal raw.

Every case is a real snippet through the real engine (``run_sync``/``Run``), or the real CLI in
a subprocess, written the way the adversarial review attacked: hand-written lines on
``FWLEARN_EVENT_FD`` and the public ``report`` helpers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fwlearn.engine import Error, Fact, Metric, Prediction, Run, RunResult, RunSpec, Warning
from fwlearn.engine.events import ERROR_KINDS, Event
from fwlearn.engine.result import MAX_KEPT_METRICS
from fwlearn.engine.runner import run_sync

# What must never reach a terminal: C0 (but newline), DEL, C1, bidi controls, lone surrogates.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
EVIL = (
    "\x1b]52;c;aGVsbG8=\x07"  # OSC 52: write the learner's clipboard
    "\x1b]0;pwned\x07"  # window title
    "\x1b[2J\x1b[H"  # clear screen, cursor home
    "\x9b31m\x9d0;t\x9c"  # 8-bit C1: CSI colour, OSC title
    "\u202egnp.exe"  # bidi override
    "\udcff"  # lone surrogate
    "\r\x08\x00"
)


def run(source: str, **spec: Any) -> RunResult:
    spec.setdefault("timeout", 60)
    return run_sync(RunSpec(source=textwrap.dedent(source), framework="python", **spec))


def strings(value: Any) -> Iterator[str]:
    """Every string in an event's data, dict keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


def test_a_hostile_message_is_dropped_and_the_reader_goes_on() -> None:
    """Deep nesting (RecursionError), ``epoch: Infinity`` (OverflowError), a huge epoch, a 2 MB
    message, then 30,000 reports: more than the pipe holds, so a dead reader would leave the
    snippet blocked until the timeout. Before the fix: "crashed", metrics lost."""
    result = run(
        """
        import os
        from fwlearn import report
        fd = int(os.environ["FWLEARN_EVENT_FD"])
        os.write(fd, b'{"type": "metric", "values": ' + b"[" * 100000 + b"]" * 100000 + b"}\\n")
        os.write(fd, b'{"type": "metric", "epoch": Infinity, "values": {"loss": 1}}\\n')
        os.write(fd, b'{"type": "metric", "epoch": 1e300, "values": {"loss": 1}}\\n')
        os.write(fd, b'{"type": "metric", "epoch": "1", "values": [1]}\\n')
        os.write(fd, b'{"type": "fact", "name": "big", "value": "' + b"x" * (2 << 20) + b'"}\\n')
        report(epoch=10**400, loss=1.0)
        for e in range(1, 30001):
            report(epoch=e, loss=1.0 / e)
        print("done")
        """,
        timeout=30,
    )
    assert result.ok, (result.error, result.stderr[-500:])
    assert result.stdout == "done"
    assert result.end.wall < 25
    warnings = [e for e in result.events if isinstance(e, Warning)]
    assert [w.kind for w in warnings] == ["channel"], warnings
    epochs = [m.epoch for m in result.epoch_metrics()]
    assert epochs[0] == 1 and epochs[-1] == 30000
    assert result.final_metrics() == {"loss": 1.0 / 30000}
    assert "big" not in result.facts


def test_every_string_from_a_run_is_cleaned_once_at_the_engine() -> None:
    """Escape sequences in an exception, a metric name (through the engine's own NaN warning,
    public ``report`` only), facts, predictions and hand-written events: none reaches a
    consumer raw; bidi overrides become visible and a lone surrogate U+FFFD."""
    result = run(
        f"""
        import json, os
        from fwlearn import report, report_fact, report_predictions
        EVIL = {EVIL!r}
        report(epoch=1, **{{EVIL + "loss": float("nan")}})
        report_fact(EVIL, EVIL)
        report_predictions([EVIL], [EVIL], [EVIL])
        fd = int(os.environ["FWLEARN_EVENT_FD"])
        for message in (
            {{"type": "warning", "kind": EVIL, "message": EVIL}},
            {{"type": "start", "framework": EVIL, "device": EVIL, "versions": {{EVIL: EVIL}}}},
        ):
            os.write(fd, (json.dumps(message) + "\\n").encode())
        raise ValueError(EVIL)
        """
    )
    assert result.end.status == "failed"
    checked = 0
    for event in result.events:
        for text in strings(event.to_dict()):
            assert not UNSAFE.search(text), (type(event).__name__, text)
            checked += 1
    assert checked > 20
    error = result.error
    assert isinstance(error, Error) and error.kind in ERROR_KINDS
    assert "<U+202E>gnp.exe\ufffd" in error.message
    assert "pwned" not in error.message and "aGVsbG8" not in error.message
    nan = [e for e in result.events if isinstance(e, Warning) and e.kind == "nan"]
    assert len(nan) == 1 and "<U+202E>gnp.exe\ufffdloss is nan" in nan[0].message
    (fact,) = [e for e in result.events if isinstance(e, Fact)]
    assert fact.name == fact.value == "<U+202E>gnp.exe\ufffd"
    assert result.predictions is not None
    assert result.predictions.rows[0] == {
        "input": fact.value,
        "predicted": fact.value,
        "actual": fact.value,
    }


def test_an_error_kind_from_the_child_is_one_the_engine_knows() -> None:
    result = run(
        """
        import json, os
        fd = int(os.environ["FWLEARN_EVENT_FD"])
        os.write(fd, (json.dumps({"type": "error", "kind": "\\x1b[2J", "message": "m",
                                  "line": True, "exc_type": {"a": 1}}) + "\\n").encode())
        """
    )
    error = result.error
    assert isinstance(error, Error)
    assert (error.kind, error.line, error.exc_type) == ("exception", None, "{'a': 1}")


def cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}  # a strict terminal encoding
    return subprocess.run(
        [sys.executable, "-m", "fwlearn", "run", str(path), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        env=env,
        timeout=120,
    )


def test_cli_json_is_strict_and_a_surrogate_cannot_crash_the_cli(tmp_path: Path) -> None:
    """Before: bare NaN/Infinity in ``--json``, and a lone surrogate in the exception crashed
    the summary (UnicodeEncodeError) and ``--json`` stopped with no end event."""
    snippet = tmp_path / "evil.py"
    snippet.write_text(
        "from fwlearn import report_fact\n"
        "report_fact('nan', float('nan'))\n"
        "report_fact('inf', [float('-inf'), 1.5])\n"
        "raise ValueError('bad \\udcff \\x1b]0;title\\x07 \\u202e')\n",
        encoding="utf-8",
    )
    json_run = cli(snippet, "--json")
    assert json_run.returncode == 1, json_run.stderr
    assert "UnicodeEncodeError" not in json_run.stderr

    def no_constants(name: str) -> None:
        raise AssertionError(f"not strict JSON: {name}")

    events = [
        json.loads(line, parse_constant=no_constants) for line in json_run.stdout.splitlines()
    ]
    assert events[-1]["type"] == "end" and events[-1]["status"] == "failed"
    facts = {e["name"]: e["value"] for e in events if e["type"] == "fact"}
    assert facts["nan"] is None and facts["inf"] == [None, 1.5]
    assert not any(UNSAFE.search(text) for text in strings(events))

    human = cli(snippet)
    assert human.returncode == 1
    assert "UnicodeEncodeError" not in human.stderr
    summary = human.stdout.splitlines()[-1]
    assert summary == "exception (line 4): ValueError: bad \ufffd  <U+202E>", summary


def test_batch_metrics_are_coalesced_and_the_latest_kept() -> None:
    """20,000 per-batch reports become a few per 0.1 s; the last one and the epoch survive."""
    result = run(
        """
        from fwlearn import report
        for step in range(1, 20001):
            report(epoch=1, step=step, loss=1.0 / step)
        report(epoch=1, loss=0.5)
        """
    )
    assert result.ok
    batches = [m for m in result.metrics if m.step is not None]
    assert 1 <= len(batches) <= result.end.wall / 0.1 + 5, len(batches)
    assert batches[-1].step == 20000
    assert result.final_metrics() == {"loss": 0.5}


@pytest.mark.slow
def test_a_flooding_snippet_waits_for_a_stalled_consumer(tmp_path: Path) -> None:
    """Back-pressure: while the consumer does not read, the snippet blocks on its pipe (the
    engine holds ~2 MiB of its messages, not all 6 MB of them), and what is kept stays bounded.
    Before: the snippet finished during the stall, its messages buffered in the engine."""
    source = textwrap.dedent(
        """
        from pathlib import Path
        from fwlearn import report
        for e in range(1, 10001):
            report(epoch=e, **{f"metric_{i}": e * i for i in range(40)})  # ~0.6 KB each
        Path("finished").touch()
        """
    )
    run_ = Run(RunSpec(source=source, framework="python", timeout=120))
    finished_while_stalled: list[bool] = []

    async def consume() -> RunResult:
        result = RunResult()
        async for event in run_.events():
            result.add(event)
            if isinstance(event, Metric) and not finished_while_stalled:
                assert run_.workdir is not None
                marker = Path(run_.workdir) / "finished"
                for _ in range(40):  # up to 4 s without reading: the snippet needs < 1 s
                    if marker.exists():
                        break
                    await asyncio.sleep(0.1)
                finished_while_stalled.append(marker.exists())
        return result

    result = asyncio.run(consume())
    assert result.ok, result.error
    assert finished_while_stalled == [False]
    epochs = [m.epoch for m in result.epoch_metrics()]
    assert len(epochs) <= MAX_KEPT_METRICS + 1 and result.dropped > 5000
    assert epochs[0] == 1 and epochs[-1] == 10000
    assert result.final_metrics()["metric_39"] == 390000


def test_run_result_keeps_a_bounded_evenly_thinned_history() -> None:
    """No subprocess: a million-event run's RunResult, as the CLI and the app build it."""
    result = RunResult()
    events: list[Event] = []
    for epoch in range(1, 50_001):
        events.append(Metric("r", 0.0, {"loss": 1 / epoch}, epoch))
        events.append(Metric("r", 0.0, {"loss": 2 / epoch}, epoch, split="val"))
        if epoch % 10 == 0:
            events.append(Fact("r", 0.0, "last", epoch))
            events.append(Prediction("r", 0.0, ({"input": epoch},), 1))
    for event in events:
        result.add(event)
    train = result.epoch_metrics("train")
    assert MAX_KEPT_METRICS // 2 <= len(train) <= MAX_KEPT_METRICS + 1
    assert [m.epoch for m in result.epoch_metrics("val")] == [m.epoch for m in train]
    assert train[0].epoch == 1 and train[-1].epoch == 50_000
    gaps = {b.epoch - a.epoch for a, b in itertools.pairwise(train[:-1])}  # type: ignore[operator]
    assert len(gaps) == 1, gaps  # evenly spaced
    assert result.final_metrics() == {"loss": 1 / 50_000, "val_loss": 2 / 50_000}
    assert result.facts == {"last": 50_000}
    assert result.predictions is not None and result.predictions.rows == ({"input": 50_000},)
    assert len(result.events) < 2 * MAX_KEPT_METRICS + 10
    assert result.dropped == len(events) - len(result.events)
    assert math.isclose(RunResult(events).final_metrics()["loss"], 1 / 50_000)
