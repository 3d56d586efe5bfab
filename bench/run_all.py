"""Every bench, one after the other (never two at once: they measure a 2-core machine).

    .venv/bin/python bench/run_all.py [--only streaming app_start ...]   (or: make bench)

Each bench runs in its own process and prints its own table, headed by the exact command.
Takes ~15-25 minutes on a 2-core machine, most of it ``check_jobs`` and ``overhead``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = (
    "first_output",
    "rerun",
    "spare_cost",
    "overhead",
    "streaming",
    "app_start",
    "check_jobs",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=list(BENCHES))
    args = parser.parse_args()
    failed = []
    for name in args.only:
        command = [sys.executable, str(HERE / f"{name}.py")]
        print(f"\n== {name}: {Path(sys.executable).name} bench/{name}.py", flush=True)
        start = time.perf_counter()
        code = subprocess.run(command, check=False).returncode
        print(f"(took {time.perf_counter() - start:.0f} s, exit {code})", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
