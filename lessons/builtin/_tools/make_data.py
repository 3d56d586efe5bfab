"""Regenerate the data files the built-in lessons ship: ``python make_data.py``.

Deterministic (a fixed NumPy seed), stdlib + NumPy only. One function per data file; each writes
its file into every lesson folder that reads it (lesson folders are self-contained).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

PACK = Path(__file__).resolve().parent.parent

# Lessons that read points.csv (each gets its own copy).
POINTS_LESSONS = ["02-data", "03-model", "04-training", "05-evaluation"]


def make_points(n: int = 800, seed: int = 7) -> list[tuple[float, float, int]]:
    """Two noisy concentric rings: label 0 inside (radius ~0.5-1), label 1 outside (~1.4-2).

    Not linearly separable, so a straight line scores about 0.5-0.6 and a small MLP with two
    hidden layers gets close to 1.0. Classes are balanced and the rows come shuffled.
    """
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], n // 2)
    radius = np.where(labels == 0, rng.uniform(0.0, 1.0, n), rng.uniform(1.4, 2.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x1 = radius * np.cos(angle) + rng.normal(0.0, 0.12, n)
    x2 = radius * np.sin(angle) + rng.normal(0.0, 0.12, n)
    order = rng.permutation(n)
    return [(round(float(x1[i]), 4), round(float(x2[i]), 4), int(labels[i])) for i in order]


def write_points() -> None:
    rows = make_points()
    for lesson in POINTS_LESSONS:
        folder = PACK / lesson
        folder.mkdir(exist_ok=True)
        with open(folder / "points.csv", "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["x1", "x2", "label"])
            writer.writerows(rows)


if __name__ == "__main__":
    write_points()
