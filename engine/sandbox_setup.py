"""What the sandbox's init sets up before the worker runs: mounts, /proc, network, capabilities.

``sandbox.enter`` builds the process shape (outer, init, worker) and calls these, in init
(mounts, /proc, loopback) and in the worker (dropping capabilities). Each step records in the
``Report`` whether its protection is on, and why not where it is off. Stdlib only, no threads.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import socket
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 24, 28, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE, each with its lock bit.
SECUREBITS_LOCKED = 0b11101111
CAPABILITY_VERSION_3 = 0x20080522
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

# Options travel from the engine to the worker in these variables.
NETWORK_ENV = "FWLEARN_NETWORK"  # "off" | "on"
MEMORY_ENV = "FWLEARN_MEMORY_MB"
BINDS_ENV = "FWLEARN_BINDS"  # host paths the run must still see, os.pathsep-separated
SANDBOX_ENV = "FWLEARN_SANDBOX"  # "off": run without namespaces (debugging, benchmarks)

# Host folders replaced by an empty private tmpfs in the run.
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run")
# When the network is allowed, name resolution may need these from the host's /run.
RESOLVER_DIRS = ("/run/systemd/resolve", "/run/resolvconf", "/run/NetworkManager")
# Credentials a snippet has no business reading, relative to the home folder.
HOME_SECRETS = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".config/gh",
    ".kube",
    ".docker",
    ".netrc",
    ".pgpass",
    ".my.cnf",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    ".cache/huggingface/token",
    ".huggingface/token",
    ".password-store",
    ".local/share/keyrings",
)
# Limits of the run's own user namespace (the host user's limits still apply above them): the
# host user has 128 inotify instances in all; a run may hold 16 and create no namespaces.
USER_SYSCTLS = {
    "max_inotify_instances": "16",
    "max_inotify_watches": "8192",
    "max_user_namespaces": "0",
    "max_mnt_namespaces": "0",
}


@dataclass
class Options:
    """What the engine asked for (read from the environment the engine built)."""

    network: bool = False
    memory_mb: int = 4096
    binds: tuple[str, ...] = ()
    enabled: bool = True

    @classmethod
    def from_env(cls) -> Options:
        env = os.environ
        binds = tuple(p for p in env.pop(BINDS_ENV, "").split(os.pathsep) if p)
        memory = env.pop(MEMORY_ENV, "")
        return cls(
            network=env.get(NETWORK_ENV, "off") != "off",
            memory_mb=int(memory) if memory.isdigit() else 4096,
            binds=binds,
            enabled=env.pop(SANDBOX_ENV, "") != "off",
        )


@dataclass
class Report:
    """Which protection is on, and why not where it is off (shown by ``fwlearn doctor``)."""

    checks: dict[str, str] = field(default_factory=dict)
    network: str = "allowed"
    pid_namespace: bool = False
    host_pid: int = 0  # the worker's pid as the engine sees it

    def on(self, name: str) -> None:
        self.checks[name] = "on"

    def off(self, name: str, why: str) -> None:
        self.checks[name] = f"off: {why}"

    @property
    def summary(self) -> str:
        """One short line for the status bar: "on", or what is off."""
        off = [name for name, state in self.checks.items() if state != "on"]
        if not off:
            return "on"
        if len(off) == len(self.checks):
            return "off"
        return "partial (off: " + ", ".join(off) + ")"


def load_libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def error() -> str:
    return os.strerror(ctypes.get_errno())


def _mount(
    libc: Any,
    source: str | None,
    target: str,
    fstype: str | None,
    flags: int,
    data: str | None = None,
) -> bool:
    def b(text: str | None) -> bytes | None:
        return None if text is None else os.fsencode(text)

    return bool(libc.mount(b(source), b(target), b(fstype), ctypes.c_ulong(flags), b(data)) == 0)


def mount_all(options: Options, report: Report, libc: Any) -> None:
    if not _mount(libc, None, "/", None, MS_REC | MS_PRIVATE):
        report.off("private /tmp", f"mount namespace: {error()}")
        return
    # Open what must stay visible before the folders that hold it are covered: the run's
    # folders, and Python itself should it live there (a venv under /tmp), and fwlearn's own.
    wanted = [*options.binds, sys.prefix, sys.base_prefix, *sys.path, *_own_package_dirs()]
    keep: dict[str, int | None] = {}
    for path in sorted({os.path.realpath(p) for p in wanted if p and hidden_path(p)}):
        if path in PRIVATE_DIRS:  # never the whole folder (a script run from /tmp)
            continue
        if os.path.exists(path) and not any(path.startswith(k + "/") for k in keep):
            keep[path] = _open_path(path)
    if options.network:
        keep.update({path: _open_path(path) for path in RESOLVER_DIRS if os.path.isdir(path)})
    size = f"size={max(64, options.memory_mb)}m"
    covered, failed = [], []
    for folder in PRIVATE_DIRS:
        if os.path.islink(folder) or not os.path.isdir(folder):
            continue
        mode = "mode=0755" if folder == "/run" else "mode=1777"
        flags = MS_NOSUID | MS_NODEV
        if _mount(libc, "tmpfs", folder, "tmpfs", flags, f"{mode},{size}"):
            covered.append(folder)
        else:
            failed.append(f"{folder} ({error()})")
    if failed:
        report.off("private /tmp", ", ".join(failed))
    else:
        report.on("private /tmp")
    _hide_home_secrets(libc)  # a home under /tmp, or none at all, has nothing left to hide
    report.on("home secrets hidden")
    lost = []
    for path, fd in keep.items():
        if fd is None:
            continue
        try:
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            if not _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC):
                lost.append(f"{path}: {error()}")
        except OSError as exc:
            lost.append(f"{path}: {exc.strerror}")
        finally:
            os.close(fd)
    if lost:
        report.off("work dir visible", "; ".join(lost))


def _own_package_dirs() -> list[str]:
    """fwlearn's own folders. A process the program starts (``torch.multiprocessing.spawn``'s
    workers, ``subprocess.run([sys.executable, ...])``) imports fwlearn afresh, and an editable
    install keeps its sources where they were cloned: a clone under /tmp (a CI checkout) was
    hidden by the private /tmp, and lesson 18's DDP workers died on ``import fwlearn``."""
    root = sys.modules.get("fwlearn")
    return [os.path.dirname(os.path.abspath(__file__)), *getattr(root, "__path__", [])]


