"""Bounded history: which points of an endless series to keep.

A snippet may report a million epochs. Keeping every point grows memory without bound (the CLI
peaked at 624 MB for 1,000,000 ``report()`` calls), yet a chart needs a few hundred points and a
check needs the last value. ``Thinning`` keeps at most ``cap`` points, evenly spaced over the
whole series (every ``stride``-th point in arrival order; the stride doubles each time the cap is
reached), plus always the latest point, so the first and the last epoch stay exact and the shape
in between keeps a uniform density. The caller owns the storage: ``RunResult`` thins Metric
events, the app's ``SideRun`` thins chart rows; both drop what ``keeps`` rejects.
"""

from __future__ import annotations


class Thinning:
    """Decisions for one series: ``arrive()`` per new point, ``halve()`` when ``over()``."""

    def __init__(self, cap: int) -> None:
        if cap < 2:
            raise ValueError("a thinned series keeps at least 2 points")
        self.cap = cap
        self.stride = 1
        self.count = 0  # points that arrived
        self.kept = 0  # points on the stride (the latest point may be kept besides)

    def arrive(self) -> int:
        """Number the next point (0-based, arrival order)."""
        index = self.count
        self.count += 1
        if index % self.stride == 0:
            self.kept += 1
        return index

    def keeps(self, index: int) -> bool:
        """Whether point ``index`` stays for good (if not, it stays only while it is the latest)."""
        return index % self.stride == 0

    def over(self) -> bool:
        return self.kept > self.cap

    def halve(self) -> None:
        """Double the stride: every other kept point goes (the caller drops them)."""
        self.stride *= 2
        self.kept = (self.kept + 1) // 2
