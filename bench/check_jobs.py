"""``fwlearn check`` wall time for the whole built-in pack: --jobs 1 vs --jobs 2, warm spares or not.

    .venv/bin/python bench/check_jobs.py [--runs 1] [--jobs 1 2]

Each configuration is the real command in a fresh process, run one after the other (never two
at once), alternating configurations when ``--runs`` > 1:
  fwlearn --no-warm check --jobs N   every program starts a cold worker
  fwlearn check --jobs N             warm spares when N < cores (the next program's framework
                                     imports on the idle core while the current one runs); at
                                     N >= cores check runs cold anyway, so that row is skipped
Wall time is from spawning the command to its exit; the exit status says whether the pack passed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def check(jobs: int, warm: bool) -> tuple[float, int, str]:
    argv = [sys.executable, "-m", "fwlearn"]
    if not warm:
        argv.append("--no-warm")
    argv += ["check", "--jobs", str(jobs)]
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("FWLEARN_NO_WARM", None)
    start = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    return wall, out.returncode, lines[-1] if lines else out.stderr.strip()[-200:]


def command(jobs: int, warm: bool) -> str:
    return f"fwlearn {'' if warm else '--no-warm '}check --jobs {jobs}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    configs = [
        (jobs, warm) for jobs in args.jobs for warm in (False, True) if not warm or jobs < cores
    ]
    results: dict[tuple[int, bool], list[tuple[float, int, str]]] = {c: [] for c in configs}
    for _ in range(args.runs):
        for config in configs:
            results[config].append(check(*config))
            wall, code, last = results[config][-1]
            print(f"  {command(*config):<34} {wall:7.1f} s  exit {code}  {last}", file=sys.stderr)
    print(
        f"$ {Path(sys.executable).name} bench/check_jobs.py --runs {args.runs} "
        f"--jobs {' '.join(map(str, args.jobs))}"
    )
    print(
        f"whole built-in pack, wall seconds, median (min-max) of {args.runs}; "
        f"{os.cpu_count()} cores"
    )
    base = statistics.median(w for w, _, _ in results[configs[0]])
    print(f"{'command':<36}{'wall':<24}{'vs first':<10}exit")
    for config in configs:
        walls = [w for w, _, _ in results[config]]
        codes = sorted({c for _, c, _ in results[config]})
        median = statistics.median(walls)
        print(
            f"{command(*config):<36}{f'{median:.1f} s ({min(walls):.1f}-{max(walls):.1f})':<24}"
            f"{f'{base / median:.2f}x':<10}{','.join(map(str, codes))}"
        )


if __name__ == "__main__":
    main()
