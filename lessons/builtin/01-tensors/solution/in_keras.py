"""Tensors in Keras 3: keras.ops on top of a backend (TensorFlow or PyTorch), GradientTape."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from fwlearn import report_fact

keras.utils.set_random_seed(0)

# %% Create tensors
a = ops.convert_to_tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # from nested lists
zeros = ops.zeros((2, 3))
steps = ops.arange(6)  # 0, 1, ..., 5
noise = keras.random.normal((2, 3), seed=0)  # an int seed: same numbers every call
again = keras.random.normal((2, 3), seed=0)
print("Keras backend:", keras.backend.backend(), "- a is a", type(a).__module__, type(a).__name__)
print("a =", a)
print("steps =", steps)
print("noise =", noise)
print("same seed, same numbers:", bool(ops.all(noise == again)))
report_fact("noise_first", float(ops.convert_to_numpy(noise)[0, 0]))
report_fact("seed_repeats", bool(ops.all(noise == again)))

# %% Shape and dtype
print("a.shape:", a.shape, "a.dtype:", a.dtype, "- NumPy would pick", np.array([1.0]).dtype)
print("steps.dtype:", steps.dtype)  # Python ints become int32
b = ops.reshape(a, (3, 2))
print("a @ b =", ops.matmul(a, b))  # matrix product, shape (2, 2)
print("a * 2 + 1 =", a * 2 + 1)  # elementwise, broadcast
print("mean of each column:", ops.mean(a, axis=0))
report_fact("shape", list(ops.shape(a)))
report_fact("int_dtype", ops.dtype(steps))

# %% Device
print("a lives on", a.device)  # Keras picks a GPU by itself when it has one
with keras.device("cpu:0"):  # pin work to a device explicitly
    a_dev = ops.copy(a)
print("a_dev on", a_dev.device)
report_fact("device", str(a_dev.device))

# %% NumPy interop
arr = np.array([1.0, 2.0, 3.0], dtype=np.float32)
copied = ops.convert_to_tensor(arr)  # a copy, always
arr[0] = 100.0
print("convert_to_tensor does not see the change:", copied)
print("back to NumPy:", ops.convert_to_numpy(a), type(ops.convert_to_numpy(a)).__name__)
report_fact("shares_memory", bool(ops.convert_to_numpy(copied)[0] == 100.0))

# %% Gradients
# TensorFlow code: it runs on TensorFlow whichever backend Keras itself is on.
x = tf.Variable(3.0)  # the tape watches trainable variables by itself
with tf.GradientTape() as tape:  # records the operations inside the block
    y = x**3 - 4 * x
grad = tape.gradient(y, x)  # dy/dx
print("y =", float(y), " dy/dx at x = 3:", float(grad))
report_fact("y", float(y))
report_fact("grad", float(grad))

n = tf.Variable(3)  # an integer variable
c = tf.constant(3.0)  # a constant nobody asked the tape to watch
with tf.GradientTape(persistent=True) as tape:
    n2, c2 = n * n, c * c
print("integer variable, unwatched constant:", tape.gradient(n2, n), tape.gradient(c2, c))
