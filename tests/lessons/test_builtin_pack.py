"""The built-in course: every program runs, reports, and every exercise check behaves.

This is the slow, real one: `fwlearn check` on a sample of lessons on both Keras backends (the
whole course takes ~40 s a lesson on 2 cores: `make check-course`; the others are vouched for by
their full-check stamps, tests/lessons/test_course_stamps.py), and each program under plain
`python`, as a learner who copies a file out would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fwlearn.engine.environment import THREAD_ENV
from fwlearn.lessons import CODE_FILES, builtin_pack_dir, load_pack
from fwlearn.lessons.model import SIDE_OF_FILE

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
    "graphs",
    "speed",
    "backends",
    "debugging",
    "save-export",
    "cnn",
    "distributed",
    "callbacks",
    "fine-tune",
]
KERAS_BACKENDS_CHECKED = {"tensorflow", "torch"}
PINS = {lesson.folder.name: lesson.pinned_keras_backend for lesson in load_pack().lessons}
# Run for real by `make test`: a Keras fit with data and metric checks, and across checks.
SAMPLE = ["training", "one-step"]


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


def test_fwlearn_check_passes_on_a_sample_of_the_builtin_pack() -> None:
    """Every program on every Keras backend: starts fail, solutions pass, wrong answers are
    refused, and every number the prose quotes agrees with its run (check's prose pass)."""
    lessons = [arg for lesson in SAMPLE for arg in ("--lesson", lesson)]
    done = subprocess.run(
        [sys.executable, "-m", "fwlearn", "check", *lessons, "--jobs", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(done.stdout)
    assert report["ok"] and not report["problems"], report["problems"]
    rows = report["runs"]
    assert {row["lesson"] for row in rows} == set(SAMPLE)
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


def _plain_python(path: Path, into: Path) -> subprocess.CompletedProcess[str]:
    """``python FILE`` in a copy of the lesson folder: a program that saves a model writes it
    there, not into the pack (where it would change the lesson's fingerprint)."""
    folder = into / path.parent.name
    if not folder.exists():
        shutil.copytree(path.parent, folder, ignore=shutil.ignore_patterns("wrong", "solution"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FWLEARN_")}
    pinned = PINS.get(path.parent.name, {}).get(SIDE_OF_FILE[path.name])
    if pinned:  # the lesson pins this side to a Keras backend: as its prose tells you to run it
        env["KERAS_BACKEND"] = pinned
    # Two at once on 2 cores: at torch's default threads each they oversubscribe the cores and
    # crawl (measured: 348 s for the ten PyTorch files, against ~25 s with one thread each).
    env.update({name: "1" for name in THREAD_ENV})
    return subprocess.run(
        [sys.executable, path.name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


# `make test` runs these under plain python: a data file, a pinned side, spawned processes.
PLAIN_SAMPLE = ["training", "one-step", "backends", "distributed"]


@pytest.mark.parametrize(
    ("side", "every"),
    [
        ("keras", False),
        ("pytorch", False),
        pytest.param("keras", True, marks=pytest.mark.course),
        pytest.param("pytorch", True, marks=pytest.mark.course),
    ],
    ids=["keras-sample", "pytorch-sample", "keras-all", "pytorch-all"],
)
def test_programs_run_under_plain_python(side: str, every: bool, tmp_path: Path) -> None:
    """`python in_keras.py` in the lesson folder works: the helpers are silent no-ops. All
    twenty lessons' programs take ~135 s on 2 cores: `make check-course` runs them all."""
    paths = sorted(builtin_pack_dir().glob(f"*/{CODE_FILES[side]}"))
    assert len(paths) == len(CURRICULUM)
    if not every:
        paths = [p for p in paths if p.parent.name.split("-", 1)[1] in PLAIN_SAMPLE]
        assert len(paths) == len(PLAIN_SAMPLE)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda path: _plain_python(path, tmp_path), paths))
    failures = {
        str(path.relative_to(builtin_pack_dir())): done.stderr[-1500:]
        for path, done in zip(paths, results)
        if done.returncode != 0
    }
    assert not failures, failures