def _open_path(path: str) -> int | None:
    try:
        return os.open(path, os.O_PATH)
    except OSError:
        return None


def _hide_home_secrets(libc: Any) -> list[str]:
    """Cover credential folders with an empty read-only tmpfs and files with /dev/null."""
    hidden: list[str] = []
    home = os.environ.get("HOME") or os.path.expanduser("~")
    if not home or not os.path.isdir(home):
        return hidden
    for name in HOME_SECRETS:
        path = os.path.join(home, name)
        if os.path.islink(path):
            path = os.path.realpath(path)
        if os.path.isdir(path):
            done = _mount(
                libc, "tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0500"
            )
        elif os.path.exists(path):
            done = _mount(libc, "/dev/null", path, None, MS_BIND)
        else:
            continue
        if done:
            hidden.append(name)
    return hidden


def mount_proc(options: Options, report: Report, libc: Any) -> None:
    """A /proc that shows only this run's processes; then the run's own user limits."""
    if _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC):
        report.on("host /proc hidden")
    else:  # e.g. in a container whose /proc has masked paths
        report.off("host /proc hidden", error())
        return
    for name, value in USER_SYSCTLS.items():
        with contextlib.suppress(OSError):
            write(f"/proc/sys/user/{name}", value)
    # SysV shared memory lives in the run's IPC namespace: cap it at the memory limit too.
    with contextlib.suppress(OSError):
        pages = max(1, options.memory_mb * 2**20 // os.sysconf("SC_PAGE_SIZE"))
        write("/proc/sys/kernel/shmall", str(pages))


def loopback_up(report: Report) -> None:
    """Bring ``lo`` up in the fresh network namespace (torch.distributed on localhost)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sh14x", b"lo", 0)
            flags = struct.unpack("16sh14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | IFF_UP))
    except OSError as exc:
        report.checks["loopback"] = f"off: {exc.strerror}"


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities(report: Report, libc: Any) -> None:
    """No capability survives into learner code, and none comes back through exec."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            last = int(handle.read())
    except (OSError, ValueError):
        last = 40
    failed = []
    if libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED, 0, 0, 0) != 0:
        failed.append(f"securebits ({error()})")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            failed.append(f"bounding set ({error()})")
            break
    header = _CapHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        failed.append(f"capset ({error()})")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        failed.append(f"no_new_privs ({error()})")
    if failed:
        report.off("capabilities dropped", ", ".join(failed))
    else:
        report.on("capabilities dropped")


def write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def hidden_path(path: str, roots: Sequence[str] = PRIVATE_DIRS) -> bool:
    """True if the sandbox covers ``path`` (it must be bound back in to stay visible)."""
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip("/") + "/") for root in roots)
