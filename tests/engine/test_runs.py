"""The engine against real child processes: plain Python snippets (fast) for the mechanics."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from fwlearn.engine import End, Error, Metric, Output, Run, RunSpec, Start, Warning
from fwlearn.engine.process import descendants


def test_events_arrive_in_order_with_envelope(run) -> None:
    result = run("print('hello')\n", framework="python")
    assert isinstance(result.events[0], Start)
    assert isinstance(result.events[-1], End)
    assert len({e.run_id for e in result.events}) == 1
    times = [e.t for e in result.events]
    assert all(t >= 0 for t in times)
    assert result.stdout == "hello"
    assert result.ok and result.end.exit_code == 0
    assert result.start.pid > 0 and result.start.python


def test_report_metrics_and_predictions_from_a_plain_snippet(run) -> None:
    result = run(
        """
        from fwlearn import report, report_fact, report_predictions
        for epoch in range(1, 4):
            report(epoch=epoch, loss=1.0 / epoch, accuracy=0.3 * epoch, val_loss=2.0 / epoch)
        report_predictions([[1, 2], [3, 4]], [0, 1], [0, 0])
        report_fact("answer", 42)
        """
    )
    assert result.ok
    train = result.epoch_metrics("train")
    assert [m.epoch for m in train] == [1, 2, 3]
    assert train[-1].values == {"loss": 1 / 3, "accuracy": 0.3 * 3}
    assert [m.values["loss"] for m in result.epoch_metrics("val")] == [2.0, 1.0, 2 / 3]
    assert result.final_metrics()["val_loss"] == 2 / 3
    assert result.facts["answer"] == 42
    prediction = result.predictions
    assert prediction is not None and prediction.total == 2
    assert prediction.rows[1] == {"input": [3, 4], "predicted": 1, "actual": 0}


def test_prints_cannot_break_the_event_stream(run) -> None:
    result = run(
        """
        import sys
        from fwlearn import report
        fake = '{"type": "metric", "epoch": 99, "values": {"loss": -1}}'
        for i in range(2000):
            print(fake)
            print(fake, file=sys.stderr)
            sys.stdout.write("\\x00\\x1b[2J" * 3)
            if i % 500 == 0:
                report(epoch=i // 500 + 1, loss=float(i))
        """
    )
    assert result.ok
    metrics = result.epoch_metrics()
    assert [m.epoch for m in metrics] == [1, 2, 3, 4]
    assert all(m.values["loss"] >= 0 for m in metrics)
    assert len(result.lines("stderr")) == 2000


def test_garbage_on_the_event_channel_is_a_warning_not_a_crash(run) -> None:
    result = run(
        """
        import os
        from fwlearn import report
        fd = int(os.environ["FWLEARN_EVENT_FD"])
        os.write(fd, b"not json\\n{\\"type\\": \\"nope\\"}\\n[1, 2]\\n")
        report(epoch=1, loss=0.5)
        """
    )
    assert result.ok
    warnings = [e for e in result.events if isinstance(e, Warning)]
    assert len(warnings) == 1 and warnings[0].kind == "channel"
    assert result.epoch_metrics()[0].values == {"loss": 0.5}


def test_syntax_error_names_its_line(run) -> None:
    result = run("x = 1\ny = 2\nprint(x +\nz = 3\n")
    error = result.error
    assert error is not None and error.kind == "syntax"
    assert error.line == 3
    assert error.message.startswith("SyntaxError: ") and "line" not in error.message
    assert result.end.status == "failed" and result.end.exit_code == 1


def test_syntax_error_on_the_last_line(run) -> None:
    result = run("print('fine')\nif True\n")
    assert result.error is not None and result.error.kind == "syntax" and result.error.line == 2


def test_exception_has_traceback_and_the_snippets_line(run) -> None:
    result = run(
        """
        def divide(a, b):
            return a / b

        print("before")
        divide(1, 0)
        """,
    )
    error = result.error
    assert error is not None and error.kind == "exception"
    assert error.exc_type == "ZeroDivisionError"
    assert error.line == 2  # the innermost frame in the learner's file
    assert error.message.startswith("ZeroDivisionError")
    assert 'snippet.py", line 5' in error.traceback and "line 2, in divide" in error.traceback
    assert "worker.py" not in error.traceback  # the engine's own frames are not the learner's
    assert "ZeroDivisionError" in result.stderr  # the log shows it as python would
    assert result.stdout == "before"
    assert result.end.status == "failed" and result.end.exit_code == 1


def test_timeout_stops_the_run_and_says_where(run) -> None:
    result = run("x = 0\nwhile True:\n    x += 1\n", timeout=1.0)
    assert result.end.status == "timeout"
    assert result.error is not None and result.error.kind == "timeout"
    assert "1 s" in result.error.message
    assert result.error.line in (2, 3)
    assert result.end.wall < 6


def test_timeout_of_a_snippet_that_swallows_keyboardinterrupt(run) -> None:
    result = run(
        """
        import time
        while True:
            try:
                time.sleep(10)
            except BaseException:
                pass
        """,
        timeout=1.0,
    )
    assert result.end.status == "timeout"
    assert result.error is not None and result.error.kind == "timeout"
    assert result.end.wall < 8


def test_memory_cap(run) -> None:
    result = run(
        """
        blocks = []
        while True:
            blocks.append(bytearray(20 * 2**20))
        """,
        memory_mb=200,
    )
    assert result.end.status == "failed"
    assert result.error is not None and result.error.kind == "memory"
    assert "200 MB" in result.error.message


def test_sys_exit_codes(run) -> None:
    failed = run("import sys\nsys.exit(3)\n")
    assert failed.end.status == "failed" and failed.end.exit_code == 3
    assert failed.error is not None and failed.error.kind == "exit" and failed.error.line == 2
    clean = run("import sys\nprint('bye')\nsys.exit(0)\n")
    assert clean.ok and clean.end.exit_code == 0 and clean.error is None


def test_crash_by_signal_is_reported(run) -> None:
    result = run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    assert result.end.status == "failed"
    assert result.error is not None and result.error.kind == "crashed"
    assert "SIGKILL" in result.error.message


def test_stdin_is_empty_not_a_hang(run) -> None:
    result = run("try:\n    input()\nexcept EOFError:\n    print('eof')\n", timeout=10)
    assert result.ok and result.stdout == "eof"


def test_nan_metric_becomes_a_warning(run) -> None:
    result = run("from fwlearn import report\nreport(epoch=1, loss=float('nan'), accuracy=0.5)\n")
    assert result.ok
    metric = result.epoch_metrics()[0]
    assert metric.values == {"loss": None, "accuracy": 0.5}
    warning = next(e for e in result.events if isinstance(e, Warning))
    assert warning.kind == "nan" and "loss" in warning.message


def test_no_state_survives_between_runs(run) -> None:
    first = run("import json\njson.fwlearn_marker = 1\nGLOBAL_MARK = 2\nprint('set')\n")
    second = run(
        "import json\nprint(hasattr(json, 'fwlearn_marker'), 'GLOBAL_MARK' in globals())\n"
    )
    assert first.ok and second.ok
    assert second.stdout == "False False"
    assert first.start.pid != second.start.pid


def test_fresh_working_directory_with_the_lessons_data(run, tmp_path: Path) -> None:
    data = tmp_path / "lesson"
    data.mkdir()
    (data / "points.csv").write_text("x,y\n1,2\n")
    result = run(
        """
        import os
        print(open("points.csv").read().splitlines()[1])
        open("scratch.txt", "w").write("mine")
        print(os.getcwd())
        """,
        data_files=(data / "points.csv",),
    )
    assert result.ok
    line, cwd = result.stdout.splitlines()
    assert line == "1,2"
    assert cwd != str(data) and not Path(cwd).exists()  # removed after the run
    assert not (data / "scratch.txt").exists()


def test_secrets_are_not_inherited(run, monkeypatch) -> None:
    monkeypatch.setenv("MY_API_TOKEN", "s3cret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    monkeypatch.setenv("FWLEARN_HARMLESS_TEST", "1")
    monkeypatch.setenv("LC_TEST_VISIBLE", "yes")
    result = run(
        "import os\nprint(sorted(k for k in os.environ if 'TOKEN' in k or k.startswith('AWS')))\n"
        "print(os.environ.get('LC_TEST_VISIBLE'))\n",
        env={"ALLOWED_TOKEN": "given on purpose"},
    )
    assert result.stdout.splitlines() == ["['ALLOWED_TOKEN']", "yes"]


def test_cancel_stops_the_whole_process_group(tmp_path: Path, alive) -> None:
    """Cancel while the snippet and its own children run; nothing may survive."""
    source = """
import subprocess, sys, time
from fwlearn import report
kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(2)]
for epoch in range(1, 1000):
    report(epoch=epoch, loss=1.0)
    time.sleep(0.05)
