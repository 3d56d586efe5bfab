"""How much memory idle spares may hold, and what each kind of spare holds.

A spare is a whole interpreter with a framework imported, waiting: the RSS of a ready spare's
process tree (the sandbox's outer and init processes, ~30 MiB, and the worker) measured here with
``WarmPool.cost_mb`` (torch 2.13, tensorflow-cpu 2.21, keras 3.15): torch 378 MiB, keras on
tensorflow 734 MiB, keras on torch 519 MiB, plain Python 61 MiB. (PSS, which splits the pages
the three processes share, is only ~35 MiB less.) The pool starts spares in the order they are wanted
and skips one that would take the idle ones past the budget; once a spare of a kind has been
ready, its measured size replaces the estimate.
"""

from __future__ import annotations

import os

BUDGET_ENV = "FWLEARN_SPARE_MEMORY_MB"
# Two spares each of torch and keras/tensorflow (pool.DEPTH; 2 x 378 + 2 x 734 = 2224 MiB) fit
# from 12.5 GB of RAM up; on less, the second spares go first (8 GB: 1638 MB, both first spares
# and a second torch one), then keras's.
MAX_DEFAULT_MB = 2560
FRACTION = 5  # a fifth of RAM (8 GB: 1638 MB; 4 GB: 819 MB; 2 GB: 409 MB, torch only)

# Idle RSS of a spare per (framework, keras backend), before one has been measured here.
ESTIMATE_MB = {
    ("python", "tensorflow"): 61,
    ("pytorch", "tensorflow"): 378,
    ("keras", "tensorflow"): 734,
    ("keras", "torch"): 519,
    ("keras", "jax"): 600,  # not measured: jax is not installed here
}
UNKNOWN_MB = 750


def total_memory_mb() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (AttributeError, OSError, ValueError):
        return None


def default_budget_mb(total_mb: int | None = None) -> int:
    """A fifth of the machine's memory, at most 2.5 GB (reached from 12.5 GB of RAM)."""
    total = total_mb if total_mb is not None else total_memory_mb()
    if total is None:
        return MAX_DEFAULT_MB
    return min(MAX_DEFAULT_MB, total // FRACTION)


def budget_mb() -> int:
    """``FWLEARN_SPARE_MEMORY_MB`` if set (0: no spares at all), else the default."""
    value = os.environ.get(BUDGET_ENV, "").strip()
    if value:
        try:
            return max(0, int(value))
        except ValueError:
            pass  # doctor shows the setting as ignored (see describe)
    return default_budget_mb()


def describe() -> str:
    """One line for ``fwlearn doctor``: the budget and where it comes from."""
    value = os.environ.get(BUDGET_ENV, "").strip()
    total = total_memory_mb()
    default = default_budget_mb(total)
    rule = f"default: a fifth of {total} MB RAM, at most {MAX_DEFAULT_MB}" if total else "default"
    if value:
        try:
            return f"{max(0, int(value))} MB ({BUDGET_ENV}={value}; {rule} = {default} MB)"
        except ValueError:
            return f"{default} MB ({BUDGET_ENV}={value!r} ignored: not a number; {rule})"
    return f"{default} MB ({rule}; set {BUDGET_ENV} to change)"


def estimate_mb(framework: str, keras_backend: str) -> int:
    return ESTIMATE_MB.get((framework, keras_backend), UNKNOWN_MB)
