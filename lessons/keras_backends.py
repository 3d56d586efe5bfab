"""Front matter ``keras_backends``: the Keras backends a lesson is about (default: every one).

Keras 3 runs one program on tensorflow, torch or jax, and ``fwlearn check`` runs every Keras
program of a lesson on each installed backend, since the app offers them all. A lesson that is
about TensorFlow specifically (``tf.matmul``, ``tf.data``) says ``keras_backends =
["tensorflow"]``, and check skips the other backends with a visible note instead of failing.
"""

from __future__ import annotations

from typing import Any

from fwlearn.engine.spec import KERAS_BACKENDS

from .frontmatter import KeyLines
from .problems import ProblemLog

BACKENDS_KEY = "keras_backends"


def read_keras_backends(
    data: dict[str, Any], keys: KeyLines, log: ProblemLog
) -> tuple[str, ...] | None:
    """The lesson's backends in KERAS_BACKENDS order, or None (absent: all; or a problem)."""
    if BACKENDS_KEY not in data:
        return None
    value = data[BACKENDS_KEY]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(b, str) and b in KERAS_BACKENDS for b in value)
        or len(set(value)) != len(value)
    ):
        known = ", ".join(f'"{b}"' for b in KERAS_BACKENDS)
        log.problem(
            log.source_path,
            keys.line(BACKENDS_KEY),
            f"{BACKENDS_KEY} must list Keras backends the lesson runs on ({known}), not {value!r}",
        )
        return None
    return tuple(b for b in KERAS_BACKENDS if b in value)
