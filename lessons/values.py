"""What counts as a number in a lesson, and how values are compared and shown.

One home for these rules because two readers must agree on them: the loader, which accepts
``min = 0.9`` in the front matter, and the checks, which compare what a run reported with it.
A bool is never a number here (TOML ``true`` and ``report_fact("x", True)`` are not 1), and a
NaN or an infinity is not a finite number: a bound of ``nan`` would make every comparison false.
"""

from __future__ import annotations

import math
from typing import TypeGuard


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or float, bools excluded (``True`` is an int in Python, not in a lesson)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """A number that is neither NaN nor infinite (TOML accepts ``nan`` and ``inf`` literals)."""
    return is_number(value) and math.isfinite(value)


def is_int(value: object) -> TypeGuard[int]:
    """An int, bools excluded."""
    return isinstance(value, int) and not isinstance(value, bool)


def same_value(value: object, expected: object) -> bool:
    """``equals`` in a check: numbers within float noise (0.1 * 0.1 == 0.01), lists item by item."""
    if is_number(value) and is_number(expected):
        return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(value, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(value) == len(expected) and all(
            same_value(a, b) for a, b in zip(value, expected)
        )
    return bool(value == expected)


def show(value: object) -> str:
    """A value as a learner reads it in a check line: floats to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
