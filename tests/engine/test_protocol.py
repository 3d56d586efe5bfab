"""The runner <-> worker wire format: every message survives encode -> decode unchanged, and
decode refuses what is not a message (the channel reader turns that into one warning)."""

from __future__ import annotations

import json
import math

import pytest

from fwlearn.engine.protocol import (
    Done,
    ErrorMessage,
    FactMessage,
    InputMessage,
    Job,
    MetricMessage,
    PredictionMessage,
    Ready,
    StartMessage,
    WarningMessage,
    decode,
    encode,
)

MESSAGES = [
    Job(
        type="job",
        run_id="r1-abc",
        path="/tmp/w/work/snippet.py",
        source="print('\\x1b[31mred\\x1b[0m')\n\tindented = 1\n",
        cwd="/tmp/w/work",
        threads=2,
        limits={"cpu_seconds": 270},
    ),
    Job(
        type="job",
        run_id="r2-abc",
        path="/tmp/w/work/snippet.py",
        source="input()\n",
        cwd="/tmp/w/work",
        threads=1,
        limits={},
        echo_input=True,
    ),
    Ready(type="ready", import_seconds=1.25),
    StartMessage(
        type="start",
        framework="keras",
        python="3.11.7",
        device="cpu",
        pid=4242,
        keras_backend="torch",
        versions={"keras": "3.15.1", "torch": "2.13.0"},
        threads=1,
        network="off",
        sandbox={"summary": "on", "pid namespace": "on"},
    ),
    MetricMessage(
        type="metric",
        epoch=3,
        step=None,
        split="val",
        values={"loss": 0.41, "accuracy": 0.88},
        run="",
    ),
    MetricMessage(type="metric", epoch=1, step=17, split="train", values={"loss": 1.5}, run="sgd"),
    PredictionMessage(
        type="prediction",
        rows=[{"input": [0.5, 1.0], "predicted": 1, "actual": 0}],
        total=200,
        run="",
    ),
    FactMessage(type="fact", name="params", value=1234, run=""),
    FactMessage(type="fact", name="shape", value=[28, 28], run="adam"),
    WarningMessage(type="warning", kind="device", message="no GPU: running on the CPU"),
    ErrorMessage(
        type="error",
        kind="exception",
        message="ValueError: bad shape",
        exc_type="ValueError",
        traceback='Traceback (most recent call last):\n  File "snippet.py", line 3\n',
        line=3,
    ),
    ErrorMessage(
        type="error",
        kind="import",
        message="No module named 'x'",
        exc_type=None,
        traceback="",
        line=None,
    ),
    InputMessage(type="input", prompt="(Pdb) "),
    Done(type="done", exit_code=0, peak_rss_mb=212.5),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: str(m["type"]))
def test_every_message_survives_a_round_trip(message: dict[str, object]) -> None:
    line = encode(message)  # type: ignore[arg-type]
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one message, one line
    assert decode(line) == message


def test_every_message_type_is_covered() -> None:
    """A new message type must get a round-trip case here."""
    from fwlearn.engine import protocol

    assert {m["type"] for m in MESSAGES} == {"job", *protocol._PARSERS}


def test_ready_is_parsed_like_any_message() -> None:
    """What the worker writes (key order, spacing) does not matter: no byte-prefix check."""
    assert decode(b'{"import_seconds": 2, "type":"ready"}\n') == Ready(
        type="ready", import_seconds=2.0
    )


def test_child_strings_are_cleaned_but_the_job_is_not() -> None:
    """The channel is writable by learner code; the job is the engine's own snippet source."""
    warning = decode(encode(WarningMessage(type="warning", kind="x", message="\x1b]0;pwned\x07!")))
    assert "\x1b" not in warning["message"] and "\x07" not in warning["message"]  # type: ignore[typeddict-item]
    job = MESSAGES[0]
    assert decode(encode(job))["source"] == job["source"]  # type: ignore[typeddict-item]


def test_defaults_fill_what_a_hand_written_message_leaves_out() -> None:
    """``report()`` and older workers leave fields out; decode gives every field its type."""
    metric = decode(b'{"type": "metric", "split": "bogus", "values": {"loss": NaN}}')
    assert metric["type"] == "metric"
    assert (metric["epoch"], metric["step"], metric["split"]) == (None, None, "train")
    assert math.isnan(metric["values"]["loss"])  # NaN travels: the reader warns about it
    assert decode(b'{"type": "done"}') == Done(type="done", exit_code=0, peak_rss_mb=None)
    error = decode(b'{"type": "error", "kind": "syntax", "line": true}')
    assert error["line"] is None and error["traceback"] == ""  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2]",
        b'{"type": "nonsense"}',
        b'{"no": "type"}',
        b'{"type": "metric", "epoch": Infinity, "values": {}}',
        b'{"type": "metric", "epoch": 1e300, "values": {}}',
        b'{"type": "metric", "values": [1, 2]}',
        b'{"type": "fact", "value": 1}',
        b'{"type": "start", "pid": "one"}',
        json.dumps(
            {"type": "fact", "name": "deep", "value": [[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}
        ).encode(),
    ],
)
def test_what_is_not_a_message_is_refused(line: bytes) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        decode(line)
