"""What counts as a number in a lesson, and how values are compared and shown.

One home for these rules because two readers must agree on them: the loader, which accepts
``min = 0.9`` in the front matter, and the checks, which compare what a run reported with it.
A bool is never a number here (TOML ``true`` and ``report_fact("x", True)`` are not 1), and a
NaN or an infinity is not a finite number: a bound of ``nan`` would make every comparison false.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
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
    """``equals`` in a check (FORMAT.md says the same): numbers within float noise (relative
    1e-9, absolute 1e-12, so ``0.1 * 3 == 0.3`` holds), an int and a float alike (``8`` and
    ``8.0``); booleans only equal booleans; strings exactly; lists and tuples item by item (a
    shape ``[32, 3]`` equals a reported ``(32, 3)``); anything else with ``==``."""
    if isinstance(value, bool) or isinstance(expected, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value == expected
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


def show_bound(value: object) -> str:
    """A bound as the author wrote it: the shortest text that reads back as the same float
    (``repr``), without a trailing ``.0`` (``8``, ``0.9``, ``1e-06``)."""
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def show_apart(value: object, others: Iterable[object]) -> str:
    """A reported value with enough digits to tell it from each bound it is compared with.

    4 significant digits usually, but a value of 1.31399 against a bound of 1.314 would read
    "1.314 ... needs >= 1.314": digits are added until the two differ (at most ``repr``'s).
    """
    if not isinstance(value, float):
        return show(value)
    if not math.isfinite(value):
        return str(value)
    close = [float(o) for o in others if is_number(o) and o != value]
    for digits in range(4, 18):
        text = f"{value:.{digits}g}"
        if all(text != f"{o:.{digits}g}" for o in close):
            return text
    return repr(value)
