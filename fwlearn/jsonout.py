"""Strict JSON for the headless commands' machine-readable output.

``json.dumps`` happily writes ``NaN``/``Infinity`` (not JSON: strict readers such as ``jq`` or
JavaScript's ``JSON.parse`` reject the whole document) and passes lone surrogates through, which
then either crash the write (``UnicodeEncodeError`` under a strict UTF-8 stdout) or come out as
bytes that are not UTF-8 (under the C locale's ``surrogateescape``). Lone surrogates are what the
OS gives back for file names that are not UTF-8, so a lesson pack unpacked from an old archive is
enough to hit it. Stdlib only: the commands that use this must start fast.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (a proper pair is kept as its
    character)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def clean(value: Any) -> Any:
    """A copy of ``value`` that strict JSON can hold: NaN and infinities become null (as
    ``fwlearn run --json`` reports a NaN metric), text loses lone surrogates, tuples become
    lists, and anything else JSON cannot hold becomes its ``str``."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(key)): clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    return clean_text(str(value))


def dumps(value: Any, *, indent: int | None = None) -> str:
    """One strict JSON document, UTF-8-safe text (non-ASCII kept readable)."""
    return json.dumps(clean(value), ensure_ascii=False, allow_nan=False, indent=indent)
