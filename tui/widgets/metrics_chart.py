"""MetricsChart: loss and accuracy per epoch, both frameworks on the same axes, redrawn at ~4 Hz.

plotext facts (textual-plotext 1.0.1, plotext 5.3.2): an empty labelled series raises IndexError
inside plotext and takes the app down, so only series with points are plotted; rendering cost
grows with points (measured on 2 cores: ~150 points 7 ms a render; 5k points 75 ms, 78% CPU at
10 Hz), so series are downsampled to at most two points per column; and redraws are throttled
(``mark_dirty`` only sets a flag; a 4 Hz timer replots), whatever the rate metrics arrive at.

The legend is in the title line, not plotext's own box, which sat over the first epochs of the
plot area. Points a chart cannot place (a non-finite or astronomically large epoch or value from
a hostile ``report``: plotext raised ValueError/OverflowError while building, inside Textual's
render, taking the app down) are left out, and a plot that still fails to build says so in
place of the chart instead of crashing.
"""

from __future__ import annotations

import math
import os

from rich.console import RenderableType
from rich.text import Text
from textual_plotext import PlotextPlot

REDRAW_INTERVAL = 0.25
MAX_AXIS = 1e15  # beyond this plotext's axis arithmetic overflows (±1e308 gave NaN ticks)
TITLE = "loss / accuracy per epoch"
# Distinct markers keep the four lines apart without colour (NO_COLOR, monochrome tmux).
STYLE = {
    ("keras", "loss"): ("Keras loss", "x", "red"),
    ("keras", "accuracy"): ("Keras acc", "+", "orange"),
    ("pytorch", "loss"): ("PyTorch loss", "o", "blue"),
    ("pytorch", "accuracy"): ("PyTorch acc", "*", "cyan"),
}
SHORT = {"Keras": "K", "PyTorch": "PT"}


class MetricsChart(PlotextPlot):
    """The screen sets ``series[(side, metric)] = [(epoch, value), ...]`` and calls
    ``mark_dirty``; the chart redraws itself on its own timer."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.series: dict[tuple[str, str], list[tuple[int, float]]] = {}
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
        no_colour = bool(os.environ.get("NO_COLOR"))
        for key, (label, marker, colour) in STYLE.items():
            points = plottable(self.series.get(key) or [])
            if not points:
                continue  # plotext raises IndexError on an empty series
            points = downsample(points, 2 * columns)
            xs = [x for x, _ in points]
            ys = [y for _, y in points]
            # No label: plotext would draw its legend box over the plot's top-left corner.
            if no_colour:
                plt.plot(xs, ys, marker=marker)
            else:
                plt.plot(xs, ys, marker=marker, color=colour)
            legend.append(f"{marker} {label}")
        if legend:
            plt.title(legend_title(legend, self.size.width - 2))
        else:
            plt.title(f"{TITLE}: run a side to see it")

    def render(self) -> RenderableType:
        try:
            return super().render()
        except (ArithmeticError, ValueError, IndexError) as exc:  # plotext, on odd data
            return Text(f"{TITLE}: cannot draw this data ({type(exc).__name__})")


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
    return short if len(short) <= width else " ".join(short.split())[: max(width, 1)]


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
