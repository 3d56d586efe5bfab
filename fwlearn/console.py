"""What the headless commands print: exit codes, run output, and fitting text to the terminal.

Shared by ``fwlearn run``, ``list`` and ``check`` so a run's summary line or a clipped column
reads the same in every command. Stdlib and the engine's event types only: these commands must
start fast and never import textual or a framework.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from fwlearn import jsonout
from fwlearn.engine.events import End, Event, Output, Warning
from fwlearn.engine.runner import RunResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_WIDTH = 80
METRIC_ABBREVIATIONS = {"accuracy": "acc", "loss": "loss"}


def json_printer(event: Event) -> None:
    """``--json``: exactly one event per line on stdout, nothing else there.

    Strict JSON (``jsonout.dumps``): a NaN or infinite number (a fact, ``--timeout inf`` in
    the limits) is written as null, since ``NaN``/``Infinity`` make strict parsers (``jq``,
    ``JSON.parse``) reject the line. The engine has already cleaned every string.
    """
    data = event.to_dict()
    try:  # the usual case, at C speed: a 1,000,000-report flood is 1,000,000 lines
        line = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere
        line = jsonout.dumps(data)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class HumanPrinter:
    """The snippet's output as it streams, then a short summary."""

    def __init__(self, label: str = "") -> None:
        self.label = label

    def __call__(self, event: Event) -> None:
        if isinstance(event, Output) and not event.partial:
            stream = sys.stdout if event.stream == "stdout" else sys.stderr
            prefix = f"[{self.label}] " if self.label else ""
            stream.write("".join(f"{prefix}{line}\n" for line in event.lines))
            stream.flush()
        elif isinstance(event, Warning):
            print(f"fwlearn: warning: {event.message}", file=sys.stderr)
        elif isinstance(event, End):
            sys.stdout.flush()

    @staticmethod
    def summary(result: RunResult) -> str:
        end = result.end
        parts = [f"{end.status} in {end.wall:.2f} s"]
        final = result.final_metrics()
        if final:
            parts.append(", ".join(f"{k} {_fmt(v)}" for k, v in final.items()))
        if end.peak_memory_mb:
            parts.append(f"peak {end.peak_memory_mb:.0f} MB")
        line = " · ".join(parts)
        error = result.error
        if error is not None:
            where = f" (line {error.line})" if error.line else ""
            line += f"\n{error.kind}{where}: {error.message}"
        return line


def _fmt(value: float | None) -> str:
    return "nan" if value is None else f"{value:.4g}"


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it: shorter lines."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def terminal_width() -> int:
    return max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def short_metrics(final: Mapping[str, float | None]) -> str:
    """``val_acc 0.91 loss 0.25``: the final metrics, validation/test ones first."""
    ordered = sorted(final.items(), key=lambda kv: (not kv[0].startswith(("val_", "test_")), kv[0]))
    parts = []
    for name, value in ordered:
        prefix, _, base = (
            name.rpartition("_") if name.startswith(("val_", "test_")) else ("", "", name)
        )
        short = (prefix + "_" if prefix else "") + METRIC_ABBREVIATIONS.get(base, base)
        parts.append(f"{short} {'nan' if value is None else f'{value:.3g}'}")
    return " ".join(parts)
