# Wrong: batch 256, and 2 epochs instead of 4 to finish sooner: Keras no longer runs the race PyTorch runs
"""A fair speed race, Keras side: the same MLP, data, batch size, epochs and threads as PyTorch."""

import statistics
import time

import keras
import numpy as np

from fwlearn import report_fact, run_label

# No keras.utils.set_random_seed: it imports TensorFlow to seed it, seconds of start-up on the
# torch backend. The weights come from seeded initializers, and fit does not shuffle.
BACKEND = keras.backend.backend()

# %% Make the data
SAMPLES, FEATURES = 2048, 32
data = np.random.default_rng(0)  # the same seed and draws in both programs: the same data
x = data.standard_normal((SAMPLES, FEATURES)).astype("float32")
teacher = data.standard_normal(FEATURES).astype("float32")
y = (x @ teacher > 0).astype("float32").reshape(-1, 1)  # two classes, a linear boundary
report_fact("samples", SAMPLES)

# %% Build the model
HIDDEN = 128


def build():
    """A fresh MLP, 32 -> 128 -> 128 -> 1, with the same seeded initial weights every time."""
    glorot = (
        keras.initializers.GlorotUniform
    )  # PyTorch initialises differently: speed does not care
    return keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            keras.layers.Dense(HIDDEN, activation="relu", kernel_initializer=glorot(seed=1)),
            keras.layers.Dense(HIDDEN, activation="relu", kernel_initializer=glorot(seed=2)),
            keras.layers.Dense(1, kernel_initializer=glorot(seed=3)),
        ]
    )


model = build()
print("parameters:", model.count_params())

# %% Threads
# fwlearn sets each run's thread count before the program starts (one thread on 2 cores).
if BACKEND == "tensorflow":
    import tensorflow as tf  # Keras imported it already: free here

    threads = tf.config.threading.get_intra_op_parallelism_threads()  # 0 means "TF decides"
else:
    import torch  # Keras imported it already on the torch backend

    threads = torch.get_num_threads()
print(BACKEND, "backend, intra-op threads:", threads)
report_fact("threads", threads)

# %% Time the epochs
EPOCHS = 2  # the first epoch also traces and compiles: warm-up, left out of the medians


class EpochTimer(keras.callbacks.Callback):
    """Each epoch's wall time (what you wait for) and CPU time (what this process used)."""

    def __init__(self):
        super().__init__()
        self.wall, self.cpu = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch, logs=None):
        self.wall.append(time.perf_counter() - self.started[0])
        self.cpu.append(time.process_time() - self.started[1])


def time_fit(batch_size, **compile_args):
    """Train a fresh model, report its timings, return its median epoch: (wall ms, CPU ms)."""
    global model
    model = build()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.05),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        **compile_args,
    )
    timer = EpochTimer()
    model.fit(
        x, y, batch_size=batch_size, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[timer]
    )
    steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations)) // EPOCHS  # as taken
    wall_ms = 1000 * statistics.median(timer.wall[1:])
    cpu_ms = 1000 * statistics.median(timer.cpu[1:])
    print(
        f"batch {batch_size:4d} {compile_args or ''}: {wall_ms:6.1f} ms per epoch "
        f"({cpu_ms:6.1f} ms CPU), {wall_ms / steps:6.3f} ms per step ({steps} steps); "
        f"warm-up epoch {1000 * timer.wall[0]:.0f} ms"
    )
    report_fact("batch_size", batch_size)
    report_fact("epochs", EPOCHS)
    report_fact("steps_per_epoch", steps)
    report_fact("warmup_ms", 1000 * timer.wall[0])
    report_fact("ms_per_epoch", wall_ms)
    report_fact("ms_per_step", wall_ms / steps)
    report_fact("cpu_ms_per_epoch", cpu_ms)
    report_fact("cpu_ms_per_step", cpu_ms / steps)
    return wall_ms, cpu_ms


# %% The race
BATCH_SIZE = 256
run_label("race")
race_ms, race_cpu = time_fit(BATCH_SIZE)
report_fact("jit_compile", bool(model.jit_compile))  # what compile's "auto" chose here

# %% A bigger batch
run_label("batch16")  # the race at batch 16 beside the race at BATCH_SIZE (once if the same)
batch16_cpu = race_cpu if BATCH_SIZE == 16 else time_fit(16)[1]
report_fact("batch_speedup", batch16_cpu / race_cpu)
print(f"an epoch at batch {BATCH_SIZE}: {batch16_cpu / race_cpu:.2f}x as fast as at 16 (CPU)")

# %% Compiling
if BACKEND == "tensorflow":
    run_label("steps_per_execution")  # 16 steps per call into the tf.function graph, not 1
    report_fact("spe_speedup", race_cpu / time_fit(BATCH_SIZE, steps_per_execution=16)[1])
    run_label("xla")  # XLA compiles the step ("auto" leaves it off on a CPU-only machine)
    report_fact("xla_speedup", race_cpu / time_fit(BATCH_SIZE, jit_compile=True)[1])
else:  # jit_compile=True would mean torch.compile: tens of seconds to compile on 2 cores
    try:
        other = build()
        other.compile(loss="mse", steps_per_execution=16)
        other.make_train_function()
    except ValueError as error:
        print("steps_per_execution:", str(error).splitlines()[0])

# %% More threads
if BACKEND == "tensorflow":
    try:
        tf.config.threading.set_intra_op_parallelism_threads(2)
    except RuntimeError as error:
        print("TensorFlow threads:", error)  # fixed once TensorFlow has started
else:
    print("torch threads: set as in the PyTorch program, torch.set_num_threads")
