"""A worker that dies before "ready": the run still ends, once, saying why; the pool copes.

The worker imports its framework before it says "ready", so a framework that cannot be
imported (here: Keras on the jax backend, with jax not installed) kills it at that point.
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from fwlearn.engine import End, Error, Run, RunResult, RunSpec, SpareKey, Start, WarmPool

pytestmark = [
    pytest.mark.frameworks,  # imports keras up to the missing backend
    pytest.mark.skipif(
        importlib.util.find_spec("jax") is not None, reason="needs a backend that is NOT installed"
    ),
]

SOURCE = "import keras\nprint('never printed')\n"


def _spec(tmp_path: Path) -> RunSpec:
    return RunSpec(
        path=tmp_path / "lesson.py",
        source=SOURCE,
        framework="keras",
        keras_backend="jax",
        timeout=60,
    )


def _assert_import_failure(result: RunResult) -> None:
    assert isinstance(result.events[0], Start)
    assert isinstance(result.events[-1], End)
    assert sum(isinstance(e, End) for e in result.events) == 1
    assert result.end.status == "failed" and result.end.exit_code == 1
    errors = [e for e in result.events if isinstance(e, Error)]
    assert len(errors) == 1, errors  # the worker's own words, no "crashed" on top
    assert errors[0].kind == "import" and "jax" in errors[0].message
    assert "pip install" in errors[0].message
    assert "never printed" not in result.stdout


def test_a_cold_worker_that_dies_before_ready_reports_why(tmp_path: Path) -> None:
    async def scenario() -> RunResult:
        return RunResult([event async for event in Run(_spec(tmp_path)).events()])

    _assert_import_failure(asyncio.run(asyncio.wait_for(scenario(), 90)))


def test_a_spare_that_dies_before_ready_leaves_the_pool_working(tmp_path: Path) -> None:
    """The spare's last words (read while waiting for "ready") reach the run that takes it,
    or the run starts cold; either way the learner sees the import error, and the pool's
    count of runs going on is back to zero."""

    async def scenario() -> tuple[bool, RunResult, int, RunResult]:
        pool = WarmPool()
        try:
            pool.want([SpareKey.for_spec("keras", "jax", "auto")])
            settled = await pool.ready(60)  # the spawn ends even though "ready" never came
            run = Run(_spec(tmp_path), pool)
            first = RunResult([event async for event in run.events()])
            running_after = pool.running
            second = RunResult([e async for e in Run(_spec(tmp_path), pool).events()])
            return settled, first, running_after, second
        finally:
            await pool.close()

    settled, first, running_after, second = asyncio.run(asyncio.wait_for(scenario(), 180))
    assert settled
    _assert_import_failure(first)
    assert running_after == 0
    _assert_import_failure(second)
