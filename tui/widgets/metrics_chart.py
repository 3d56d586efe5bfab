"""MetricsChart: loss and accuracy per epoch, both frameworks on the same axes, redrawn at ~4 Hz;
a learning rate a program reports per epoch (``learning_rate``: a schedule at work) on the right
axis, since 0.001 next to a loss of 2 would lie flat on the bottom line.

plotext facts (textual-plotext 1.0.1, plotext 5.3.2): an empty labelled series raises IndexError
inside plotext and takes the app down, so only series with points are plotted; rendering cost
grows with points (measured on 2 cores: ~150 points 7 ms a render; 5k points 75 ms, 78% CPU at
10 Hz), so series are downsampled to at most two points per column; and redraws are throttled
(``mark_dirty`` only sets a flag; a 4 Hz timer replots), whatever the rate metrics arrive at.

The legend is in the title line, not plotext's own box, which sat over the first epochs of the
plot area. Series are keyed ``(side, name)`` where ``name`` is ``fwlearn/series.py``'s: ``loss``,
or ``loss@sgd`` for a fit the program labelled (``run_label``), each labelled fit its own line
with its own marker. ``overlay`` holds a previous run's series (the History view's pick), drawn
beside the current ones with markers of their own and ``overlay_name`` in their legend entries,
so NO_COLOR still tells every line apart. Points a chart cannot place (a non-finite or astronomically large epoch or value from
a hostile ``report``: plotext raised ValueError/OverflowError while building, inside Textual's
render, taking the app down) are left out, and a plot that still fails to build says so in
place of the chart instead of crashing.
"""

from __future__ import annotations

import math
import os

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from fwlearn.frameworks import SIDE_LABELS, SIDE_SHORT, SIDES
from fwlearn.series import LABEL_MARK, charted_names, series_name, split_name

REDRAW_INTERVAL = 0.25
MAX_AXIS = 1e15  # beyond this plotext's axis arithmetic overflows (±1e308 gave NaN ticks)
TITLE = "loss / accuracy per epoch"
# Distinct markers keep the four lines apart without colour (NO_COLOR, monochrome tmux).
STYLE = {
    ("keras", "loss"): (f"{SIDE_LABELS['keras']} loss", "x", "red"),
    ("keras", "accuracy"): (f"{SIDE_LABELS['keras']} acc", "+", "orange"),
    ("pytorch", "loss"): (f"{SIDE_LABELS['pytorch']} loss", "o", "blue"),
    ("pytorch", "accuracy"): (f"{SIDE_LABELS['pytorch']} acc", "*", "cyan"),
    ("keras", "learning_rate"): (f"{SIDE_LABELS['keras']} lr", "<", "magenta"),
    ("pytorch", "learning_rate"): (f"{SIDE_LABELS['pytorch']} lr", ">", "green"),
}
RIGHT_AXIS = ("learning_rate",)  # metrics on a scale of their own
SHORT = {SIDE_LABELS[side]: SIDE_SHORT[side] for side in SIDES}
# Markers for labelled fits (per side, in order of appearance) and for an overlaid earlier run:
# none is one of STYLE's, so every line on the chart has a marker of its own.
LABEL_MARKERS = {"keras": "#%&$", "pytorch": "@=?!"}
OVERLAY_MARKERS = "~^:;"
OVERLAY_COLOUR = "gray"

Key = tuple[str, str]  # (side, series name)


