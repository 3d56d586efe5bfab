"""Run-to-first-output: a warm spare vs a cold ``python file.py``, measured side by side.

    .venv/bin/python bench/first_output.py [--runs 10]

For each of torch, keras/tensorflow and keras/torch: the time from "Run" to the snippet's first
line of output, (a) through the engine with a warm pool, (b) as a cold ``python file.py`` child
whose stdout is a pipe. Both print the same line right after importing the framework.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fwlearn.engine import Output, Run, RunSpec, SpareKey, WarmPool

CASES = {
    "torch": ("pytorch", "tensorflow", "import torch\nprint('ready', torch.__version__)\n"),
    "keras/tensorflow": (
        "keras",
        "tensorflow",
        "import keras\nprint('ready', keras.__version__)\n",
    ),
    "keras/torch": ("keras", "torch", "import keras\nprint('ready', keras.__version__)\n"),
}


def cold_first_line(path: Path, keras_backend: str) -> float:
    env = {**os.environ, "KERAS_BACKEND": keras_backend, "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait()
    return elapsed


async def warm_first_lines(framework: str, backend: str, source: str, runs: int) -> list[float]:
    pool = WarmPool()
    key = SpareKey.for_spec(framework, backend, "auto")
    pool.want([key])
    times = []
    for _ in range(runs):
        await pool.ready(120)  # as when a learner reads the output before pressing Run again
        run = Run(RunSpec(source=source, framework=framework, keras_backend=backend), pool)
        start = time.perf_counter()
        first = None
        async for event in run.events():
            if first is None and isinstance(event, Output) and not event.partial:
                first = time.perf_counter() - start
        assert run.warm and first is not None
        times.append(first)
    await pool.close()
    return times


def fmt(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):8.1f} ms ({min(ms):.1f}-{max(ms):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (framework, backend, source) in CASES.items():
            path = Path(tmp) / "first.py"
            path.write_text(source)
            cold = [cold_first_line(path, backend) for _ in range(args.runs)]
            warm = asyncio.run(warm_first_lines(framework, backend, source, args.runs))
            ratio = statistics.median(cold) / statistics.median(warm)
            rows.append((label, fmt(warm), fmt(cold), f"{ratio:7.0f}x"))
    print(f"run-to-first-output, median (min-max) of {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'framework':<18}{'warm pool':<28}{'cold python file.py':<28}{'faster'}")
    for row in rows:
        print(f"{row[0]:<18}{row[1]:<28}{row[2]:<28}{row[3]}")


if __name__ == "__main__":
    main()
