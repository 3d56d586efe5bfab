"""Evaluation in Keras: model.evaluate, checked by hand with predict + argmax."""

import keras
import pandas as pd
from keras import layers
from sklearn.metrics import confusion_matrix

from fwlearn import report_fact, report_predictions

keras.utils.set_random_seed(0)

# %% Load the data
df = pd.read_csv("points.csv")
x = df[["x1", "x2"]].to_numpy(dtype="float32")
y = df["label"].to_numpy()
# The rows are in random order already: the first 160 are the test set, on both sides.
x_test, y_test, x_train, y_train = x[:160], y[:160], x[160:], y[160:]

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
report_fact("test_accuracy_by_hand", by_hand)
matrix = confusion_matrix(y_test, predictions)  # rows: actual 0/1, columns: predicted 0/1
print("confusion matrix (rows: actual 0/1, columns: predicted 0/1):")
print(matrix)
for actual in (0, 1):
    report_fact(f"count_{actual}", int(matrix[actual].sum()))
    report_fact(f"missed_{actual}", int(matrix[actual].sum() - matrix[actual, actual]))
report_predictions(x_test[:10], predictions[:10], y_test[:10])


def recall(predicted, actual, label):
    """Of the points whose actual class is `label`, the share predicted as `label`."""
    return 0.0  # the exercise: replace 0.0 with the computation


recall_1 = recall(predictions, y_test, 1)
print(f"recall of class 1: {recall_1:.4f}")
report_fact("recall_1", recall_1)


# %% Why eval mode matters
def classes(logits):
    # keras.ops.convert_to_numpy works on every backend; .numpy() fails on the torch backend
    # for a tensor that requires grad (a training=True output does)
    return keras.ops.convert_to_numpy(logits).argmax(axis=1)


train_mode = [classes(model(x_test, training=True)) for _ in range(3)]  # Dropout on, 3 passes
runs = [float((p == y_test).mean()) for p in train_mode]
print("accuracy with training=True, three passes:", [round(a, 4) for a in runs])
same = float((classes(model(x_test)) == y_test).mean())  # training=False by default
print(f"accuracy with a plain call: {same:.4f}, the same as predict and evaluate")
report_fact("train_mode_min", min(runs))
report_fact("train_mode_max", max(runs))

# recall() against the confusion matrix (row `label`: its diagonal entry over the row's total),
# for both classes, on four sets of predictions with different mistakes: eval mode and the
# three train-mode passes. The largest difference is 0 (up to float rounding) only for recall.
gaps = []
for predicted in [predictions, *train_mode]:
    m = confusion_matrix(y_test, predicted, labels=[0, 1])
    for label in (0, 1):
        gaps.append(abs(recall(predicted, y_test, label) - m[label, label] / m[label].sum()))
report_fact("recall_gap", max(gaps))
