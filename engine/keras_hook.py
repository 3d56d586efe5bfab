"""Keras, seen from the worker: metrics from every ``fit``/``evaluate``, and a warm-up.

The learner's Keras code stays as in any tutorial; the worker wraps ``Model.fit`` and
``Model.evaluate`` once so that each adds a callback that calls ``runtime.report``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import time
from typing import Any

from . import runtime

# Modules Keras imports lazily on a model's first fit/evaluate/predict (the difference in
# sys.modules before and after one, keras 3.15): importing them is all the warm-up there is.
LAZY_MODULES = {
    "tensorflow": (
        "tensorflow.python.data.ops.concatenate_op",
        "tensorflow.python.data.ops.flat_map_op",
        "tensorflow.python.data.ops.from_tensors_op",
        "tensorflow.python.data.ops.range_op",
        "tensorflow.python.data.ops.zip_op",
    ),
    "torch": ("keras.src.backend.torch.optimizers",),
}


def warm_up(backend: str) -> None:
    """Import what the first ``fit`` would, and do nothing else.

    A spare must be indistinguishable from a fresh ``python FILE``. The warm-up used to run a
    tiny fit/evaluate/predict, which left traces a program could see: TensorFlow's
    frequent-retracing counter survives ``clear_session()``, so a program that saved and loaded
    a model printed a false "triggered tf.function retracing" warning, warm only; the eager
    context was initialised, so ``tf.config.set_visible_devices`` or
    ``tf.config.threading.set_inter_op_parallelism_threads`` raised RuntimeError, warm only;
    and the warm-up model's initialisers drew from Python's ``random``. What the fit saved was
    mostly the model's own tracing, which a new model pays again anyway (first fit of a small
    model, spare vs fresh, on a busy 2-core machine: 2.3 s vs 2.8 s and 4.9 s vs 4.1 s, noise).
    """
    for name in LAZY_MODULES.get(backend, ()):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


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
