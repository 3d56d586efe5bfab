"""Eager and compiled Keras: what compile() and fit() run, on whichever backend Keras is on."""

import statistics
import time

import keras
import numpy as np

from fwlearn import report_fact

# No keras.utils.set_random_seed (on the torch backend it imports TensorFlow too, seconds for
# nothing): the data comes from a seeded NumPy generator, the weights from seeded initializers.
data = np.random.default_rng(0)
print("Keras backend:", keras.backend.backend())
report_fact("backend", keras.backend.backend())

# %% Eager by default
x = data.standard_normal((256, 8)).astype("float32")  # 256 rows of 8 inputs
y = np.sin(x.sum(axis=1, keepdims=True))  # a smooth target to regress
hidden = keras.ops.tanh(keras.ops.matmul(x[:2], keras.ops.ones((8, 3))))  # runs now
print("an op's result, right away:", keras.ops.convert_to_numpy(hidden)[0].tolist())


class CountRuns(keras.layers.Layer):
    """Passes its input through, counting how often call's Python code runs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.runs = 0

    def call(self, inputs):
        self.runs += 1  # plain Python: runs when call's code runs, eagerly or while tracing
        return inputs


def make_model():
    """8 -> 32 -> 32 -> 1 and a CountRuns layer; seeded initializers: the same weights each time."""
    glorot = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input(shape=(8,)),
            keras.layers.Dense(32, activation="tanh", kernel_initializer=glorot(seed=0)),
            keras.layers.Dense(32, activation="tanh", kernel_initializer=glorot(seed=1)),
            keras.layers.Dense(1, kernel_initializer=glorot(seed=2)),
            CountRuns(name="count_runs"),
        ]
    )


model = make_model()
counter = model.get_layer("count_runs")
counter.runs = 0  # building the model ran call once, symbolically (a shape, no numbers)
for _ in range(3):
    model(x)
print("eager: call's Python code ran", counter.runs, "times in 3 calls")
report_fact("eager_call_runs", counter.runs)

# %% Compiled mode
models = {}
for mode in ("default", "run_eagerly"):
    model = make_model()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=mode == "run_eagerly")
    print(f"{mode:12}: run_eagerly={model.run_eagerly}, jit_compile={model.jit_compile}")
    models[mode] = model
report_fact("jit_compile", bool(models["default"].jit_compile))  # what "auto" resolved to


# %% Time per step
class StepTimer(keras.callbacks.Callback):
    """Wall time of every train step (steps_per_execution=1: one batch per step)."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.started)


# 256 rows in batches of 32: 8 train steps an epoch, 24 in 3 epochs.
steps = {}
for mode, model in models.items():
    counter = model.get_layer("count_runs")
    counter.runs = 0
    timer = StepTimer()
    model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, callbacks=[timer])
    first, median = timer.times[0], statistics.median(timer.times[8:])  # epoch 1 is warm-up
    steps[mode] = median
    print(
        f"{mode:12}: call ran {counter.runs:2} times in 24 steps; "
        f"first step {first * 1e3:6.1f} ms, then {median * 1e3:.3f} ms a step"
    )
    report_fact(f"fit_call_runs_{mode}", counter.runs)
    report_fact("fit_steps", len(timer.times))
    report_fact(f"step_ms_{mode}", median * 1e3)
    report_fact(f"first_step_ms_{mode}", first * 1e3)
report_fact("default_over_eager", steps["default"] / steps["run_eagerly"])

# %% Recompiling
model = make_model()
counter = model.get_layer("count_runs")
counter.runs = 0
for rows in (8, 16, 24, 32):  # four batch shapes, one predict call each
    model.predict(x[:rows], batch_size=rows, verbose=0)
print("predict with 4 batch shapes: call ran", counter.runs, "times")
report_fact("predict_call_runs", counter.runs)

# %% Graphs you can inspect
inputs = keras.Input(shape=(8,))  # a symbolic tensor: a shape and a dtype, no numbers
outputs = keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(3))(inputs)
print("symbolic:", outputs)
functional = keras.Model(inputs, outputs)  # the graph of layers, built before any data
print("layers in the graph:", [layer.name for layer in functional.layers])
report_fact("symbolic_shape", list(outputs.shape))
