"""Evaluation in Keras: model.evaluate, checked by hand with predict + argmax."""

import keras
import numpy as np
import pandas as pd
from keras import layers
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import train_test_split

from fwlearn import report_fact, report_predictions

keras.utils.set_random_seed(0)

# %% Load the data
df = pd.read_csv("points.csv")
x = df[["x1", "x2"]].to_numpy(dtype="float32")
y = df["label"].to_numpy()
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)

# %% Train a model
DROPOUT = 0.5
model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        layers.Dense(16, activation="relu"),
        layers.Dropout(DROPOUT),  # zeroes a random half of the activations, in training only
        layers.Dense(16, activation="relu"),
        layers.Dropout(DROPOUT),
        layers.Dense(2),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
EPOCHS = 10
history = model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS, verbose=0)
print(f"trained {EPOCHS} epochs, last training loss {history.history['loss'][-1]:.4f}")

# %% Evaluate
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)  # always inference mode
report_fact("test_accuracy", test_accuracy)
print(f"test_loss {test_loss:.4f}  test_accuracy {test_accuracy:.4f}")

# %% Check by hand
logits = model.predict(x_test, verbose=0)  # NumPy array, shape (160, 2)
predictions = logits.argmax(axis=1)
by_hand = float((predictions == y_test).mean())
print(f"accuracy by hand: {by_hand:.4f} (evaluate said {test_accuracy:.4f})")
print("confusion matrix (rows: actual 0/1, columns: predicted 0/1):")
print(confusion_matrix(y_test, predictions))
report_fact("test_accuracy_by_hand", by_hand)
report_predictions(x_test[:10], predictions[:10], y_test[:10])

# %% Why eval mode matters
runs = [
    float((np.argmax(model(x_test, training=True), axis=1) == y_test).mean())  # Dropout on
    for _ in range(3)
]
print("accuracy with training=True, three passes:", [round(a, 4) for a in runs])
same = float((np.argmax(model(x_test), axis=1) == y_test).mean())  # training=False by default
print(f"accuracy with a plain call: {same:.4f}, the same as predict and evaluate")
report_fact("train_mode_accuracy", runs[0])
