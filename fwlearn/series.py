"""Per-epoch series of one run, named so that labelled training runs stay apart.

Why: a program that trains twice (the ``losses`` lesson fits a reference model, then the
learner's, each under ``fwlearn.run_label``) reported both fits as epochs 1..N of one "loss";
the chart drew them as one zig-zag line. A series is now named by its metric *and* the run label
it was reported under, ``loss`` (unlabelled) or ``loss@reference``: the notation the lesson prose
already uses for a labelled value (``{keras.metric.loss@reference}``). The app's ``SideRun``
keeps its chart series under these names, the run history stores them, the chart splits them
back for its legend. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fwlearn.engine.result import RunResult

# The metrics the chart draws (and the history keeps per run). learning_rate: a schedule
# (ReduceLROnPlateau, lr_scheduler) reported per epoch, drawn on the chart's right-hand axis.
CHARTED = ("loss", "accuracy", "learning_rate")
LABEL_MARK = "@"
# A stored series keeps at most this many points: the chart draws at most two a column, and a
# chart of a 200-column terminal has fewer columns of plot. 200 points: 6.2 kB of JSON a series
# in the store (``len(json.dumps([list(p) for p in thin([(i, 1 / i) for i in range(1, 5001)])]))``).
MAX_STORED_POINTS = 200

Points = list[tuple[int, float]]


def series_name(metric: str, label: str = "") -> str:
    """``loss`` for an unlabelled report, ``loss@sgd`` for one under ``run_label("sgd")``."""
    return f"{metric}{LABEL_MARK}{label}" if label else metric


def split_name(name: str) -> tuple[str, str]:
    """``"loss@sgd"`` → ``("loss", "sgd")``; ``"loss"`` → ``("loss", "")``."""
    metric, _, label = name.partition(LABEL_MARK)
    return metric, label


def charted_names(names: Iterable[str]) -> list[str]:
    """The names among ``names`` the chart draws (a charted metric, under any label), in
    order: unlabelled first, then by label as they came, loss before accuracy."""
    found = [name for name in names if split_name(name)[0] in CHARTED]
    labels = list(dict.fromkeys(split_name(name)[1] for name in found))
    return sorted(
        found,
        key=lambda name: (labels.index(split_name(name)[1]), CHARTED.index(split_name(name)[0])),
    )


def thin(points: Sequence[tuple[int, float]], limit: int = MAX_STORED_POINTS) -> Points:
    """At most ``limit`` points, evenly spaced, the first and the last always kept."""
    if len(points) <= limit or limit < 2:
        return [(int(x), float(y)) for x, y in points]
    step = (len(points) - 1) / (limit - 1)
    picked = (points[round(i * step)] for i in range(limit))
    return [(int(x), float(y)) for x, y in picked]


def history_metrics(result: RunResult | None) -> dict[str, float | None]:
    """A finished run's final metrics as the history keeps them: the whole program's, then each
    labelled run's under ``name@label`` (the ``losses`` lesson's two fits end at two losses)."""
    if result is None:
        return {}
    metrics = dict(result.final_metrics())
    for label in result.runs:
        for name, value in result.final_metrics(label).items():
            metrics[series_name(name, label)] = value
    return metrics
