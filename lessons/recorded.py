"""``reference.json``: the values the prose's references render from, recorded from real runs.

``fwlearn check --record`` writes it from the runs it makes; the app reads it, so a learner sees
the numbers of the reference runs without running anything, and ``fwlearn check`` compares it
with fresh runs (``prose_check``). The layout (FORMAT.md, "Numbers in the prose")::

    {"keras": {"tensorflow": {"start": RUN, "solution": RUN}, "torch": {...}},
     "pytorch": {"start": RUN, "solution": RUN}}
    RUN = {"metrics": {name: value}, "facts": {name: value},
           "runs": {label: {"metrics": {...}, "facts": {...}}}}

``metrics`` holds each metric's final value in the last run that reported it and ``facts`` each
fact's last value: the rules a check without ``run`` follows, so a reference and a check on the
same name read the same number. Runs are duck-typed (``RunLike``) so this package stays free of
the engine's process code and tests can pass small fakes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from .model import REFERENCE_FILE
from .refs import MISSING, Reference, render

Record = dict[str, Any]  # the whole file
RunRecord = dict[str, Any]  # one RUN


class RunLike(Protocol):
    """What recording needs from a finished run (``fwlearn.engine.RunResult`` satisfies it)."""

    def final_metrics(self, run: str | None = None) -> dict[str, float | None]: ...

    @property
    def facts(self) -> dict[str, Any]: ...

    def run_facts(self, run: str) -> dict[str, Any]: ...

    @property
    def runs(self) -> tuple[str, ...]: ...


def run_record(result: RunLike) -> RunRecord:
    """One RUN of reference.json from a finished run."""
    return {
        "metrics": dict(result.final_metrics()),
        "facts": _plain(result.facts),
        "runs": {
            label: {
                "metrics": result.final_metrics(label),
                "facts": _plain(result.run_facts(label)),
            }
            for label in result.runs
        },
    }


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Facts as JSON keeps them (a tuple comes back a list; anything odd as its text)."""
    plain: dict[str, Any] = {}
    for name, value in values.items():
        try:
            plain[name] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            plain[name] = str(value)
    return plain


def value_in(run: Mapping[str, Any] | None, reference: Reference) -> object:
    """The value ``reference`` names in one RUN (MISSING when the run did not report it)."""
    if run is None:
        return MISSING
    if reference.label is not None:
        run = run.get("runs", {}).get(reference.label)
        if not isinstance(run, Mapping):
            return MISSING
    table = run.get("metrics" if reference.kind == "metric" else "facts", {})
    if not isinstance(table, Mapping) or reference.name not in table:
        return MISSING
    return table[reference.name]


def run_in(record: Mapping[str, Any], side: str, program: str, backend: str | None) -> Any:
    """The RUN of one program in a reference.json (None when it was not recorded)."""
    table = record.get(side)
    if side == "keras" and isinstance(table, Mapping):
        table = table.get(backend or "")
    run = table.get(program) if isinstance(table, Mapping) else None
    return run if isinstance(run, Mapping) else None


def put_run(record: Record, side: str, program: str, backend: str | None, run: RunRecord) -> None:
    """Set one program's RUN, leaving what other runs recorded (a ``--keras-backend torch``
    check must not erase the tensorflow values)."""
    table = record.setdefault(side, {})
    if side == "keras":
        table = table.setdefault(backend or "", {})
    table[program] = run


def recorded_value(record: Mapping[str, Any], reference: Reference, backend: str) -> object:
    """What the prose shows for ``reference`` on Keras ``backend`` (a pinned reference keeps
    its own backend)."""
    if reference.side is None:
        return MISSING
    pinned = reference.backend or backend
    return value_in(run_in(record, reference.side, reference.program, pinned), reference)


def load(folder: Path) -> Record | None:
    """The lesson's reference.json, or None when it has none (or it does not parse: the app
    then shows "(not recorded)" and ``fwlearn check`` says why)."""
    try:
        data = json.loads((folder / REFERENCE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def problem_loading(folder: Path) -> str | None:
    """Why reference.json cannot be read (None: it reads, or there is none)."""
    path = folder / REFERENCE_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"{REFERENCE_FILE} does not read: {exc}"
    return None if isinstance(data, dict) else f"{REFERENCE_FILE} must hold a JSON object"


def save(folder: Path, record: Record) -> Path:
    """Write reference.json, sorted so that a re-record shows as a small diff in review."""
    path = folder / REFERENCE_FILE
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


class YourRun(RunLike, Protocol):
    """A learner's finished run, with the Keras backend it ran on (``RunResult`` is one)."""

    @property
    def ok(self) -> bool: ...

    @property
    def start(self) -> Any: ...  # an engine Start event: ``.keras_backend``


def render_text(
    text: str,
    record: Mapping[str, Any] | None,
    backend: str,
    yours: Mapping[str, YourRun | None] | None = None,
) -> str:
    """Lesson text as the learner reads it: each reference shows the recorded value on Keras
    ``backend`` ("(not recorded)" without a reference.json), and beside a reference to a
    starting program, the value of the learner's own run of that side (``yours``: side -> its
    last finished run), when it ended ok on the same backend. Only the starting program: that is
    the file the learner edits, so "yours" compares like with like; a solution's number stays
    the target."""

    def recorded_of(reference: Reference) -> object:
        return MISSING if record is None else recorded_value(record, reference, backend)

    def yours_of(reference: Reference) -> object:
        run = (yours or {}).get(reference.side or "")
        if run is None or not run.ok or reference.program != "start":
            return MISSING
        ran_on = _backend_of(run)  # None: the program imports no Keras, any backend fits
        if reference.side == "keras" and ran_on and (reference.backend or backend) != ran_on:
            return MISSING
        return value_in(run_record(run), reference)

    return render(text, recorded_of, yours_of)


def _backend_of(run: YourRun) -> str | None:
    try:
        return getattr(run.start, "keras_backend", None)
    except StopIteration:  # no Start event: the run never began
        return None
