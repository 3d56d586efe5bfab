"""Front matter ``keras_backends``: the Keras backends a lesson is about (default: every one).

Keras 3 runs one program on tensorflow, torch or jax, and ``fwlearn check`` runs every Keras
program of a lesson on each installed backend, since the app offers them all. A lesson that is
about TensorFlow specifically (``tf.matmul``, ``tf.data``) says ``keras_backends =
["tensorflow"]``, and check skips the other backends with a visible note instead of failing.

``[pinned_keras_backend]`` pins one side's programs to one backend, whatever the learner picks:
on the torch backend a Keras model is a ``torch.nn.Module``, so a PyTorch-side program may build
a Keras model and train it with a torch loop (``pytorch = "torch"``). The app, ``verify`` and
``check`` run that side once, on its pin (``Lesson.keras_backend_for``).
"""

from __future__ import annotations

from typing import Any

from fwlearn.engine.spec import KERAS_BACKENDS

from .frontmatter import KeyLines
from .model import SIDES
from .problems import ProblemLog

BACKENDS_KEY = "keras_backends"
PIN_KEY = "pinned_keras_backend"


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


def read_pinned_keras_backend(
    data: dict[str, Any], keys: KeyLines, log: ProblemLog
) -> dict[str, str]:
    """``{side: backend}`` from the ``[pinned_keras_backend]`` table ({} when absent or bad)."""
    if PIN_KEY not in data:
        return {}
    value = data[PIN_KEY]
    known = ", ".join(f'"{b}"' for b in KERAS_BACKENDS)
    if not isinstance(value, dict):
        log.problem(
            log.source_path,
            keys.line(PIN_KEY),
            f'{PIN_KEY} must be a table of side = backend, e.g. pytorch = "torch"; not {value!r}',
        )
        return {}
    pins: dict[str, str] = {}
    for side, backend in value.items():
        if side not in SIDES:
            log.problem(
                log.source_path,
                keys.line(PIN_KEY, side),
                f"{PIN_KEY}: {side!r} is not a side ({', '.join(SIDES)})",
            )
        elif not isinstance(backend, str) or backend not in KERAS_BACKENDS:
            log.problem(
                log.source_path,
                keys.line(PIN_KEY, side),
                f"{PIN_KEY}.{side} must be one of {known}, not {backend!r}",
            )
        else:
            pins[side] = backend
    return pins
