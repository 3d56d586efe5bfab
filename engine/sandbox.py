"""The run's sandbox: Linux namespaces the worker enters before it imports anything.

``enter()`` is the first thing a worker does. It splits the worker into three processes:

    engine ── outer (host namespaces: what the engine started and watches)
                └─ init  (PID 1 of a new PID namespace: mounts, then only reaps and relays)
                     └─ worker (PID 2: imports the framework, runs the snippet; no capabilities)

and returns only in the worker. Why this shape:

* **Nothing outlives the run.** When the namespace's init exits, the kernel SIGKILLs every
  process left in the namespace: a double-forked daemon, a child of a worker that left with
  ``os._exit``, a fork bomb. Init exits as soon as the worker does, so the engine sees the run
  end when the outer process exits, whatever still held the output pipes.
* **The supervisor is out of reach.** Outer and engine are outside the PID namespace and /proc
  is a fresh one, so a snippet can neither see nor signal (SIGSTOP, SIGKILL) them nor read
  their ``/proc/<pid>/environ``. Init ignores every signal from inside (the kernel's rule for a
  namespace init) and is not dumpable, so it cannot be stopped or traced either.
* **User namespace always**, also for root: the mounts need capabilities, and the worker drops
  all of them (bounding set, securebits, ``no_new_privs``) before any learner code runs, so a
  snippet cannot ``umount /proc``, ``setns`` into the host's network or regain root by exec.
* **Private /tmp, /dev/shm, /var/tmp and /run** (tmpfs, sized by the memory cap, counted by the
  engine against it): sockets there (ssh-agent, tmux, X11, databases) and files left there are
  out of sight and gone with the run. The run's working directory, which lives in the host's
  /tmp, is bound back in at the same path. Credential folders in the home (``~/.ssh``,
  ``~/.aws``, ...) are covered with empty, read-only ones. The rest of the file system stays
  as the user sees it (the venv, the learner's files).
* **No network** (unless asked): a new network namespace with only a loopback, brought up so
  that ``torch.distributed`` on localhost works. Abstract UNIX sockets of the host are per
  network namespace, so they are unreachable too.

Stdlib only, and nothing here may start a thread: ``unshare()`` refuses a threaded process.
Where a mechanism is missing (no unprivileged user namespaces, not Linux) the run goes on
without it and the report says which protection is off; ``fwlearn doctor`` prints it.
Measured here (6.18 kernel, 2 cores, timing ``enter()`` in a script): ~7 ms once per worker
(mounts 1 ms, /proc 0.4 ms, dropping capabilities 0.6 ms, the rest the two forks), which a warm
spare pays while idle: Run to first output from a spare stays 1.4-1.6 ms
(``bench/first_output.py --runs 5``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import resource
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 28, 38, 47
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
# Signals that would end or stop init when sent from the engine's side to the whole group.
INIT_IGNORES = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
    signal.SIGTSTP,
    signal.SIGTTIN,
    signal.SIGTTOU,
    signal.SIGPIPE,
)


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


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _error() -> str:
    return os.strerror(ctypes.get_errno())


def enter(options: Options) -> Report:
    """Put this (single-threaded) worker in its sandbox; returns in the sandboxed worker only."""
    report = Report(host_pid=os.getpid())
    report.network = "allowed" if options.network else "not isolated"
    if not sys.platform.startswith("linux"):
        report.off("namespaces", "needs Linux")
        report.network = "allowed" if options.network else "not isolated: needs Linux namespaces"
        return report
    if not options.enabled:
        report.off("namespaces", f"{SANDBOX_ENV}=off")
        return report
    libc = _libc()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (0 if options.network else CLONE_NEWNET)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | flags) == 0:
        report.on("user namespace")
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError as exc:  # without a map we hold no capabilities: nothing else works
            report.off("user namespace", f"identity map failed ({exc.strerror})")
            return report
    else:
        why = _error()
        if os.geteuid() != 0 or libc.unshare(flags) != 0:
            report.off("namespaces", f"unshare: {why} (unprivileged user namespaces disabled?)")
            if not options.network:
                report.network = f"not isolated: {why} (user namespaces disabled?)"
            return report
        report.off("user namespace", why)  # root can do the rest without one
    report.network = "allowed" if options.network else "off"
    report.on("pid namespace")
    report.pid_namespace = True
    outer = os.getpid()
    status_r, status_w = os.pipe()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, INIT_IGNORES)
    init = os.fork()
    if init:
        os.close(status_w)
        _outer(init, status_r, blocked)
    os.close(status_r)
    return _init(options, report, outer, status_w, blocked)


def _outer(init: int, status_r: int, blocked: set[int]) -> None:
    """Wait for init, then leave the way the worker left (exit code or signal)."""
    for signum in INIT_IGNORES:  # the engine signals the group; the worker answers, not us
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    data = b""
    while chunk := os.read(status_r, 64):
        data += chunk
    with contextlib.suppress(ChildProcessError):
        os.waitpid(init, 0)
    status = int(data) if data.strip().isdigit() else 9  # init killed before it said: SIGKILL
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file for the worker's crash
        with contextlib.suppress(OSError, ValueError):  # SIGKILL/SIGSTOP take no handler
            signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)
    os._exit(os.waitstatus_to_exitcode(status))


def _init(options: Options, report: Report, outer: int, status_w: int, blocked: set[int]) -> Report:
    libc = _libc()
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if _host_ppid() not in (outer, None):  # outer died before the line above: so do we
        os._exit(1)
    _mount_all(options, report, libc)
    host_proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY)  # host view, for our host pid
    _mount_proc(options, report, libc)
    if not options.network:
        _loopback_up(report)
    worker = os.fork()
    if worker == 0:
        os.close(status_w)
        with contextlib.suppress(OSError):
            report.host_pid = int(os.readlink("self", dir_fd=host_proc))
        os.close(host_proc)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _drop_capabilities(report, libc)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return report
    os.close(host_proc)
    for signum in INIT_IGNORES:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _reap_until(worker, status_w)
    raise AssertionError("unreachable")


def _reap_until(worker: int, status_w: int) -> None:
    """Init's whole life after the fork: reap orphans; when the worker ends, so do we all."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == worker:
            with contextlib.suppress(OSError):
                os.write(status_w, str(status).encode())
            os._exit(0)  # the kernel now SIGKILLs whatever is left in the namespace


