"""``fwlearn doctor``: versions, devices, limits and where data is kept.

Each framework is asked for its device in its own child process (this process never imports
one), so doctor works even when a framework is broken and says which.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from typing import Any

from fwlearn.console import EXIT_OK
from fwlearn.engine import priority, spare_budget
from fwlearn.engine.pool import DEPTH, FORKED_SPARE_MB, fork_enabled_by_env, pool_enabled_by_env
from fwlearn.engine.runner import RunSpec, run_async
from fwlearn.frameworks import (
    BACKEND_PACKAGES,
    FRAMEWORK_PACKAGES,
    KERAS_BACKENDS,
    installed_keras_backends,
    installed_version,
    tested_versions,
)
from fwlearn.paths import data_home
from fwlearn.version import version


def doctor_main(args: argparse.Namespace) -> int:
    """Print what a bug report needs: versions, devices, limits, where progress is kept."""
    print(f"fwlearn {version()} on Python {platform.python_version()} ({sys.executable})")
    print(f"{os.cpu_count()} CPU cores · {platform.system()} {platform.release()}")
    print()
    tested = tested_versions()
    print(f"{'package':<16}{'installed':<20}{'tested':<14}")
    for package in FRAMEWORK_PACKAGES:
        have = installed_version(package)
        want = tested.get(package, "")
        if have is None and not want:
            continue
        mark = "" if have is None or not want or have.split("+")[0] == want else "  (differs)"
        print(f"{package:<16}{have or 'not installed':<20}{want:<14}{mark}")
    print()
    print("devices (each framework asked in its own child process):")
    devices, limits = asyncio.run(_probe())
    for label, device in devices:
        print(f"  {label:<22}{device}")
    if installed_version("keras"):  # one line per Keras backend the app and check cannot use
        for backend in sorted(set(KERAS_BACKENDS) - set(installed_keras_backends())):
            label = f"keras ({backend})"
            print(f"  {label:<22}not installed: the app does not offer it, fwlearn check skips it")
    print()
    linux = sys.platform.startswith("linux")
    defaults = RunSpec()
    sandbox = str(limits.get("sandbox", "unknown"))
    checks = dict(limits.get("sandbox_checks") or {})
    pid_ns = checks.get("pid namespace") == "on"
    rows = [
        (
            "fresh process per run",
            "yes (own PID namespace: nothing of a run outlives it)"
            if pid_ns
            else "yes (own session; the whole process tree is killed at the end)",
        ),
        ("wall-clock timeout", f"yes (default {defaults.timeout:g} s)"),
        (
            "memory cap (resident)",
            (
                f"yes (default {defaults.memory_mb} MB: resident memory"
                + (", private /tmp and /dev/shm, memfds)" if pid_ns else ", memfds)")
            )
            if linux
            else "no (needs /proc)",
        ),
        (
            "process / thread cap",
            f"yes ({defaults.max_processes} / {defaults.max_threads})"
            if linux
            else "no (needs /proc)",
        ),
        ("network for snippets", str(limits.get("network", "unknown"))),
        ("environment", "allow list (PATH, HOME, LANG, LC_*, CUDA_*, TF_*, ...; FWLEARN_PASS_ENV)"),
        ("killed if fwlearn dies", "yes" if linux else "no"),
        ("sandbox", sandbox),
    ]
    rows += [(f"  {name}", state) for name, state in checks.items()]
    print("limits and isolation:")
    for label, value in rows:
        print(f"  {label:<29}{value}")
    print()
    print("warm spares (a framework imported ahead of the next run):")
    for label, value in _spare_rows():
        print(f"  {label:<29}{value}")
    print()
    print(f"progress is stored in {data_home()}")
    return EXIT_OK


def _spare_rows() -> list[tuple[str, str]]:
    """The idle spares' memory budget, what each kind holds, and their priority."""
    enabled = pool_enabled_by_env()
    sizes = ", ".join(
        f"{label} ~{spare_budget.estimate_mb(framework, backend)} MB"
        for label, framework, backend in (
            ("pytorch", "pytorch", "tensorflow"),
            ("keras/tensorflow", "keras", "tensorflow"),
            ("keras/torch", "keras", "torch"),
        )
    )
    return [
        ("on", "yes" if enabled else "no (FWLEARN_NO_WARM is set)"),
        ("spares per framework", f"{DEPTH} (the run after a run finds one ready; memory first)"),
        (
            "forked spares",
            f"yes: a zygote per framework imports once, each spare forks from it in milliseconds "
            f"(~{FORKED_SPARE_MB} MB of its own); then 1 spare per framework"
            if fork_enabled_by_env()
            else "no (FWLEARN_NO_FORK is set, or not Linux)",
        ),
        ("memory budget (idle spares)", spare_budget.describe()),
        ("each spare holds", sizes),
        ("priority beside a run", priority.describe()),
    ]


async def _probe() -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Ask each installed framework for its device, and a plain run for the limits in force."""
    probes: list[tuple[str, RunSpec]] = [("python", RunSpec(source="pass\n", framework="python"))]
    if installed_version("torch"):
        probes.append(("pytorch", RunSpec(source="pass\n", framework="pytorch", timeout=60)))
    if installed_version("keras"):
        for backend in KERAS_BACKENDS:
            package = BACKEND_PACKAGES[backend]
            if installed_version(package) or installed_version(f"{package}-cpu"):
                spec = RunSpec(
                    source="pass\n", framework="keras", keras_backend=backend, timeout=60
                )
                probes.append((f"keras ({backend})", spec))
    results = await asyncio.gather(*(run_async(spec) for _, spec in probes))
    limits = dict(results[0].start.limits)
    lines = []
    for (label, _), result in zip(probes[1:], results[1:], strict=True):
        if result.ok:
            lines.append((label, result.start.device))
        else:
            error = result.error
            lines.append((label, f"unavailable: {error.message if error else result.end.status}"))
    if not lines:
        lines = [("-", "no framework installed: pip install 'fwlearn[all]'")]
    return lines, limits
