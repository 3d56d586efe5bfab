"""What the worker tells the learner when the snippet fails: the error messages it sends.

One message per failure, built the way ``python file.py`` would report it but shorter: the
snippet's own line, the traceback without fwlearn's frames, and for a missing package the
command that installs it.
"""

from __future__ import annotations

import os
import sys
import traceback

from .protocol import MAX_FRAMES, ErrorMessage, SnippetFrame

# The frame of the worker's ``run_job`` (the ``exec`` of the snippet) leads every traceback.
WORKER_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")

# A missing import names the extra that provides it.
EXTRAS = {
    "torch": "fwlearn[torch]",
    "tensorflow": "fwlearn[tensorflow]",
    "keras": "fwlearn[tensorflow]",
    "sklearn": "fwlearn[data]",
    "pandas": "fwlearn[data]",
    "jax": "jax",
}
PACKAGE_NAMES = {"sklearn": "scikit-learn"}


def _snippet_frames(exc: BaseException, path: str) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]


def snippet_line(exc: BaseException, path: str) -> int | None:
    frames = _snippet_frames(exc, path)
    return frames[-1].lineno if frames else None


def snippet_frames(exc: BaseException, path: str) -> list[SnippetFrame]:
    """The frames the app lists under the error, outermost first. A RecursionError repeats one
    frame ~1,000 times: repeats in a row are one frame (python's own traceback folds them too),
    and only the innermost ``MAX_FRAMES`` travel."""
    frames: list[SnippetFrame] = []
    for summary in _snippet_frames(exc, path):
        frame = SnippetFrame(line=summary.lineno or 0, function=summary.name)
        if frame["line"] and (not frames or frames[-1] != frame):
            frames.append(frame)
    return frames[-MAX_FRAMES:]


def _trimmed(exc: BaseException) -> traceback.TracebackException:
    """The traceback as python would print it, minus the worker's own frame (``run_job``)."""
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_code.co_filename == WORKER_FILE:
        tb = tb.tb_next
    return traceback.TracebackException(type(exc), exc, tb)


def print_traceback(exc: BaseException) -> None:
    sys.stderr.write("".join(_trimmed(exc).format()))


def exception_error(exc: BaseException, path: str) -> ErrorMessage:
    kind = "exception"
    first_line = (str(exc).strip().splitlines() or [""])[0]
    message = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    if isinstance(exc, MemoryError):
        kind = "memory"
        message = "MemoryError: the snippet ran out of memory"
    elif isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        return {
            **import_error(top, exc),
            "line": snippet_line(exc, path),
            "traceback": "".join(_trimmed(exc).format()),
            "frames": snippet_frames(exc, path),
        }
    elif isinstance(exc, RecursionError):
        message = (
            "RecursionError: maximum recursion depth exceeded (a function calls itself forever?)"
        )
    return ErrorMessage(
        type="error",
        kind=kind,
        message=message,
        exc_type=type(exc).__name__,
        traceback="".join(_trimmed(exc).format()),
        line=snippet_line(exc, path),
        frames=snippet_frames(exc, path),
    )


def import_error(name: str, exc: BaseException) -> ErrorMessage:
    package = PACKAGE_NAMES.get(name, name)
    extra = EXTRAS.get(name)
    hint = f": pip install '{extra}'" if extra else f": pip install {package}"
    return ErrorMessage(
        type="error",
        kind="import",
        message=f"No module named '{name}' - the package {package} is not installed{hint}",
        exc_type=type(exc).__name__,
        traceback="",
        line=None,
    )


def syntax_error(exc: BaseException) -> ErrorMessage:
    """The message leaves the line out: it travels in ``line``, and every reader (the app's
    log, ``fwlearn run``) prints it from there, so a line in the message said it twice."""
    line = getattr(exc, "lineno", None)
    msg = getattr(exc, "msg", None) or str(exc)
    return ErrorMessage(
        type="error",
        kind="syntax",
        message=f"{type(exc).__name__}: {msg}",
        exc_type=type(exc).__name__,
        traceback="".join(traceback.format_exception_only(exc)),
        line=line,
    )