class MetricsChart(PlotextPlot):
    """The screen sets ``series[(side, metric)] = [(epoch, value), ...]`` and calls
    ``mark_dirty``; the chart redraws itself on its own timer."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.series: dict[Key, list[tuple[int, float]]] = {}
        self.overlay: dict[Key, list[tuple[int, float]]] = {}
        self.overlay_name = ""  # e.g. "run 14:02" in the overlaid series' legend entries
        self._dirty = True
        self.draws = 0

    def on_mount(self) -> None:
        self.set_interval(REDRAW_INTERVAL, self._redraw_if_dirty, name="chart-redraw")
        self._replot()

    def mark_dirty(self) -> None:
        self._dirty = True

    def on_resize(self) -> None:
        self.mark_dirty()  # the legend and the downsampling depend on the width

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._replot()
            self.refresh()

    def _replot(self) -> None:
        self._dirty = False
        self.draws += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("epoch")
        columns = max(10, self.size.width - 10)
        legend: list[str] = []
        earlier: list[str] = []  # the overlaid run's entries: they go on the x label's line
        no_colour = bool(os.environ.get("NO_COLOR"))
        for key, series, (label, marker, colour) in self.lines():
            points = plottable(series)
            if not points:
                continue  # plotext raises IndexError on an empty series
            points = downsample(points, 2 * columns)
            xs = [x for x, _ in points]
            ys = [y for _, y in points]
            # No label: plotext would draw its legend box over the plot's top-left corner.
            side = "right" if split_name(key[1])[0] in RIGHT_AXIS else "left"
            if no_colour:
                plt.plot(xs, ys, marker=marker, yside=side)
            else:
                plt.plot(xs, ys, marker=marker, color=colour, yside=side)
            (earlier if key in self.overlay and series is self.overlay[key] else legend).append(
                f"{marker} {label}"
            )
        # plotext drops a title or label that does not fit: measured, at most the width - 4.
        width = self.size.width - 4
        if legend:
            plt.title(legend_title(legend, width))
        elif not earlier:
            plt.title(f"{TITLE}: run a side to see it")
        if earlier:
            suffix = f" ({self.overlay_name})" if self.overlay_name else ""
            room = width - len("epoch · ") - len(suffix)
            plt.xlabel(f"epoch · {legend_title(earlier, room)}{suffix}")

    def lines(self) -> list[tuple[Key, list[tuple[int, float]], tuple[str, str, str]]]:
        """Every line to draw with its (legend label, marker, colour): the current runs' series
        in STYLE's order with their labelled fits after them, then the overlaid run's (whose
        legend goes on the x label's line, named by ``overlay_name``)."""
        drawn = []
        for key, style in STYLE.items():
            drawn.append((key, self.series.get(key) or [], style))
        for side in SIDES:
            labelled = [k for k in self.series if k[0] == side and split_name(k[1])[1]]
            for index, key in enumerate(charted_keys(labelled)):
                markers = LABEL_MARKERS[side]
                colour = STYLE.get((side, split_name(key[1])[0]), ("", "", "white"))[2]
                drawn.append(
                    (key, self.series[key], (_label(key), markers[index % len(markers)], colour))
                )
        for index, key in enumerate(charted_keys(list(self.overlay))):
            marker = OVERLAY_MARKERS[index % len(OVERLAY_MARKERS)]
            drawn.append((key, self.overlay[key], (_label(key), marker, OVERLAY_COLOUR)))
        return drawn

    def render(self) -> RenderResult:
        try:
            return super().render()
        except (ArithmeticError, ValueError, IndexError) as exc:  # plotext, on odd data
            return Text(f"{TITLE}: cannot draw this data ({type(exc).__name__})")


def charted_keys(keys: list[Key]) -> list[Key]:
    """``keys`` in the order the legend lists them (per side, ``series.charted_names``)."""
    return [
        (side, name) for side in SIDES for name in charted_names(n for s, n in keys if s == side)
    ]


def _label(key: Key) -> str:
    """``("keras", "loss@sgd")`` → ``Keras loss@sgd``; accuracy is ``acc`` as in STYLE."""
    side, name = key
    metric, label = split_name(name)
    short = {"accuracy": "acc", "learning_rate": "lr"}.get(metric, metric)
    return f"{SIDE_LABELS.get(side, side)} {series_name(short, label)}"


def legend_title(entries: list[str], width: int) -> str:
    """The legend as one title line that fits ``width``: plotext drops a title wider than the
    plot (the side-by-side layout below ~165 columns), and without colour (NO_COLOR) the
    markers named here are the only way to tell the lines apart."""
    full = "  ".join(entries)
    if len(full) <= width or width <= 0:  # 0: not laid out yet; a resize draws it again
        return full
    short = "  ".join(
        " ".join(SHORT.get(word, word) for word in entry.split(" ")) for entry in entries
    )
    if len(short) <= width:
        return short
    grouped = grouped_legend(entries)
    return grouped if len(grouped) <= width else " ".join(short.split())[: max(width, 1)]


def grouped_legend(entries: list[str]) -> str:
    """The tightest legend that still names every marker: one group per side and run label,
    ``K@reference: #loss %acc  K@model: &loss $acc`` (labelled fits made the legend twice
    as long as the 52 columns of the wide layout's chart)."""
    groups: dict[str, list[str]] = {}
    for entry in entries:
        marker, _, rest = entry.partition(" ")
        side, _, name = rest.rpartition(" ")
        metric, label = split_name(name)
        head = SHORT.get(side, side) + (f"{LABEL_MARK}{label}" if label else "")
        groups.setdefault(head, []).append(f"{marker}{metric}")
    return "  ".join(f"{head}: {' '.join(items)}" for head, items in groups.items())


def plottable(points: list[tuple[int, float]]) -> list[tuple[float, float]]:
    """The points as floats, without those plotext cannot place (see ``MAX_AXIS``)."""
    kept = []
    for x, y in points:
        try:
            fx, fy = float(x), float(y)
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(fx) and math.isfinite(fy) and abs(fx) <= MAX_AXIS >= abs(fy):
            kept.append((fx, fy))
    return kept


def downsample(points: list[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    """Keep at most ``limit`` points, evenly spaced, always keeping the last one."""
    if len(points) <= limit or limit < 2:
        return points
    step = len(points) / (limit - 1)
    picked = [points[int(i * step)] for i in range(limit - 1)]
    picked.append(points[-1])
    return picked
