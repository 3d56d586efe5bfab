"""Training in Keras: compile once, then fit."""

import keras
import pandas as pd
from sklearn.model_selection import train_test_split

from fwlearn import report_predictions

keras.utils.set_random_seed(0)  # seeds Python, NumPy and the backend in one call

# %% Load the data
df = pd.read_csv("points.csv")
x = df[["x1", "x2"]].to_numpy(dtype="float32")
y = df["label"].to_numpy()
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
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

# %% Predict
x_val, y_val = x_train[-8:], y_train[-8:]  # rows from the validation part
predicted = model.predict(x_val, verbose=0).argmax(axis=1)
print("predicted:", predicted.tolist())
print("actual:   ", y_val.tolist())
report_predictions(x_val, predicted, y_val)
