"""Debugging in Keras: print in call, run_eagerly, intermediate outputs, hunting a NaN, pdb."""

import math
import re

import keras
import numpy as np

from fwlearn import report_fact, run_label

# No keras.utils.set_random_seed (it imports TensorFlow even on the torch backend, seconds of
# start-up): every initializer below has its own seed, and fit does not shuffle.
seeded = keras.initializers.GlorotUniform

EPOCHS = 6

# %% Make the data
data = np.random.default_rng(0)  # the same seed and draws in both programs: the same points
angle = data.uniform(0, math.pi, 1000)
label = data.integers(0, 2, 1000)  # two interleaved half-moons, class 0 and class 1
upper = np.c_[np.cos(angle), np.sin(angle)]
lower = np.c_[1 - np.cos(angle), 0.5 - np.sin(angle)]
moons = np.where(label[:, None] == 0, upper, lower) + data.normal(0, 0.15, (1000, 2))
far = data.normal(8, 0.3, (100, 2))  # and 100 easy points of class 1, far from the moons
x = np.r_[moons, far].astype("float32")
y = np.r_[label, np.ones(100)].astype("float32")[:, None]
order = data.permutation(len(x))  # one shuffle, then the same batches every epoch
x, y = x[order], y[order]
x_train, y_train, x_val, y_val = x[:880], y[:880], x[880:], y[880:]
print(f"{len(x_train)} training points, {len(x_val)} validation points")


# %% Print inside call
class Probe(keras.layers.Layer):
    """Passes its input through; counts every time Python runs call, prints the first."""

    def __init__(self):
        super().__init__()
        self.calls, self.seen = 0, ""

    def call(self, x):
        self.calls += 1
        if self.calls == 1:
            self.seen = type(x).__name__
            print(f"  first call: {self.seen} of shape {tuple(x.shape)}, x[0, :3] = {x[0, :3]}")
        return x


probe = Probe()
small = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu", kernel_initializer=seeded(seed=0), name="hidden"),
        probe,
        keras.layers.Dense(1, kernel_initializer=seeded(seed=1)),
    ]
)  # building the model already ran call, on placeholder inputs
for run_eagerly in (False, True):
    small.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        run_eagerly=run_eagerly,
    )
    probe.calls = 0
    print(f"fit with run_eagerly={run_eagerly}: 2 epochs of 4 steps")
    small.fit(x_train[:64], y_train[:64], batch_size=16, epochs=2, shuffle=False, verbose=0)
    print(f"  call ran {probe.calls} times")
    mode = "eager" if run_eagerly else "default"
    report_fact(f"probe_calls_{mode}", probe.calls)
    report_fact(f"probe_type_{mode}", probe.seen)
report_fact("probe_steps", 8)

# %% Intermediate outputs
features = keras.Model(small.inputs[0], small.get_layer("hidden").output)  # shares the weights
hidden = keras.ops.convert_to_numpy(features(x_val))
print(f"hidden layer on the validation points: shape {hidden.shape}, mean {hidden.mean():.4f}")
print(f"units that are 0 for every point: {int((hidden.max(axis=0) == 0).sum())} of 16")
report_fact("hidden_mean", float(hidden.mean()))
report_fact("hidden_dead_units", int((hidden.max(axis=0) == 0).sum()))


# %% Train
def bce(target, logits):
    """Binary cross-entropy, written out from the textbook formula."""
    p = keras.ops.sigmoid(logits)
    return -keras.ops.mean(target * keras.ops.log(p) + (1 - target) * keras.ops.log(1 - p))


class NanWatch(keras.callbacks.Callback):
    """Counts the steps after which the loss or a weight is not finite; keeps the first such
    step's starting weights, so the bad batch can be replayed."""

    def __init__(self):
        super().__init__()
        self.step, self.nan_steps, self.first_nan = 0, 0, 0
        self.latest, self.before, self.batch = None, None, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.latest = self.model.get_weights()  # small model: a copy per step costs little

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        finite = math.isfinite(logs["loss"]) and all(
            np.isfinite(w).all() for w in self.model.get_weights()
        )
        if not finite:
            self.nan_steps += 1
            if not self.first_nan:
                self.first_nan, self.before, self.batch = self.step, self.latest, batch


run_label("train")
model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu", kernel_initializer=seeded(seed=2)),
        keras.layers.Dense(16, activation="relu", kernel_initializer=seeded(seed=3)),
        keras.layers.Dense(1, kernel_initializer=seeded(seed=4)),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(0.02),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),  # sigmoid and log in one stable step
    metrics=[keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)],  # on logits
)
watch = NanWatch()
model.fit(
    x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
    shuffle=False, verbose=2, callbacks=[watch, keras.callbacks.TerminateOnNaN()],
)  # fmt: skip
run_label("")
report_fact("nan_steps", watch.nan_steps)
report_fact("first_nan_step", watch.first_nan)
right = keras.ops.convert_to_tensor([[1.0], [0.0]])
sure = keras.ops.convert_to_tensor([[40.0], [-40.0]])  # logits of two right, sure predictions
confident = float(keras.ops.convert_to_numpy(model.loss(right, sure)))
print(f"the loss of two confident, correct predictions: {confident}")
report_fact("confident_loss", confident)

# %% Find the op
logits = np.arange(0.0, 40.0, 0.5, dtype="float32")
p = keras.ops.convert_to_numpy(keras.ops.sigmoid(logits))
one_at = float(logits[p == 1.0][0])  # float32 rounds sigmoid up to 1
print(f"sigmoid(z) is exactly 1.0 from z = {one_at}: log(1 - p) is log(0) there")
report_fact("sigmoid_one_at", one_at)
if watch.before is None:
    print("no NaN to hunt")
else:
    model.set_weights(watch.before)  # the weights just before the step that went NaN
    xb = x_train[watch.batch * 32 : (watch.batch + 1) * 32]
    yb = y_train[watch.batch * 32 : (watch.batch + 1) * 32]
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.debugging.enable_check_numerics()  # every op checks its output for inf and NaN
        try:
            model.loss(yb, model(xb))
        except tf.errors.InvalidArgumentError as error:
            found = re.search(
                r'Detected Infinity or NaN in output \d+ of [\w-]+ op "(\w+)"', error.message
            )
            print("check_numerics:", found.group(0))  # TensorFlow logs the whole report too
            report_fact("nan_op", found.group(1))
        tf.debugging.disable_check_numerics()
    elif keras.config.backend() == "torch":
        import torch  # on the torch backend, Keras ops are torch ops: PyTorch's tool works

        try:
            with torch.autograd.detect_anomaly():
                model.loss(keras.ops.convert_to_tensor(yb), model(xb)).backward()
        except RuntimeError as error:
            message = str(error).splitlines()[0]
            print("detect_anomaly:", message)
            report_fact("nan_op", message.split("'")[1])


# %% Stop inside call
class Inspect(keras.layers.Layer):
    """Passes its input through: a place to stop and look."""

    def call(self, x):
        # breakpoint()  # uncomment, press Run, then type `p x.shape`, `p x[0]` and `c`
        return x


out = Inspect()(x_val[:4])  # one call, eager on both backends: one stop
print("Inspect passed on a tensor of shape", tuple(out.shape))
