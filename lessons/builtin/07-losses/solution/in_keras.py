"""Losses in Keras: logits, from_logits, and sparse vs categorical cross-entropy."""

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from fwlearn import report_fact, run_label

keras.utils.set_random_seed(0)  # seeds Python, NumPy and the backend

EPOCHS = 5

# %% Load the data
digits = load_digits()  # 1797 images of 8x8 pixels, values 0..16, classes 0..9
X = (digits.data / 16.0).astype("float32")
y = digits.target
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
print(f"{len(X_train)} training images, {len(X_val)} validation images")


# %% Logits or probabilities
def make_model(softmax_output):
    keras.utils.set_random_seed(0)  # same starting weights for every model
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax" if softmax_output else None),
        ]
    )


def train(model, loss):
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss=loss,
        metrics=["accuracy"],
    )
    history = model.fit(
        X_train, y_train, validation_data=(X_val, y_val),
        epochs=EPOCHS, batch_size=32, verbose=0,
    )  # fmt: skip
    return history.history["loss"][-1], history.history["val_accuracy"][-1]


def loss_mismatch(model):
    """|the compiled loss - the cross-entropy of the model's own probabilities|: 0 if they agree."""
    outputs = keras.ops.convert_to_numpy(model(X_val))  # plain numbers, nothing attached
    if outputs.min() >= 0 and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-5):
        log_probs = np.log(outputs)  # the model outputs probabilities
    else:
        log_probs = keras.ops.convert_to_numpy(keras.ops.log_softmax(outputs))  # logits
    by_hand = -log_probs[np.arange(len(y_val)), y_val].mean()
    compiled = float(keras.ops.convert_to_numpy(model.loss(y_val, outputs)))
    return abs(compiled - by_hand)


# %% The reference: logits
run_label("reference")  # the chart and the checks tell the two fits apart by these labels
reference = make_model(softmax_output=False)  # last layer: plain Dense, outputs logits
loss, val_accuracy = train(reference, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
print(f"reference (logits):   loss {loss:.4f}  val_accuracy {val_accuracy:.4f}")

# The double softmax: the same weights with a softmax on top, into a loss told "logits".
double = make_model(softmax_output=True)
double.set_weights(reference.get_weights())
told_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
logits_loss = float(keras.ops.convert_to_numpy(told_logits(y_val, reference(X_val))))
double_loss = float(keras.ops.convert_to_numpy(told_logits(y_val, double(X_val))))
print(f"validation loss: logits {logits_loss:.4f}, softmax output {double_loss:.4f}")
report_fact("logits_val_loss", logits_loss)
report_fact("double_softmax_val_loss", double_loss)

# %% Your model
run_label("model")
model = make_model(softmax_output=False)  # outputs logits, and the loss knows it
loss, val_accuracy = train(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
print(f"model (your version): loss {loss:.4f}  val_accuracy {val_accuracy:.4f}")
mismatch = loss_mismatch(model)
print(f"the loss minus the cross-entropy of the model's probabilities: {mismatch:.4f}")
report_fact("loss_mismatch", mismatch)

# %% Integer labels or one-hot
run_label("")
probs = keras.ops.convert_to_numpy(keras.ops.softmax(reference(X_val[:4])))
labels = y_val[:4]  # integer class ids, shape (4,)
sparse = keras.losses.sparse_categorical_crossentropy(labels, probs)
one_hot = keras.utils.to_categorical(labels, num_classes=10)  # shape (4, 10)
dense = keras.losses.categorical_crossentropy(one_hot, probs)
print("sparse on ids:       ", np.round(keras.ops.convert_to_numpy(sparse), 4))
print("categorical, one-hot:", np.round(keras.ops.convert_to_numpy(dense), 4))
try:
    keras.losses.categorical_crossentropy(labels, probs)  # integer ids: wrong
except ValueError as error:
    message = str(error).splitlines()[0]
    print("categorical on ids:   ValueError:", message)
    report_fact("categorical_on_ids", "ValueError: " + message)