def _host_ppid() -> int | None:
    """Our parent's pid in the host's /proc (inside the namespace getppid() says 0)."""
    try:
        with open("/proc/self/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


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

    return libc.mount(b(source), b(target), b(fstype), ctypes.c_ulong(flags), b(data)) == 0


def _mount_all(options: Options, report: Report, libc: Any) -> None:
    if not _mount(libc, None, "/", None, MS_REC | MS_PRIVATE):
        report.off("private /tmp", f"mount namespace: {_error()}")
        return
    # Open what must stay visible before the folders that hold it are covered: the run's
    # folders, and Python itself should it live there (a venv under /tmp).
    wanted = [*options.binds, sys.prefix, sys.base_prefix, *sys.path]
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
            failed.append(f"{folder} ({_error()})")
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
                lost.append(f"{path}: {_error()}")
        except OSError as exc:
            lost.append(f"{path}: {exc.strerror}")
        finally:
            os.close(fd)
    if lost:
        report.off("work dir visible", "; ".join(lost))


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


def _mount_proc(options: Options, report: Report, libc: Any) -> None:
    """A /proc that shows only this run's processes; then the run's own user limits."""
    if _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC):
        report.on("host /proc hidden")
    else:  # e.g. in a container whose /proc has masked paths
        report.off("host /proc hidden", _error())
        return
    for name, value in USER_SYSCTLS.items():
        with contextlib.suppress(OSError):
            _write(f"/proc/sys/user/{name}", value)
    # SysV shared memory lives in the run's IPC namespace: cap it at the memory limit too.
    with contextlib.suppress(OSError):
        pages = max(1, options.memory_mb * 2**20 // os.sysconf("SC_PAGE_SIZE"))
        _write("/proc/sys/kernel/shmall", str(pages))


def _loopback_up(report: Report) -> None:
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


def _drop_capabilities(report: Report, libc: Any) -> None:
    """No capability survives into learner code, and none comes back through exec."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            last = int(handle.read())
    except (OSError, ValueError):
        last = 40
    failed = []
    if libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED, 0, 0, 0) != 0:
        failed.append(f"securebits ({_error()})")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            failed.append(f"bounding set ({_error()})")
            break
    header = _CapHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        failed.append(f"capset ({_error()})")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        failed.append(f"no_new_privs ({_error()})")
    if failed:
        report.off("capabilities dropped", ", ".join(failed))
    else:
        report.on("capabilities dropped")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def hidden_path(path: str, roots: Sequence[str] = PRIVATE_DIRS) -> bool:
    """True if the sandbox covers ``path`` (it must be bound back in to stay visible)."""
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip("/") + "/") for root in roots)
