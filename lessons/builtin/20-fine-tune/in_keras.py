"""Freezing and fine-tuning in Keras: trainable = False, then compile."""

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from fwlearn import report_fact, run_label

# Seeded without keras.utils.set_random_seed (it would import TensorFlow on the torch backend
# too: seconds of start-up): every layer gets a seeded initializer, and fit(shuffle=False) walks
# rows that train_test_split has already put in a seeded random order.
glorot = keras.initializers.GlorotUniform

# %% Two tasks, one data set
digits = load_digits()  # 1797 images of 8x8 pixels, values 0..16, classes 0..9
X = (digits.data / 16.0).astype("float32")
y = digits.target
low = y < 5  # task A: digits 0-4, plenty of images; task B: digits 5-9, only a few labelled
xa_train, xa_val, ya_train, ya_val = train_test_split(
    X[low], y[low], test_size=0.2, random_state=0, stratify=y[low]
)
xb_train, xb_val, yb_train, yb_val = train_test_split(
    X[~low], y[~low] - 5, train_size=150, random_state=0, stratify=y[~low]
)  # classes 0-4 of the new head mean digits 5-9
print(f"task A: {len(xa_train)} training images; task B: {len(xb_train)}")


# %% Pre-train on digits 0-4
def make_backbone():
    """64 pixels -> 32 features. The BatchNormalization takes PyTorch's defaults (keep 0.9 of
    the old statistics per batch, epsilon 1e-5), so both sides' backbones are set up alike."""
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(32, kernel_initializer=glorot(seed=0)),
            keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5),
            keras.layers.ReLU(),
        ],
        name="backbone",
    )


def compile_for(model, learning_rate):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


backbone = make_backbone()
pretrain = keras.Sequential([backbone, keras.layers.Dense(5, kernel_initializer=glorot(seed=1))])
compile_for(pretrain, 0.01)
run_label("pretrain")
pretrain.fit(xa_train, ya_train, epochs=3, batch_size=32, shuffle=False, verbose=2)


def task_a_accuracy():
    """The pre-trained model (its head on the backbone) on task A's validation images."""
    logits = keras.ops.convert_to_numpy(pretrain(xa_val, training=False))
    return float(np.mean(logits.argmax(axis=1) == ya_val))


task_a_before = task_a_accuracy()
print(f"task A validation accuracy: {task_a_before:.4f}")
report_fact("task_a_before", task_a_before)

# %% Freeze the backbone
run_label("")
backbone.trainable = False  # every layer inside it, BatchNormalization included
model = keras.Sequential([backbone, keras.layers.Dense(5, kernel_initializer=glorot(seed=2))])
compile_for(model, 0.05)  # compile AFTER changing trainable: compile decides what fit updates
trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
total = model.count_params()
print(f"trainable {trainable} of {total} weights: {[w.path for w in model.trainable_weights]}")
report_fact("trainable_params", trainable)
report_fact("total_params", total)

# %% Fine-tune on digits 5-9
bn = backbone.layers[1]
learned = [
    w for w in backbone.weights if w.path not in (bn.moving_mean.path, bn.moving_variance.path)
]
learned_before = [keras.ops.convert_to_numpy(w) for w in learned]
stats_before = [keras.ops.convert_to_numpy(w) for w in (bn.moving_mean, bn.moving_variance)]
run_label("fine-tune")
model.fit(
    xb_train, yb_train, validation_data=(xb_val, yb_val),
    epochs=8, batch_size=50, shuffle=False, verbose=2,
)  # fmt: skip
learned_after = [keras.ops.convert_to_numpy(w) for w in learned]
stats_after = [keras.ops.convert_to_numpy(w) for w in (bn.moving_mean, bn.moving_variance)]
weight_change = max(float(np.abs(b - a).max()) for a, b in zip(learned_before, learned_after))
stat_change = max(float(np.abs(b - a).max()) for a, b in zip(stats_before, stats_after))
# A frozen BatchNormalization runs in inference mode even when fit asks for training mode:
# it normalizes with its moving statistics, so training=True and training=False agree.
gap = keras.ops.convert_to_numpy(
    backbone(xb_train, training=True) - backbone(xb_train, training=False)
)
task_a_after = task_a_accuracy()  # the old head on the shared backbone
print(f"backbone weights moved by at most {weight_change:.2e}")
print(f"BatchNormalization statistics moved by at most {stat_change:.2e}")
print(f"backbone output, training=True vs training=False: {np.abs(gap).max():.2e}")
report_fact("backbone_max_change", weight_change)
report_fact("bn_stat_change", stat_change)
report_fact("bn_mode_gap", float(np.abs(gap).max()))
print(f"task A with the old head: accuracy {task_a_before:.4f} before, {task_a_after:.4f} after")
report_fact("task_a_after", task_a_after)

# %% Freeze midway
# A fresh copy of the pre-training setup: fit once, freeze it, fit again WITHOUT compiling.
run_label("late-freeze")
probe = keras.Sequential(
    [make_backbone(), keras.layers.Dense(5, kernel_initializer=glorot(seed=1))]
)
compile_for(probe, 0.01)
probe.fit(xa_train[:64], ya_train[:64], epochs=1, batch_size=32, shuffle=False, verbose=0)
probe.layers[0].trainable = False
kernel_before = keras.ops.convert_to_numpy(probe.layers[0].layers[0].kernel)
probe.fit(xa_train[:64], ya_train[:64], epochs=1, batch_size=32, shuffle=False, verbose=0)
kernel_after = keras.ops.convert_to_numpy(probe.layers[0].layers[0].kernel)
moved = float(np.abs(kernel_after - kernel_before).max())
print(f"frozen, not compiled again: {len(probe.trainable_weights)} trainable weights listed;")
print(f"the backbone's kernel moved by {moved:.4f} on the {keras.backend.backend()} backend")
report_fact("late_freeze_change", moved)
