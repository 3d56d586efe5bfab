"""``fwlearn.run_label`` with real Keras: the automatic fit/evaluate reports carry the label.

The keras hook calls ``runtime.report``, which stamps the label in force; this is the one test
of that path through a real framework (a tiny fit on the tensorflow backend, a few seconds).
"""

from __future__ import annotations

import pytest

from fwlearn.engine import RunSpec, run_sync

pytestmark = pytest.mark.frameworks

TWO_FITS = """
import numpy as np
import keras
from fwlearn import run_label

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
y = (x[:, 0] > 0).astype("int32")
for label, optimizer in (("adam", "adam"), ("sgd", "sgd")):
    run_label(label)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2 if label == "adam" else 1, verbose=0)
    model.evaluate(x, y, verbose=0)
"""


def test_keras_fit_and_evaluate_reports_carry_the_run_label() -> None:
    result = run_sync(RunSpec(source=TWO_FITS, framework="keras", timeout=120))
    assert result.ok, result.stderr
    assert result.runs == ("adam", "sgd")
    assert [m.epoch for m in result.epoch_metrics() if m.run == "adam"] == [1, 2]
    assert [m.epoch for m in result.epoch_metrics() if m.run == "sgd"] == [1]
    adam, sgd = result.final_metrics("adam"), result.final_metrics("sgd")
    assert {"loss", "accuracy", "test_loss", "test_accuracy"} <= set(adam) & set(sgd)
    assert result.final_metrics()["loss"] == sgd["loss"]  # no label: the last run reporting it
    assert "params" in result.run_facts("adam")  # the hook's fact, under the label in force
