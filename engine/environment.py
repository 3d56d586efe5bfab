"""The environment a snippet runs in: threads, device, backend, and no secrets."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence

from .sandbox_setup import BINDS_ENV, MEMORY_ENV, SANDBOX_ENV

CONTROL_FD_ENV = "FWLEARN_CONTROL_FD"
# Not `python -m`: that puts the working directory first on sys.path, and a snippet there called
# keras.py (or json.py) would be imported instead of the real module by this very worker. `-c`
# lets us drop that entry before importing anything; the snippet's folder goes back in front,
# as `python file.py` would have it, only when the job runs.
WORKER_ARGV = (
    sys.executable,
    "-c",
    "import sys; sys.path.pop(0); from fwlearn.engine.worker import main; main()",
)

# Names the learner lets through anyway, e.g. FWLEARN_PASS_ENV=HF_TOKEN,WANDB_API_KEY.
PASS_ENV = "FWLEARN_PASS_ENV"
# What a snippet inherits: an ALLOW list, because it is code the learner did not necessarily
# write, and a deny list always misses one (DATABASE_URL, SENTRY_DSN, CI_JOB_JWT, MYSQL_PWD...).
# Locale, terminal and time zone; where Python and the libraries are; how the frameworks and
# GPUs are set up. Everything else (TMUX*, SSH_*, DISPLAY, XDG_RUNTIME_DIR, DBUS_*, *_URL,
# cloud and CI variables) stays out unless named in FWLEARN_PASS_ENV.
ALLOWED_ENV = re.compile(
    r"^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_\w+|TERM|COLORTERM|NO_COLOR|TZ|TZDIR"
    r"|VIRTUAL_ENV|CONDA_PREFIX|CONDA_DEFAULT_ENV|PYTHONPATH|PYTHONHOME|PYTHONHASHSEED"
    r"|PYTHONWARNINGS|PYTHONUTF8|LD_LIBRARY_PATH|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE"
    r"|CUDA_\w+|NVIDIA_\w+|CUDNN_\w+|NCCL_\w+|XLA_FLAGS|TF_\w+|KERAS_\w+|TORCH_\w+"
    r"|TORCHINDUCTOR_\w+|PYTORCH_\w+|JAX_\w+|OMP_\w+|MKL_\w+|KMP_\w+|OPENBLAS_\w+"
    r"|XDG_CACHE_HOME|XDG_CONFIG_HOME|XDG_DATA_HOME|HF_HOME|HF_DATASETS_CACHE|MPLCONFIGDIR)$"
)
# Only with --network, and never with credentials in them (checked below).
PROXY_ENV = re.compile(r"^(HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|ALL_PROXY|all_proxy)$")
# A name that looks like a secret stays out even if the allow list matched it (TF_TOKEN...).
SECRET_ENV = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PWD$|CREDENTIAL|PRIVATE|(^|_)API_?KEY|(^|_)KEY($|_)|AUTH|JWT",
    re.IGNORECASE,
)
# user:password@ in a URL-like value.
CREDENTIALS_IN_VALUE = re.compile(r"[\w.%+-]+:[^@/\s]*@")
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def default_threads(concurrent_runs: int, cpus: int | None = None) -> int:
    """Intra-op threads per run: leave a core for the UI, split the rest between the runs.

    On 2 cores one thread is fastest even for a single run (measured: keras on torch 0.30 s per
    epoch with one thread vs 3.1 s with the default), because the UI and the other side's run
    compete for the second core.
    """
    cpus = cpus or os.cpu_count() or 1
    return max(1, min(8, (cpus - 1) // max(1, concurrent_runs)))


def child_env(
    framework: str,
    keras_backend: str,
    device: str,
    threads: int,
    extra: Mapping[str, str] | None = None,
    network: bool = False,
    memory_mb: int | None = None,
    binds: Sequence[str] = (),
) -> dict[str, str]:
    """The snippet's environment: the allow-listed part of ours, plus run settings.

    ``memory_mb`` sizes the run's private /tmp and /dev/shm; ``binds`` are host paths under
    those folders that the run must still see (its working directory). The child runs
    ``sys.executable``, so it imports this same fwlearn installation.
    """
    env = inherited_env(network)
    for key in THREAD_ENV:
        env[key] = str(threads)
    env.update(
        {
            "FWLEARN_FRAMEWORK": framework,
            "FWLEARN_THREADS": str(threads),
            "FWLEARN_NETWORK": "on" if network else "off",
            "FWLEARN_DEVICE": device,
            "KERAS_BACKEND": keras_backend,
            "PYTHONUNBUFFERED": "1",  # prints show up as they happen, not at exit
            "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
        }
    )
    if memory_mb:
        env[MEMORY_ENV] = str(memory_mb)
    if binds:
        env[BINDS_ENV] = os.pathsep.join(os.fspath(path) for path in binds)
    if os.environ.get(SANDBOX_ENV) == "off":
        env[SANDBOX_ENV] = "off"
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["JAX_PLATFORMS"] = "cpu"
    env.update(extra or {})
    return env


def inherited_env(
    network: bool = False, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables of ours a snippet sees: allow-listed, no secrets, no credentials in URLs.

    Names in ``FWLEARN_PASS_ENV`` pass as they are: the learner asked for them by name.
    """
    environ = os.environ if environ is None else environ
    named = {name.strip() for name in environ.get(PASS_ENV, "").split(",") if name.strip()}
    env = {}
    for key, value in environ.items():
        if key in named:
            env[key] = value
            continue
        allowed = ALLOWED_ENV.match(key) or (network and PROXY_ENV.match(key))
        if not allowed or key.startswith("FWLEARN_") or SECRET_ENV.search(key):
            continue
        if CREDENTIALS_IN_VALUE.search(value):
            continue
        env[key] = value
    return env
