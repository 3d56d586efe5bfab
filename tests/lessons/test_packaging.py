"""Packaging: the wheel and the editable install build quietly and the wheel works on its own.

The first ``make run`` printed 134 lines of setuptools warnings (pip 26.3, setuptools 84.2.1,
``pip install -q -c fwlearn/constraints.txt -e .`` in a fresh venv): the ``license`` table's
deprecation three times, and twice that ``fwlearn.lessons.builtin`` and its ``_tools`` "would be
ignored" (they were shipped: the message is about data folders that look like packages).
Builds here run setuptools' PEP 517 hooks directly in a copy of the sources, with this venv's
setuptools: no network, no build isolation, the shared tree left alone. Warnings are recorded
the way pip 26 records a backend's warnings to show them. About 2 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "fwlearn", "engine", "lessons", "tui")
# Emitted for every editable install of a non-src layout; the Makefile filters it out.
EDITABLE_NOTICE = "Editable installation."

BUILD = """
import json, sys, warnings
from setuptools import build_meta

wheel_dir, editable_dir, report = sys.argv[1:4]  # build_meta rewrites sys.argv
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wheel = build_meta.build_wheel(wheel_dir)
    build_meta.build_editable(editable_dir)
shown = [
    f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
    for w in caught
    if issubclass(w.category, UserWarning)  # what pip shows of a build backend's warnings
]
with open(report, "w", encoding="utf-8") as out:
    json.dump({"wheel": wheel, "warnings": shown}, out)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The wheel built from a clean copy of the sources, and the warnings the build gave."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    report = tmp / "report.json"
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp / "dist"), str(tmp / "editable"), str(report)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    return tmp / "dist" / data["wheel"], data["warnings"]


def test_the_build_prints_no_warnings(built: tuple[Path, list[str]]) -> None:
    _, warnings = built
    assert [w for w in warnings if not w.endswith(EDITABLE_NOTICE)] == []


def test_the_wheel_holds_the_code_the_lessons_and_the_data(built: tuple[Path, list[str]]) -> None:
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"fwlearn/constraints.txt", "fwlearn/tui/fwlearn.tcss", "fwlearn/lessons/FORMAT.md"}
    source = wheel.parents[1] / "src"  # the copy it was built from (others edit ROOT meanwhile)
    for folder in ("engine", "lessons", "tui"):
        for path in (source / folder).rglob("*"):
            shipped = path.suffix in (".py", ".typed", ".tcss") or "builtin" in path.parts
            if path.is_file() and shipped:
                expected.add(f"fwlearn/{path.relative_to(source).as_posix()}")
    # The core (command line, store, paths, frameworks): flat modules of the root package.
    core = {f"fwlearn/{path.name}" for path in (source / "fwlearn").glob("*.py")}
    assert {"fwlearn/cli.py", "fwlearn/store.py", "fwlearn/frameworks.py"} <= core
    expected |= core
    lessons = len(list((source / "lessons" / "builtin").glob("*/lesson.md")))
    assert lessons >= 10
    assert len([n for n in expected if n.endswith("/lesson.md")]) == lessons
    assert expected - names == set()
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("tests/", "bench/", "engine/", "tui/"))]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "fwlearn = fwlearn.cli:main" in text


def test_the_unpacked_wheel_lists_its_lessons_from_another_folder(
    built: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """What ``pip install .`` puts in site-packages, run away from the source tree."""
    wheel, _ = built
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "FWLEARN_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "fwlearn", "list", "--json"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert Path(data["pack"]) == site / "fwlearn" / "lessons" / "builtin"
    orders = [lesson["order"] for lesson in data["lessons"]]
    assert orders == list(range(1, len(orders) + 1)) and len(orders) >= 10
    assert data["broken"] == [] and data["problems"] == []
