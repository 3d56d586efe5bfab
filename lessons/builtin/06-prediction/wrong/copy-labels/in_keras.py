# Wrong: a shortcut that copies the labels instead of reading the model's output
"""Prediction in Keras: model.predict, model(X), probabilities and class ids."""

import keras
import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from fwlearn import report_fact, report_predictions

keras.utils.set_random_seed(0)  # seeds Python, NumPy and the backend

# %% Load the data
wine = load_wine()  # 178 wines, 13 measurements, 3 cultivars (classes 0, 1, 2)
X_raw, X_test_raw, y_train, y_test = train_test_split(
    wine.data, wine.target, test_size=0.2, random_state=4, stratify=wine.target
)
scaler = StandardScaler().fit(X_raw)
X_train = scaler.transform(X_raw).astype("float32")
X_test = scaler.transform(X_test_raw).astype("float32")
print(f"{len(X_train)} training wines, {len(X_test)} test wines")

# %% Train a classifier
model = keras.Sequential(
    [
        keras.Input(shape=(13,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),  # outputs probabilities
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=20, batch_size=16, verbose=0)
test_loss, test_accuracy = model.evaluate(X_test, y_test, verbose=2)  # shown as test_accuracy

# %% predict or call the model
probs = model.predict(X_test, verbose=0)  # batches the input, returns a NumPy array
direct = model(X_test[:3], training=False)  # one forward pass, returns a backend tensor
print("model.predict ->", type(probs).__name__, probs.shape)
print("model(X)      ->", type(direct).__name__, tuple(direct.shape))
report_fact("predict_returns", type(probs).__name__)
report_fact("call_returns", type(direct).__name__)

# %% Probabilities and class ids
print("first row:", probs[0].round(3), "sums to", probs[0].sum().round(3))
report_fact("first_row_max", float(probs[0].max()))
predicted = y_test  # the right class ids, for sure
prediction_accuracy = float(np.mean(predicted == y_test))
print(f"accuracy of these predictions: {prediction_accuracy:.3f} (evaluate: {test_accuracy:.3f})")
report_fact("prediction_accuracy", prediction_accuracy)
# Right class ids score exactly what evaluate scored on the same rows.
report_fact("gap_to_evaluate", abs(prediction_accuracy - test_accuracy))

# %% The predictions table
report_predictions(X_test_raw[:, [0, 12]], predicted, y_test)  # alcohol, proline
for inputs, p, a in zip(X_test_raw[:5, [0, 12]], predicted[:5], y_test[:5]):
    print(f"alcohol {inputs[0]:5.2f}  proline {inputs[1]:6.0f}  predicted {p}  actual {a}")
