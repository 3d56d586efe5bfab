# Wrong: restores the best weights, but with patience as long as the whole run it never stops early
"""Early stopping, a learning-rate schedule and a checkpoint in Keras: three callbacks to fit."""

import keras
import numpy as np
from sklearn.datasets import load_digits

from fwlearn import report_fact

# No keras.utils.set_random_seed: the starting weights are drawn with NumPy below and the batches
# come in a fixed order, so nothing random is left to Keras (and the call would import
# TensorFlow on the torch backend too: seconds of start-up for nothing).

# %% Make the data
digits = load_digits()  # 1797 8x8 images, bundled with scikit-learn: no download
x = (digits.data / 16).astype("float32")  # pixels 0..16 -> 0..1, 64 per image
y = digits.target.astype("int64")
rng = np.random.default_rng(0)  # the same seed and draws in both programs: the same data
order = rng.permutation(len(x))
x, y = x[order], y[order]
x_train, y_train = x[:300], y[:300].copy()  # a small training set...
x_val, y_val = x[300:700], y[300:700]  # ...and 400 validation images with their true labels
noisy = rng.random(300) < 0.3  # about 30% of the training labels replaced by a random digit
y_train[noisy] = rng.integers(0, 10, noisy.sum())
report_fact("relabelled", int(noisy.sum()))
print(
    f"{len(x_train)} training images ({noisy.sum()} relabelled at random), {len(x_val)} validation"
)


# %% Build the model
def make_model():
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


init = np.random.default_rng(1)  # Glorot-uniform weights, zero biases, drawn once in NumPy


def glorot(fan_in, fan_out):
    limit = np.sqrt(6 / (fan_in + fan_out))
    return init.uniform(-limit, limit, (fan_in, fan_out)).astype("float32")  # (in, out)


start = [glorot(64, 128), np.zeros(128, "float32"), glorot(128, 10), np.zeros(10, "float32")]
model = make_model()
model.set_weights(start)  # the PyTorch side copies the same numbers, transposed
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)

# %% Stop, schedule, save
EPOCHS = 25  # the most it may train: early stopping decides when it ends
PATIENCE = 5  # epochs without a better val_loss before training stops
callbacks = [
    # Stop once val_loss has not improved for PATIENCE epochs.
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=EPOCHS, restore_best_weights=True),
    # Halve the learning rate after 2 epochs without improvement; it also adds the rate the
    # epoch trained with to the epoch's logs as "learning_rate".
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_delta=1e-4),
    # Write the weights to a file in the working directory whenever val_loss improves.
    keras.callbacks.ModelCheckpoint(
        "best.weights.h5", monitor="val_loss", save_best_only=True, save_weights_only=True
    ),
]

# %% Train
history = model.fit(
    x_train,
    y_train,
    batch_size=32,
    epochs=EPOCHS,
    shuffle=False,  # the rows are in random order already: the same batches as the PyTorch side
    validation_data=(x_val, y_val),
    validation_batch_size=len(x_val),  # one batch, the same sum as evaluate() below
    callbacks=callbacks,
    verbose=2,
)
val_losses = history.history["val_loss"]
stopped_epoch = len(val_losses)  # epochs that really ran
best_epoch = int(np.argmin(val_losses)) + 1  # epochs are 1-based, as the chart counts them
rates = history.history["learning_rate"]
first_cut = next((e for e, rate in enumerate(rates, 1) if rate < rates[0]), 0)  # 0: never cut
print(f"stopped after epoch {stopped_epoch} of {EPOCHS}; best val_loss at epoch {best_epoch}")
print("learning rate per epoch:", [f"{rate:g}" for rate in rates])
report_fact("max_epochs", EPOCHS)
report_fact("stopped_epoch", stopped_epoch)
report_fact("best_epoch", best_epoch)
report_fact("first_lr_cut_epoch", first_cut)
report_fact("best_val_loss", min(val_losses))

# %% Keep the best


def validate(net):
    """Validation loss and accuracy of the weights ``net`` holds now, computed as fit did."""
    result = net.evaluate(x_val, y_val, batch_size=len(x_val), verbose=0, return_dict=True)
    return float(result["loss"]), float(result["accuracy"])


final_val_loss, final_val_accuracy = validate(model)  # the weights the model holds after fit
print(f"val_loss: best {min(val_losses):.4f} (epoch {best_epoch}), model now {final_val_loss:.4f}")
report_fact("final_val_loss", final_val_loss)
report_fact("final_val_accuracy", final_val_accuracy)
report_fact("final_minus_best_val_loss", final_val_loss - min(val_losses))

# %% Load the checkpoint
fresh = make_model()  # a new model: only the file can give it the trained weights
fresh.load_weights("best.weights.h5")
fresh.compile(  # evaluate needs a loss and metrics; compile after loading, no optimizer to restore
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
)
checkpoint_val_loss = validate(fresh)[0]
print(f"the checkpoint file: val_loss {checkpoint_val_loss:.4f}")
report_fact("checkpoint_val_loss", checkpoint_val_loss)
