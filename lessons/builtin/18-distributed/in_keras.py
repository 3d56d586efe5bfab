"""Data-parallel training in Keras: tf.distribute.MirroredStrategy over two CPU devices."""

import numpy as np
import tensorflow as tf

# Two logical CPU devices, so that one machine without GPUs has two replicas to mirror. It must
# happen before TensorFlow first uses a device, so before Keras builds anything.
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import keras  # noqa: E402  (after the device setup above)

from fwlearn import report_fact  # noqa: E402

GLOBAL_BATCH = 64  # rows per optimizer step, over all replicas together
STEPS = 20
LEARNING_RATE = 0.1

# %% Make the data
data = np.random.default_rng(0)
x_all = data.standard_normal((2 * STEPS * GLOBAL_BATCH, 8)).astype("float32")  # room to spare
true_w = data.standard_normal((8, 1)).astype("float32")
y_all = (np.tanh(x_all @ true_w) + 0.1 * data.standard_normal((len(x_all), 1))).astype("float32")
x_all, y_all = x_all[: STEPS * GLOBAL_BATCH], y_all[: STEPS * GLOBAL_BATCH]  # 20 global batches
print("rows:", len(x_all), "global batch:", GLOBAL_BATCH, "steps:", STEPS)

init = np.random.default_rng(1)  # starting weights, drawn once, the same for both models
start = [
    init.uniform(-0.5, 0.5, (8, 16)).astype("float32"),
    np.zeros(16, "float32"),
    init.uniform(-0.5, 0.5, (16, 1)).astype("float32"),
    np.zeros(1, "float32"),
]


def make_model():
    model = keras.Sequential(
        [keras.Input(shape=(8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)]
    )
    model.set_weights(start)
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss="mse")
    return model


# %% Train on one worker
single = make_model()
single.fit(x_all, y_all, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
print("one device, final weight[0][0]:", float(single.get_weights()[0][0, 0]))

# %% Train on two workers
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
print("replicas in sync:", strategy.num_replicas_in_sync)
with strategy.scope():  # variables made here are mirrored: one copy per replica
    mirrored = make_model()
# fit splits each global batch of 64 rows between the replicas (32 each), and sums their
# gradients, each scaled by 1 / global batch, before one update of every copy.
mirrored.fit(x_all, y_all, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
diff = max(float(np.abs(a - b).max()) for a, b in zip(mirrored.get_weights(), single.get_weights()))
print(f"max |mirrored - one device| over the weights: {diff:.2e}")
report_fact("replicas", strategy.num_replicas_in_sync)
report_fact("mirrored_vs_single_max_diff", diff)
