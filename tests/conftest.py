"""Shared test helpers: run a snippet through the real engine and get its RunResult."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fwlearn.engine import RunResult, RunSpec, proctree, run_sync


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test ever touches the real user's progress database."""
    monkeypatch.setenv("FWLEARN_HOME", str(tmp_path_factory.mktemp("fwlearn-home")))


def run_snippet(
    source: str, tmp_path: Path | None = None, name: str = "snippet.py", **spec
) -> RunResult:
    """Run dedented ``source`` as a file called ``name``; extra keywords go to RunSpec."""
    source = textwrap.dedent(source).lstrip("\n")
    path = (tmp_path / name) if tmp_path else Path(name)
    if tmp_path is not None:
        path.write_text(source, encoding="utf-8")
    spec.setdefault("timeout", 60)
    return run_sync(RunSpec(path=path, source=source, **spec))


@pytest.fixture
def run(tmp_path: Path):
    def _run(source: str, **spec) -> RunResult:
        return run_snippet(source, tmp_path, **spec)

    return _run


@pytest.fixture
def alive():
    """``alive(pid)``: running and not a zombie (the engine's own check)."""
    return proctree.alive


# Every test in these folders starts real worker processes (the engine itself, its sandbox, its
# faults): `make test` runs them, `make test-fast` (unit and Pilot tests on a fake engine) not.
ENGINE_FOLDERS = ("engine", "faults")


# SVG snapshot tests (tests/tui/test_snapshot*.py) compare whole screens, ~2.5 s each on 2 cores:
# `make test` runs them, `make test-fast` keeps to the unit and Pilot tests.
SNAPSHOT_MODULES = "test_snapshot"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        relative = Path(item.path).relative_to(tests) if tests in Path(item.path).parents else None
        if relative is not None and relative.parts[0] in ENGINE_FOLDERS:
            item.add_marker(pytest.mark.engine)
        if relative is not None and relative.name.startswith(SNAPSHOT_MODULES):
            item.add_marker(pytest.mark.snapshot)
