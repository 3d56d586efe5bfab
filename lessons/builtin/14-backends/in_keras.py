"""One Keras program, any backend: the same numbers on TensorFlow and on PyTorch."""

import keras
import numpy as np

from fwlearn import report, report_fact, run_label

# No keras.utils.set_random_seed: it would not make the backends agree (see "Which backend"),
# and it imports TensorFlow even on the torch backend. The numbers come from seeded NumPy.

# %% Make the batch
rng = np.random.default_rng(0)  # the same seed and draws in both programs: the same batch
x = rng.standard_normal((32, 4)).astype("float32")  # 32 rows of 4 inputs
y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype("float32")  # one target per row
print("x", x.shape, "y", y.shape)


# %% Build the model
def build_model(model_class=keras.Sequential):
    """The model both programs train, with the same starting weights on every backend."""
    model = model_class(
        [
            keras.Input(shape=(4,)),
            keras.layers.Dense(8),
            keras.layers.BatchNormalization(),  # behaves differently in training and inference
            keras.layers.Activation("tanh"),
            keras.layers.Dense(1),
        ]
    )
    draw = np.random.default_rng(1)  # explicit starting weights: seeds differ per backend
    ones, zeros = np.ones(8, "float32"), np.zeros(8, "float32")
    model.set_weights(
        [
            draw.uniform(-0.8, 0.8, (4, 8)).astype("float32"),  # Dense(8) kernel, (in, out)
            draw.uniform(-0.2, 0.2, 8).astype("float32"),  # Dense(8) bias
            ones,  # BatchNormalization gamma
            zeros,  # beta
            zeros,  # moving mean
            ones,  # moving variance
            draw.uniform(-0.8, 0.8, (8, 1)).astype("float32"),  # Dense(1) kernel
            draw.uniform(-0.2, 0.2, 1).astype("float32"),  # Dense(1) bias
        ]
    )
    return model


def checksum(model):
    """Every weight (moving statistics too) times its position, averaged: one comparable number."""
    flat = np.concatenate([np.ravel(w) for w in model.get_weights()]).astype("float64")
    position = np.arange(1, flat.size + 1)
    return float(flat @ position / position.sum())


def inference_loss(model):
    """The MSE in inference mode, where BatchNormalization uses its moving statistics."""
    return float(np.mean((model.predict(x, verbose=0) - y) ** 2))


STEPS, LEARNING_RATE = 20, 0.1  # 20 full-batch steps of plain SGD
model = build_model()
print("start: checksum", round(checksum(model), 7))

# %% Which backend
backend = keras.backend.backend()  # KERAS_BACKEND, read once, when keras is first imported
print("Keras backend:", backend)
report_fact("backend", backend)
if backend == "torch":
    import torch

    print("the model is a torch.nn.Module:", isinstance(model, torch.nn.Module))
seeded = keras.initializers.GlorotUniform(seed=0)((4, 8))  # a seeded draw, by this backend
seeded_first = float(keras.ops.convert_to_numpy(seeded)[0, 0])
print(f"GlorotUniform(seed=0) draws {seeded_first:.4f} first on {backend}")
report_fact("seeded_first", seeded_first)

# %% Train with fit
run_label("fit")
model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss="mse")
history = model.fit(x, y, batch_size=32, epochs=STEPS, shuffle=False, verbose=0)
report_fact("final_loss", history.history["loss"][-1])  # the last step's loss, before its update
report_fact("weights_checksum", checksum(model))
report_fact("inference_loss", inference_loss(model))
print(f"fit: loss {history.history['loss'][-1]:.6f}, checksum {checksum(model):.7f}")

# %% Train with a loop
# Keras's own step-by-step API, the same on every backend: one train_on_batch per step.
run_label("loop")
model = build_model()
model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss="mse")
for step in range(1, STEPS + 1):
    loss = float(model.train_on_batch(x, y))  # the loss before this step's update
    report(epoch=step, loss=loss)
report_fact("final_loss", loss)
report_fact("weights_checksum", checksum(model))
report_fact("inference_loss", inference_loss(model))
print(f"loop: loss {loss:.6f}, checksum {checksum(model):.7f}")
