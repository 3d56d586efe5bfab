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
import os
import platform
import re
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Iterator
from typing import Any, NoReturn

from . import keras_hook, runtime, sandbox, snippet_stdin
from .environment import CONTROL_FD_ENV
from .proctree import descendants
from .protocol import Done, ErrorMessage, Job, JobLimits, Ready, StartMessage, decode
from .sandbox_setup import Options
from .worker_errors import (
    exception_error,
    import_error,
    print_traceback,
    snippet_line,
    syntax_error,
)

ZYGOTE_FD_ENV = "FWLEARN_ZYGOTE_FD"  # zygote.SOCKET_FD_ENV (it imports this module)
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    die_with_parent()
    if ZYGOTE_FD_ENV in os.environ:  # started as a zygote (zygote.py), with the same argv
        from .zygote import main as zygote_main

        # Returns only in a forked spare, its pipes and environment those of a started worker;
        # it goes on from this frame as one, so its stack (which a traceback or a torch anomaly
        # report prints) is the same as a fresh start's.
        zygote_main()
    serve()


def serve() -> None:
    # The sandbox first: unshare() refuses a process that already has threads, and importing a
    # framework starts many. enter() returns in the sandboxed worker only (see sandbox.py).
    # Popped: the program must not be able to tell a spare from a fresh start.
    warm = os.environ.pop("FWLEARN_WARM", "") == "1"
    box = sandbox.enter(Options.from_env())
    if not box.pid_namespace:  # else the namespace's init reaps, and its end kills them all
        _become_subreaper()
    faulthandler.enable()
    framework = os.environ.get("FWLEARN_FRAMEWORK", "python")
    threads = int(os.environ.get("FWLEARN_THREADS", "1"))
    started = time.monotonic()
    try:
        with quiet_import():
            info = prepare(framework, threads, warm=warm)
        info["network"] = box.network
        info["sandbox"] = {"summary": box.summary, **box.checks}
        info["host_pid"] = box.host_pid
        wants_cuda = os.environ.get("FWLEARN_DEVICE") == "cuda" and framework != "python"
        if wants_cuda and not info["device"].startswith("cuda"):
            runtime.send(
                ErrorMessage(
                    type="error",
                    kind="device",
                    message=f"--device cuda: {framework} sees no CUDA device here "
                    "(use --device auto to fall back to the CPU)",
                    exc_type=None,
                    traceback="",
                    line=None,
                )
            )
            _finish(1)
    except ImportError as exc:
        name = (getattr(exc, "name", None) or str(exc)).split(".")[0]
        runtime.send(import_error(name, exc))
        _finish(1)
    runtime.send(Ready(type="ready", import_seconds=round(time.monotonic() - started, 3)))
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
def quiet_import() -> Iterator[None]:
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
        if warm and not _job_waiting():
            # The first optimizer.step() lazily imports torch._dynamo (~1 s): pay it while idle.
            import torch._dynamo
    elif framework == "keras":
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        info["keras_backend"] = backend
        if backend == "tensorflow":
            import tensorflow as tf  # type: ignore[import-untyped,unused-ignore]

            with contextlib.suppress(RuntimeError):
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(max(1, threads))
            info["versions"]["tensorflow"] = tf.__version__
            gpus = tf.config.list_physical_devices("GPU")
            if gpus:  # the name without allocating: TF's memory figures need a live device
                details = tf.config.experimental.get_device_details(gpus[0])
                info["device"] = cuda_label(0, details.get("device_name") or gpus[0].name)
        elif backend == "torch":
            import torch

            torch.set_num_threads(threads)
            info["versions"]["torch"] = torch.__version__
            info["device"] = _torch_device(torch)
        elif backend == "jax":
            import jax  # type: ignore[import-not-found,unused-ignore]

            info["versions"]["jax"] = jax.__version__
            info["device"] = str(jax.devices()[0])
        import keras  # type: ignore[import-untyped,unused-ignore]

        info["versions"]["keras"] = keras.__version__
        if warm and not _job_waiting():
            keras_hook.warm_up(backend)
        keras_hook.install_keras_hook(keras)
    return info


def _torch_device(torch: Any) -> str:
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return cuda_label(0, props.name, props.total_memory)
    return "cpu"


def cuda_label(index: int, name: str, total_bytes: int | None = None) -> str:
    """What Start says of a CUDA device, and the status bar shows: ``cuda:0 (NVIDIA H200,
    140 GiB)``. The memory tells a learner whether a bigger batch can fit; GiB, as
    ``torch.cuda.get_device_properties(0).total_memory`` counts in bytes of 2**30."""
    memory = f", {total_bytes / 2**30:.0f} GiB" if total_bytes else ""
    return f"cuda:{index} ({name}{memory})"


def run_job(job: Job, info: dict[str, Any]) -> int:
    """Run one snippet as ``__main__``, the way ``python path`` would, and report how it ended."""
    path = job["path"]
    os.chdir(job["cwd"])
    _apply_limits(job["limits"])
    threads = job["threads"]
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    sys.argv = [path]
    snippet_stdin.install(job.get("echo_input", False))  # input(), pdb: see there
    sys.path.insert(0, os.path.dirname(path))
    runtime.send(
        StartMessage(
            type="start",
            framework=info["framework"],
            python=platform.python_version(),
            device=info["device"],
            pid=info.get("host_pid") or os.getpid(),
            keras_backend=info.get("keras_backend"),
            versions=info["versions"],
            threads=threads,
            network=info.get("network", "allowed"),
            sandbox=info.get("sandbox"),
        )
    )
    source = job["source"]
    try:
        code = compile(source, path, "exec")
    except (SyntaxError, ValueError) as exc:
        runtime.send(syntax_error(exc))
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
                ErrorMessage(
                    type="error",
                    kind="exit",
                    message=f"the snippet called sys.exit({exc.code!r})",
                    exc_type=None,
                    traceback="",
                    line=snippet_line(exc, path),
                )
            )
    except BaseException as exc:  # the snippet's failure is the report, not ours
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not cut the report
        exit_code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        runtime.send(exception_error(exc, path))
        with contextlib.suppress(Exception):  # the snippet may have closed stderr
            print_traceback(exc)
    else:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _report_params(main_module.__dict__)
    return exit_code


def _finish(exit_code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    # Whatever the snippet started (DataLoader workers, a daemon it double-forked: as a
    # subreaper we are still its parent) ends with it.
    for pid in descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    runtime.send(Done(type="done", exit_code=exit_code, peak_rss_mb=usage.ru_maxrss / 1024))
    os._exit(exit_code)


def _job_waiting() -> bool:
    """A run took this spare while it was still importing: skip the warm-up extras, which a
    fresh start does not pay either (measured with the load average at 8: a half-ready torch
    spare that still imported torch._dynamo printed its first line after 9.4-11.9 s, a cold
    start after 7.3 s)."""
    fd = os.environ.get(CONTROL_FD_ENV)
    if fd is None:
        return False
    with contextlib.suppress(OSError, ValueError):
        return bool(select.select([int(fd)], [], [], 0)[0])
    return False


def _read_job() -> Job | None:
    """The job the engine wrote on the control pipe; None when it closed the pipe unused."""
    fd = int(os.environ[CONTROL_FD_ENV])
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    os.environ.pop(CONTROL_FD_ENV, None)
    data = b"".join(chunks)
    if not data.strip():
        return None
    job = decode(data)
    if job["type"] != "job":
        raise ValueError(f"expected a job on the control pipe, got {job['type']!r}")
    return job


def _apply_limits(limits: JobLimits) -> None:
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


def die_with_parent() -> None:
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


if __name__ == "__main__":
    main()