"""

    async def scenario() -> tuple[list[object], list[int]]:
        run = Run(RunSpec(path=tmp_path / "loop.py", source=source, timeout=60))
        events: list[object] = []
        family: list[int] = []
        async for event in run.events():
            events.append(event)
            if isinstance(event, Metric) and event.epoch == 3:
                family = [run.child.pid, *descendants(run.child.pid)]
                run.cancel()
        return events, family

    events, family = asyncio.run(scenario())
    end = events[-1]
    assert isinstance(end, End) and end.status == "cancelled"
    errors = [e for e in events if isinstance(e, Error)]
    assert errors and errors[0].kind == "cancelled"
    assert len(family) >= 3
    assert not [pid for pid in family if alive(pid)]


def test_two_runs_at_once_stream_independently(tmp_path: Path) -> None:
    async def both() -> list[list[object]]:
        async def collect(name: str) -> list[object]:
            spec = RunSpec(path=tmp_path / f"{name}.py", source=f"print('{name}')\n", timeout=30)
            return [e async for e in Run(spec).events()]

        return await asyncio.gather(collect("left"), collect("right"))

    left, right = asyncio.run(both())
    assert [ln for e in left if isinstance(e, Output) and not e.partial for ln in e.lines] == [
        "left"
    ]
    assert [ln for e in right if isinstance(e, Output) and not e.partial for ln in e.lines] == [
        "right"
    ]


def test_helpers_are_silent_no_ops_outside_fwlearn(tmp_path: Path) -> None:
    script = tmp_path / "plain.py"
    script.write_text(
        "from fwlearn import active, report, report_fact, report_predictions\n"
        "report(epoch=1, loss=0.5)\nreport_fact('x', 1)\nreport_predictions([1], [2], [3])\n"
        "print('plain', active())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FWLEARN_")}
    for extra in ({}, {"FWLEARN_EVENT_FD": "987"}):  # also a stale variable with no such fd
        done = subprocess.run(
            [sys.executable, str(script)],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "plain False\n" and done.stderr == ""


def test_a_snippet_named_like_a_framework_does_not_shadow_it(tmp_path: Path) -> None:
    """The engine imports the framework before the snippet; a file called keras.py in the
    working directory must not be what it imports."""
    from fwlearn.engine import run_sync

    source = "import json\nprint(json.dumps([1]))\n"
    result = run_sync(RunSpec(path=tmp_path / "json.py", source=source, timeout=30))
    assert result.ok, result.stderr
    assert result.stdout == "[1]"


def test_learner_can_let_named_secrets_through(run, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "wanted")
    monkeypatch.setenv("OTHER_TOKEN", "unwanted")
    monkeypatch.setenv("FWLEARN_PASS_ENV", "HF_TOKEN, NOT_SET")
    result = run("import os\nprint(os.environ.get('HF_TOKEN'), os.environ.get('OTHER_TOKEN'))\n")
    assert result.stdout == "wanted None"


def test_a_consumer_that_stops_early_leaves_nothing_running(tmp_path: Path, alive) -> None:
    """The app may drop a run mid-stream (screen closed): the process tree must still go."""
    source = "import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\nprint('up', flush=True)\ntime.sleep(60)\n"

    async def scenario() -> tuple[list[int], Path | None]:
        run = Run(RunSpec(path=tmp_path / "early.py", source=source, timeout=60))
        family: list[int] = []
        stream = run.events()
        async for event in stream:
            if isinstance(event, Output) and "up" in event.lines:
                family = [run.child.pid, *descendants(run.child.pid)]
                break
        await stream.aclose()
        return family, run.workdir

    family, workdir = asyncio.run(scenario())
    assert len(family) >= 2
    assert not [pid for pid in family if alive(pid)]
    assert workdir is not None and not workdir.exists()
