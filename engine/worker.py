"""The child process: import the framework, wait for one job, run it, report, exit.

Started by the engine with ``WORKER_ARGV``. It imports the framework
*before* it reads its job, so the same program serves a cold run (the job is written right
after spawning) and a warm spare (the job arrives later, when the learner presses Run). Each
worker runs exactly one snippet and then leaves with ``os._exit`` (a normal interpreter exit
with TensorFlow loaded costs up to a second more).

Only this process imports torch/tensorflow/keras; the engine side never does.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import faulthandler
import functools
import inspect
import json
import os
import platform
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Iterator
from typing import Any

from fwlearn.engine import runtime, sandbox
from fwlearn.engine.environment import CONTROL_FD_ENV
from fwlearn.engine.proctree import descendants

# A missing import names the extra that provides it.
EXTRAS = {
    "torch": "fwlearn[torch]",
    "tensorflow": "fwlearn[tensorflow]",
    "keras": "fwlearn[tensorflow]",
    "sklearn": "fwlearn[data]",
    "pandas": "fwlearn[data]",
    "jax": "jax",
}
PACKAGE_NAMES = {"sklearn": "scikit-learn"}
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    # The sandbox first: unshare() refuses a process that already has threads, and importing a
    # framework starts many. enter() returns in the sandboxed worker only (see sandbox.py).
    _die_with_parent()
    box = sandbox.enter(sandbox.Options.from_env())
    if not box.pid_namespace:  # else the namespace's init reaps, and its end kills them all
        _become_subreaper()
    faulthandler.enable()
    framework = os.environ.get("FWLEARN_FRAMEWORK", "python")
    threads = int(os.environ.get("FWLEARN_THREADS", "1"))
    started = time.monotonic()
    try:
        with _quiet_import():
            info = prepare(framework, threads, warm=os.environ.get("FWLEARN_WARM") == "1")
        info["network"] = box.network
        info["sandbox"] = {"summary": box.summary, **box.checks}
        info["host_pid"] = box.host_pid
        wants_cuda = os.environ.get("FWLEARN_DEVICE") == "cuda" and framework != "python"
        if wants_cuda and not info["device"].startswith("cuda"):
            runtime.send(
                {
                    "type": "error",
                    "kind": "device",
                    "message": f"--device cuda: {framework} sees no CUDA device here "
                    "(use --device auto to fall back to the CPU)",
                }
            )
            _finish(1)
    except ImportError as exc:
        name = (getattr(exc, "name", None) or str(exc)).split(".")[0]
        runtime.send(_import_error(name, exc))
        _finish(1)
    runtime.send({"type": "ready", "import_seconds": round(time.monotonic() - started, 3)})
    job = _read_job()
    if job is None:  # the engine let this spare go without a job
        _finish(0)
    _finish(run_job(job, info))


# Lines frameworks print on import that say nothing to a learner.
IMPORT_NOISE = re.compile(
    rb"absl::InitializeLog|oneDNN custom operations|cpu_feature_guard|This TensorFlow binary"
    rb"|To enable the following instructions|Unable to register cu(DNN|FFT|BLAS) factory"
    rb"|computation placer already registered|TF-TRT Warning"
)


@contextlib.contextmanager
def _quiet_import() -> Iterator[None]:
    """Hold fd 1/2 while the framework imports; pass on all but the known start-up noise."""
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    captured = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finally, after fd restore
    try:
        for fd in (1, 2):
            os.dup2(captured.fileno(), fd)
        yield
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        captured.seek(0)
        kept = [line for line in captured.read().splitlines(True) if not IMPORT_NOISE.search(line)]
        captured.close()
        if kept:
            os.write(2, b"".join(kept))


def prepare(framework: str, threads: int, warm: bool = False) -> dict[str, Any]:
    """Import the framework and describe the device it will use."""
    info: dict[str, Any] = {"framework": framework, "device": "cpu", "versions": {}}
    import numpy

    info["versions"]["numpy"] = numpy.__version__
    if framework == "pytorch":
        import torch

        torch.set_num_threads(threads)
        info["versions"]["torch"] = torch.__version__
        info["device"] = _torch_device(torch)
        if warm:
            # The first optimizer.step() lazily imports torch._dynamo (~1 s): pay it while idle.
            import torch._dynamo
    elif framework == "keras":
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        info["keras_backend"] = backend
        if backend == "tensorflow":
            import tensorflow as tf

            with contextlib.suppress(RuntimeError):
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(max(1, threads))
            info["versions"]["tensorflow"] = tf.__version__
            gpus = tf.config.list_physical_devices("GPU")
            info["device"] = f"cuda ({gpus[0].name})" if gpus else "cpu"
        elif backend == "torch":
            import torch

            torch.set_num_threads(threads)
            info["versions"]["torch"] = torch.__version__
            info["device"] = _torch_device(torch)
        elif backend == "jax":
            import jax

            info["versions"]["jax"] = jax.__version__
            info["device"] = str(jax.devices()[0])
        import keras

        info["versions"]["keras"] = keras.__version__
        if warm:
            _keras_warm_up(keras)
        install_keras_hook(keras)  # after the warm-up, whose metrics nobody should see
    return info


def _keras_warm_up(keras: Any) -> None:
    """One tiny fit/predict compiles the backend's lazy paths while the spare waits.

    ``clear_session`` then resets Keras' global state (layer-name counters, graphs), so the
    learner's model is still called ``sequential``, as in a fresh process.
    """
    import numpy as np

    x = np.zeros((8, 2), dtype="float32")
    y = np.zeros((8,), dtype="int32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, validation_split=0.25)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    keras.backend.clear_session()


def _torch_device(torch: Any) -> str:
    if torch.cuda.is_available():
        return f"cuda:0 ({torch.cuda.get_device_name(0)})"
    return "cpu"


def run_job(job: dict[str, Any], info: dict[str, Any]) -> int:
    """Run one snippet as ``__main__``, the way ``python path`` would, and report how it ended."""
    path = job["path"]
    os.chdir(job["cwd"])
    _apply_limits(job.get("limits", {}))
    threads = int(job.get("threads") or 1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(path))
    runtime.send(
        {
            "type": "start",
            "framework": info["framework"],
            "python": platform.python_version(),
            "device": info["device"],
            "pid": info.get("host_pid") or os.getpid(),
            "keras_backend": info.get("keras_backend"),
            "versions": info["versions"],
            "threads": threads,
            "network": info.get("network", "allowed"),
            "sandbox": info.get("sandbox"),
        }
    )
    source = job["source"]
    try:
        code = compile(source, path, "exec")
    except (SyntaxError, ValueError) as exc:
        runtime.send(_syntax_error(exc))
        with contextlib.suppress(Exception):
            traceback.print_exception(exc, limit=0)
        return 1

    main_module = types.ModuleType("__main__")
    main_module.__file__ = path
    main_module.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = main_module
    exit_code = 0
    try:
        exec(code, main_module.__dict__)
    except SystemExit as exc:
        exit_code = _exit_code(exc.code)
        if exit_code:
            runtime.send(
                {
                    "type": "error",
                    "kind": "exit",
                    "message": f"the snippet called sys.exit({exc.code!r})",
                    "line": _snippet_line(exc, path),
                }
            )
    except BaseException as exc:  # the snippet's failure is the report, not ours
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not cut the report
        exit_code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        runtime.send(_exception_error(exc, path))
        with contextlib.suppress(Exception):  # the snippet may have closed stderr
            _print_traceback(exc)
    else:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _report_params(main_module.__dict__)
    return exit_code


def _finish(exit_code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    # Whatever the snippet started (DataLoader workers, a daemon it double-forked: as a
    # subreaper we are still its parent) ends with it.
    for pid in descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    runtime.send({"type": "done", "exit_code": exit_code, "peak_rss_mb": usage.ru_maxrss / 1024})
    os._exit(exit_code)


def _read_job() -> dict[str, Any] | None:
    fd = int(os.environ[CONTROL_FD_ENV])
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    os.environ.pop(CONTROL_FD_ENV, None)
    data = b"".join(chunks)
    return json.loads(data) if data.strip() else None


def _apply_limits(limits: dict[str, Any]) -> None:
    """Backstops in the child; the engine enforces wall time, resident memory and the process
    cap from outside (RLIMIT_NPROC would count all of the user's processes and threads, and
    does nothing for root)."""
    cpu = limits.get("cpu_seconds")
    if cpu:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 5))


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _become_subreaper() -> None:
    """Orphans of the snippet (a daemon that double-forked) are re-parented to us, not to init,
    so the engine can still find and kill them."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            _libc().prctl(PR_SET_CHILD_SUBREAPER, 1)


