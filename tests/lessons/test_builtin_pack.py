"""The built-in course: every program runs, reports, and every exercise check behaves.

This is the slow, real one: `fwlearn check` over the whole pack on both Keras backends, and
each program under plain `python`, as a learner who copies a file out would run it.
"""

from __future__ import annotations

import json
import os
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
    "one-step",
]
KERAS_BACKENDS_CHECKED = {"tensorflow", "torch"}


def test_the_pack_is_the_curriculum_and_loads_cleanly() -> None:
    pack = load_pack()
    assert [problem for problem in pack.problems] == []
    assert [lesson.id for lesson in pack.lessons] == CURRICULUM
    for lesson in pack.lessons:
        assert lesson.pitfalls, lesson.id
        assert lesson.exercise.task and lesson.exercise.hint and lesson.exercise.checks
        assert set(lesson.files) == {"keras", "pytorch"}
        # Every edited side ships a wrong answer that `fwlearn check` proves is refused.
        wrong_sides = {answer.side for answer in lesson.exercise.wrong}
        assert set(lesson.exercise.sides) <= wrong_sides, lesson.id


def test_fwlearn_check_passes_on_the_builtin_pack() -> None:
    """Every program on every Keras backend: starts fail, solutions pass, wrong answers are
    refused, and every number the prose quotes agrees with its run (check's prose pass)."""
    done = subprocess.run(
        [sys.executable, "-m", "fwlearn", "check", "--jobs", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(done.stdout)
    assert report["ok"] and not report["problems"], report["problems"]
    rows = report["runs"]
    assert {row["lesson"] for row in rows} == set(CURRICULUM)
    for row in rows:
        assert row["check"] == row["expected"], row
        if not row["what"].startswith("wrong:"):
            assert row["status"] == "ok", row
        assert row["check"] == ("pass" if row["what"] == "solution" else "fail"), row
    # Each Keras program ran on each backend, the same programs on both.
    keras = [row for row in rows if row["side"] == "keras"]
    by_backend = {
        backend: {(r["lesson"], r["what"]) for r in keras if r["backend"] == backend}
        for backend in KERAS_BACKENDS_CHECKED
    }
    assert by_backend["tensorflow"] and by_backend["tensorflow"] == by_backend["torch"]
    assert {row["backend"] for row in keras} == KERAS_BACKENDS_CHECKED
    assert any(row["what"].startswith("wrong:") for row in rows)


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
    assert len(paths) == len(CURRICULUM)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_plain_python, paths))
    failures = {
        str(path.relative_to(builtin_pack_dir())): done.stderr[-1500:]
        for path, done in zip(paths, results)
        if done.returncode != 0
    }
    assert not failures, failures
