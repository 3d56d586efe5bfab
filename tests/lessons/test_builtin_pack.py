"""The built-in course: every program runs, reports, and every exercise check behaves.

This is the slow, real one (~1-2 min on 2 cores): `fwlearn check` over the whole pack, and
each program under plain `python`, as a learner who copies a file out would run it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fwlearn.engine.environment import THREAD_ENV
from fwlearn.lessons import CODE_FILES, builtin_pack_dir, load_pack

# Imports torch/tensorflow in its runs: not part of `make test-fast`.
pytestmark = pytest.mark.frameworks

CURRICULUM = [
    "tensors",
    "data",
    "model",
    "training",
    "evaluation",
    "prediction",
    "losses",
    "custom-loss",
    "custom-layer",
    "rnn",
]
ROW = re.compile(
    r"^(?P<lesson>[\w-]+)\s+(?P<side>keras|pytorch)\s+(?P<what>start|solution)\s+"
    r"(?P<status>\w+)\s+(?P<check>\w+)\s+(?P<secs>[\d.]+)s"
)


def test_the_pack_is_the_curriculum_and_loads_cleanly() -> None:
    pack = load_pack()
    assert [problem for problem in pack.problems] == []
    assert [lesson.id for lesson in pack.lessons] == CURRICULUM
    for lesson in pack.lessons:
        assert lesson.pitfalls, lesson.id
        assert lesson.exercise.task and lesson.exercise.hint and lesson.exercise.checks
        assert set(lesson.files) == {"keras", "pytorch"}


def test_fwlearn_check_passes_on_the_builtin_pack() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fwlearn", "check", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "all good: 10 lessons, 40 runs" in done.stdout
    rows = [m.groupdict() for line in done.stdout.splitlines() if (m := ROW.match(line))]
    assert len(rows) == 40
    for row in rows:
        assert row["status"] == "ok", row
        # The starting code fails the exercise check, the solution passes it.
        assert row["check"] == ("fail" if row["what"] == "start" else "pass"), row
    assert {row["lesson"] for row in rows} == set(CURRICULUM)


def _plain_python(path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FWLEARN_")}
    # Two at once on 2 cores: at torch's default threads each they oversubscribe the cores and
    # crawl (measured: 348 s for the ten PyTorch files, against ~25 s with one thread each).
    env.update({name: "1" for name in THREAD_ENV})
    return subprocess.run(
        [sys.executable, path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize("side", ["keras", "pytorch"])
def test_every_program_runs_under_plain_python(side: str) -> None:
    """`python in_keras.py` in the lesson folder works: the helpers are silent no-ops."""
    paths = sorted(builtin_pack_dir().glob(f"*/{CODE_FILES[side]}"))
    assert len(paths) == 10
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_plain_python, paths))
    failures = {
        str(path.relative_to(builtin_pack_dir())): done.stderr[-1500:]
        for path, done in zip(paths, results)
        if done.returncode != 0
    }
    assert not failures, failures