def _die_with_parent() -> None:
    """If the app is killed, its runs must not live on as orphans (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:
            os._exit(1)


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _snippet_frames(exc: BaseException, path: str) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]


def _snippet_line(exc: BaseException, path: str) -> int | None:
    frames = _snippet_frames(exc, path)
    return frames[-1].lineno if frames else None


def _trimmed(exc: BaseException) -> traceback.TracebackException:
    """The traceback as python would print it, minus this worker's own frame."""
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return traceback.TracebackException(type(exc), exc, tb)


def _print_traceback(exc: BaseException) -> None:
    sys.stderr.write("".join(_trimmed(exc).format()))


def _exception_error(exc: BaseException, path: str) -> dict[str, Any]:
    kind = "exception"
    first_line = (str(exc).strip().splitlines() or [""])[0]
    message = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    if isinstance(exc, MemoryError):
        kind = "memory"
        message = "MemoryError: the snippet ran out of memory"
    elif isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        return {
            **_import_error(top, exc),
            "line": _snippet_line(exc, path),
            "traceback": "".join(_trimmed(exc).format()),
        }
    elif isinstance(exc, RecursionError):
        message = (
            "RecursionError: maximum recursion depth exceeded (a function calls itself forever?)"
        )
    return {
        "type": "error",
        "kind": kind,
        "message": message,
        "exc_type": type(exc).__name__,
        "traceback": "".join(_trimmed(exc).format()),
        "line": _snippet_line(exc, path),
    }


