"""Keras, seen from the worker: metrics from every ``fit``/``evaluate``, and a warm-up.

The learner's Keras code stays as in any tutorial; the worker wraps ``Model.fit`` and
``Model.evaluate`` once so that each adds a callback that calls ``runtime.report``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import time
from typing import Any

from . import runtime


def warm_up(keras: Any) -> None:
    """One tiny fit/predict compiles the backend's lazy paths while the spare waits.

    ``clear_session`` then resets Keras' global state (layer-name counters, graphs), so the
    learner's model is still called ``sequential``, as in a fresh process.
    """
    import numpy as np

    x = np.zeros((8, 2), dtype="float32")
    y = np.zeros((8,), dtype="int32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, validation_split=0.25)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    keras.backend.clear_session()


def install_keras_hook(keras: Any) -> None:
    """Make every ``Model.fit``/``evaluate`` report metrics, with no change to the snippet.

    Keras has no global callback registry, so the two methods are wrapped to add one callback.
    Batch metrics are throttled: the chart needs a few points a second, not one per batch.
    """

    class FwlearnCallback(keras.callbacks.Callback):  # type: ignore[misc]
        batch_interval = 0.25

        def __init__(self) -> None:
            super().__init__()
            self._epoch = 1
            self._last_batch = 0.0

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            with contextlib.suppress(Exception):
                runtime.report_fact("params", int(self.model.count_params()))

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._epoch = epoch + 1

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            now = time.monotonic()
            if logs and now - self._last_batch >= self.batch_interval:
                self._last_batch = now
                runtime.report(epoch=self._epoch, step=batch + 1, split="train", **logs)

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if logs:
                runtime.report(epoch=epoch + 1, **logs)

    class FwlearnEvaluateCallback(keras.callbacks.Callback):  # type: ignore[misc]
        def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
            if logs:
                runtime.report(split="test", **logs)

    def args_of(bound: inspect.BoundArguments) -> tuple[Any, ...]:
        return bound.args

    def wrap(method: Any, callback_cls: type) -> Any:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            given = bound.arguments.get("callbacks")
            if isinstance(given, keras.callbacks.CallbackList):  # fit's own validation pass
                return method(*args_of(bound), **bound.kwargs)
            callbacks = list(given or [])
            if not any(isinstance(c, callback_cls) for c in callbacks):
                callbacks.append(callback_cls())
            bound.arguments["callbacks"] = callbacks
            return method(*args_of(bound), **bound.kwargs)

        wrapper.__fwlearn_wrapped__ = True  # type: ignore[attr-defined]
        return wrapper

    model_cls = keras.Model
    if not getattr(model_cls.fit, "__fwlearn_wrapped__", False):
        model_cls.fit = wrap(model_cls.fit, FwlearnCallback)
        model_cls.evaluate = wrap(model_cls.evaluate, FwlearnEvaluateCallback)
