"""MetricsChart: loss and accuracy per epoch, both frameworks on the same axes, redrawn at ~4 Hz.

plotext facts (FACTS.md): an empty labelled series raises IndexError inside plotext and takes the
app down, so only series with points are plotted; rendering cost grows with points, so series are
downsampled to at most two points per column; and redraws are throttled (``mark_dirty`` only sets
a flag; a 4 Hz timer replots), whatever the rate metrics arrive at.
"""

from __future__ import annotations

import os

from textual_plotext import PlotextPlot

REDRAW_INTERVAL = 0.25
# Distinct markers keep the four lines apart without colour (NO_COLOR, monochrome tmux).
STYLE = {
    ("keras", "loss"): ("Keras loss", "x", "red"),
    ("keras", "accuracy"): ("Keras acc", "+", "orange"),
    ("pytorch", "loss"): ("PyTorch loss", "o", "blue"),
    ("pytorch", "accuracy"): ("PyTorch acc", "*", "cyan"),
}


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
        plt.title("loss / accuracy per epoch")
        plt.xlabel("epoch")
        columns = max(10, self.size.width - 10)
        plotted = False
        no_colour = bool(os.environ.get("NO_COLOR"))
        for key, (label, marker, colour) in STYLE.items():
            points = self.series.get(key) or []
            if not points:
                continue  # plotext raises IndexError on an empty labelled series
            points = downsample(points, 2 * columns)
            xs = [float(x) for x, _ in points]
            ys = [float(y) for _, y in points]
            if no_colour:
                plt.plot(xs, ys, label=label, marker=marker)
            else:
                plt.plot(xs, ys, label=label, marker=marker, color=colour)
            plotted = True
        if not plotted:
            plt.title("loss / accuracy per epoch: run a side to see it")


def downsample(points: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
    """Keep at most ``limit`` points, evenly spaced, always keeping the last one."""
    if len(points) <= limit or limit < 2:
        return points
    step = len(points) / (limit - 1)
    picked = [points[int(i * step)] for i in range(limit - 1)]
    picked.append(points[-1])
    return picked
