"""The environment a snippet runs in: threads, device, backend, and no secrets."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

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
# Variables a snippet should not inherit: it is code the learner did not necessarily write.
SECRET_ENV = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|(^|_)API_?KEY|(^|_)KEY($|_)"
    r"|^AWS_|^AZURE_|^GOOGLE_APPLICATION|^GH_|^GITHUB_|^HF_|^HUGGING|^SSH_AUTH_SOCK$|^OPENAI|^ANTHROPIC",
    re.IGNORECASE,
)
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
) -> dict[str, str]:
    """The snippet's environment: ours minus secrets and fwlearn internals, plus run settings.

    The child runs ``sys.executable``, so it imports this same fwlearn installation.
    """
    allowed = {name.strip() for name in os.environ.get(PASS_ENV, "").split(",") if name.strip()}
    env = {
        key: value
        for key, value in os.environ.items()
        if key in allowed or (not SECRET_ENV.search(key) and not key.startswith("FWLEARN_"))
    }
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
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["JAX_PLATFORMS"] = "cpu"
    env.update(extra or {})
    return env
