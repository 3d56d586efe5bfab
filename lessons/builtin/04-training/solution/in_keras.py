"""Training in Keras: compile once, then fit."""

import keras
import pandas as pd

from fwlearn import report_fact, report_predictions

keras.utils.set_random_seed(0)  # seeds Python, NumPy and the backend in one call

# %% Load the data
df = pd.read_csv("points.csv")
x = df[["x1", "x2"]].to_numpy(dtype="float32")
y = df["label"].to_numpy()
# The file's rows are in random order already: both sides hold out its first 160 as the test set.
x_test, y_test, x_train, y_train = x[:160], y[:160], x[160:], y[160:]
print(f"{len(x_train)} rows for fit (it keeps the last 10% for validation)")

# %% Build the model
model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2),  # logits: no softmax here
    ]
)

# %% Loss and optimizer
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),  # integer labels, logits
    metrics=["accuracy"],
)

# %% Train
EPOCHS = 20
history = model.fit(
    x_train,
    y_train,
    batch_size=32,
    epochs=EPOCHS,
    validation_split=0.1,  # the LAST 10% of x_train, taken before shuffling
    shuffle=True,  # shuffles the training part every epoch
    verbose=2,  # one line per epoch
)
report_fact("epochs_trained", len(history.history["loss"]))

# %% Optimizer or initialisation?
# The PyTorch side differs in two ways, not one: its optimizer, and how its layers start.
first = model.layers[0]
print(
    "weights start as",
    type(first.kernel_initializer).__name__,
    "- biases as",
    type(first.bias_initializer).__name__,
)
report_fact("kernel_initializer", type(first.kernel_initializer).__name__)
report_fact("bias_initializer", type(first.bias_initializer).__name__)

# %% Predict
x_new, y_new = x_test[:8], y_test[:8]  # 8 rows it never trained on, the same on both sides
predicted = model.predict(x_new, verbose=0).argmax(axis=1)
print("predicted:", predicted.tolist())
print("actual:   ", y_new.tolist())
report_predictions(x_new, predicted, y_new)