def _import_error(name: str, exc: BaseException) -> dict[str, Any]:
    package = PACKAGE_NAMES.get(name, name)
    extra = EXTRAS.get(name)
    hint = f": pip install '{extra}'" if extra else f": pip install {package}"
    return {
        "type": "error",
        "kind": "import",
        "message": f"No module named '{name}' - the package {package} is not installed{hint}",
        "exc_type": type(exc).__name__,
    }


def _syntax_error(exc: BaseException) -> dict[str, Any]:
    """The message leaves the line out: it travels in ``line``, and every reader (the app's
    log, ``fwlearn run``) prints it from there, so a line in the message said it twice."""
    line = getattr(exc, "lineno", None)
    msg = getattr(exc, "msg", None) or str(exc)
    return {
        "type": "error",
        "kind": "syntax",
        "message": f"{type(exc).__name__}: {msg}",
        "exc_type": type(exc).__name__,
        "traceback": "".join(traceback.format_exception_only(exc)),
        "line": line,
    }


def _report_params(namespace: dict[str, Any]) -> None:
    """Report the parameter count of the snippet's model, so the app can compare frameworks."""
    candidates: list[tuple[int, int]] = []  # (preferred, count)
    for name, value in list(namespace.items()):
        count = _param_count(value)
        if count is not None:
            candidates.append((int(name == "model"), count))
    if candidates:
        runtime.report_fact("params", max(candidates)[1])


def _param_count(value: Any) -> int | None:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.nn.Module):
        return int(sum(p.numel() for p in value.parameters()))
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(value, keras.Model) and value.built:
        with contextlib.suppress(Exception):
            return int(value.count_params())
    return None


def install_keras_hook(keras: Any) -> None:
    """Make every ``Model.fit``/``evaluate`` report metrics, with no change to the snippet.

    Keras has no global callback registry, so the two methods are wrapped to add one callback.
    Batch metrics are throttled: the chart needs a few points a second, not one per batch.
    """

    class FwlearnCallback(keras.callbacks.Callback):
        batch_interval = 0.25

        def __init__(self) -> None:
            super().__init__()
            self._epoch = 1
            self._last_batch = 0.0

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            with contextlib.suppress(Exception):
                runtime.report_fact("params", int(self.model.count_params()))

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._epoch = epoch + 1

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            now = time.monotonic()
            if logs and now - self._last_batch >= self.batch_interval:
                self._last_batch = now
                runtime.report(epoch=self._epoch, step=batch + 1, split="train", **logs)

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if logs:
                runtime.report(epoch=epoch + 1, **logs)

    class FwlearnEvaluateCallback(keras.callbacks.Callback):
        def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
            if logs:
                runtime.report(split="test", **logs)

    def args_of(bound: inspect.BoundArguments) -> tuple[Any, ...]:
        return bound.args

    def wrap(method: Any, callback_cls: type) -> Any:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            given = bound.arguments.get("callbacks")
            if isinstance(given, keras.callbacks.CallbackList):  # fit's own validation pass
                return method(*args_of(bound), **bound.kwargs)
            callbacks = list(given or [])
            if not any(isinstance(c, callback_cls) for c in callbacks):
                callbacks.append(callback_cls())
            bound.arguments["callbacks"] = callbacks
            return method(*args_of(bound), **bound.kwargs)

        wrapper.__fwlearn_wrapped__ = True  # type: ignore[attr-defined]
        return wrapper

    model_cls = keras.Model
    if not getattr(model_cls.fit, "__fwlearn_wrapped__", False):
        model_cls.fit = wrap(model_cls.fit, FwlearnCallback)
        model_cls.evaluate = wrap(model_cls.evaluate, FwlearnEvaluateCallback)


if __name__ == "__main__":
    main()
