"""Sandbox overhead on a training run: a lesson's file in fwlearn vs ``python file.py``.

    .venv/bin/python bench/overhead.py [--lesson training] [--runs 5]

Measured side by side, alternating, from the same copy of the lesson folder:
  python       ``python file.py`` with the framework's default threads
  python 1t    the same with one intra-op thread (what fwlearn picks on 2 cores)
  fwlearn      a cold engine run (fresh child, limits, event channel, output cleaning, sandbox)
  no sandbox   the same with FWLEARN_SANDBOX=off: the difference is the sandbox's own cost
  fwlearn warm the same through a warm spare (framework already imported)
Times are wall seconds from start to the process being gone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fwlearn.engine import Run, RunSpec, SpareKey, WarmPool, run_sync
from fwlearn.engine.environment import THREAD_ENV
from fwlearn.lessons import load_pack


def python_run(path: Path, one_thread: bool) -> float:
    env = dict(os.environ)
    if one_thread:
        env.update({key: "1" for key in THREAD_ENV})
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, path.name], cwd=path.parent, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - start


def _data(path: Path) -> list[Path]:
    """The lesson's data next to the copied program, as the app copies it."""
    return [path.parent / name for name in ("points.csv",) if (path.parent / name).exists()]


def engine_run(path: Path, sandbox: bool = True) -> float:
    if not sandbox:
        os.environ["FWLEARN_SANDBOX"] = "off"
    try:
        start = time.perf_counter()
        result = run_sync(RunSpec(path=path, data_files=_data(path), timeout=300))
        assert result.ok, result.stderr
        return time.perf_counter() - start
    finally:
        os.environ.pop("FWLEARN_SANDBOX", None)


async def warm_runs(path: Path, framework: str, runs: int) -> list[float]:
    pool = WarmPool()
    pool.want([SpareKey(framework)])
    times = []
    for _ in range(runs):
        await pool.ready(120)
        start = time.perf_counter()
        events = [e async for e in Run(RunSpec(path=path, data_files=_data(path)), pool).events()]
        assert events[-1].status == "ok"  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
    await pool.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", default="training")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lesson = load_pack().get(args.lesson)
    if lesson is None:
        sys.exit(f"no lesson {args.lesson!r}")
    print(f"lesson {lesson.id}: wall seconds, median (min-max) of {args.runs} runs")
    header = ("python", "python 1t", "fwlearn", "no sandbox", "fwlearn warm")
    print(f"{'side':<9}" + "".join(f"{name:<18}" for name in header) + "overhead")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lesson"
        shutil.copytree(lesson.folder, folder)
        for side, code in lesson.files.items():
            path = folder / code.path.name
            rows: dict[str, list[float]] = {
                "python": [],
                "python 1t": [],
                "fwlearn": [],
                "no sandbox": [],
            }
            for _ in range(args.runs):
                rows["python"].append(python_run(path, one_thread=False))
                rows["python 1t"].append(python_run(path, one_thread=True))
                rows["fwlearn"].append(engine_run(path))
                rows["no sandbox"].append(engine_run(path, sandbox=False))
            framework = "keras" if side == "keras" else "pytorch"
            rows["fwlearn warm"] = asyncio.run(warm_runs(path, framework, args.runs))
            medians = {k: statistics.median(v) for k, v in rows.items()}
            cells = "".join(
                f"{medians[k]:6.2f} ({min(v):.2f}-{max(v):.2f})  " for k, v in rows.items()
            )
            overhead = medians["fwlearn"] / medians["python 1t"] - 1
            sandbox = medians["fwlearn"] / medians["no sandbox"] - 1
            print(f"{side:<9}{cells}{overhead:+.1%} vs python 1t, sandbox {sandbox:+.1%}")


if __name__ == "__main__":
    main()
