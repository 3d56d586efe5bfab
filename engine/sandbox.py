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
import os
import resource
import signal
import sys

from .sandbox_setup import (
    SANDBOX_ENV,
    Options,
    Report,
    drop_capabilities,
    error,
    load_libc,
    loopback_up,
    mount_all,
    mount_proc,
    write,
)

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4

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
    libc = load_libc()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (0 if options.network else CLONE_NEWNET)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | flags) == 0:
        report.on("user namespace")
        try:
            write("/proc/self/setgroups", "deny")
            write("/proc/self/uid_map", f"{uid} {uid} 1")
            write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError as exc:  # without a map we hold no capabilities: nothing else works
            report.off("user namespace", f"identity map failed ({exc.strerror})")
            return report
    else:
        why = error()
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
        killed_by = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file for the worker's crash
        with contextlib.suppress(OSError, ValueError):  # SIGKILL/SIGSTOP take no handler
            signal.signal(killed_by, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [killed_by])
        os.kill(os.getpid(), killed_by)
        os._exit(128 + killed_by)
    os._exit(os.waitstatus_to_exitcode(status))


def _init(options: Options, report: Report, outer: int, status_w: int, blocked: set[int]) -> Report:
    libc = load_libc()
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if _host_ppid() not in (outer, None):  # outer died before the line above: so do we
        os._exit(1)
    mount_all(options, report, libc)
    host_proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY)  # host view, for our host pid
    mount_proc(options, report, libc)
    if not options.network:
        loopback_up(report)
    worker = os.fork()
    if worker == 0:
        os.close(status_w)
        with contextlib.suppress(OSError):
            report.host_pid = int(os.readlink("self", dir_fd=host_proc))
        os.close(host_proc)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        drop_capabilities(report, libc)
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
