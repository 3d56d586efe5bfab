"""Attack snippets against the run sandbox (issue 12): each ends on time, leaves nothing behind,
and reaches none of the learner's processes, secrets, sockets or disk.

Every case is a real snippet through the real engine (plain Python, so each run costs well
under a second). They need Linux with user namespaces, as the sandbox does; where it is off,
they are skipped and ``fwlearn doctor`` says why.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from fwlearn.engine import Run, RunResult, RunSpec
from fwlearn.engine.proctree import alive, descendants
from fwlearn.engine.workdirs import sweep

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux namespaces")


def run_attack(source: str, **spec: Any) -> tuple[RunResult, set[int], Path]:
    """Run ``source``; return the result, every pid the run ever had, and its work dir."""
    spec.setdefault("timeout", 20)
    run = Run(RunSpec(source=textwrap.dedent(source).lstrip(), **spec))
    family: set[int] = set()

    async def consume() -> RunResult:
        async def watch() -> None:
            while True:
                if run.child.pid:
                    family.update([run.child.pid, *descendants(run.child.pid)])
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        try:
            return RunResult([event async for event in run.events()])
        finally:
            watcher.cancel()

    result = asyncio.run(consume())
    assert run.workdir is not None
    return result, family, run.workdir


def assert_nothing_left(family: set[int], workdir: Path) -> None:
    assert not workdir.exists(), f"work dir left behind: {workdir}"
    deadline = time.monotonic() + 2
    while any(alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in family if alive(pid)], "processes left behind"


@pytest.fixture(scope="module")
def sandboxed() -> None:
    result, family, workdir = run_attack("pass\n")
    if result.start.limits.get("sandbox") != "on":
        pytest.skip(f"no sandbox here: {result.start.limits.get('sandbox_checks')}")
    assert_nothing_left(family, workdir)


@pytest.mark.parametrize(
    "ending",
    ["os._exit(0)", "ctypes.string_at(0)", "os.kill(os.getpid(), signal.SIGKILL)", "pass"],
)
def test_a_child_holding_the_pipes_does_not_keep_the_run_alive(sandboxed, ending: str) -> None:
    """A worker that leaves while its children (same group, or a setsid daemon) hold stdout
    open used to hang the run for good; now it ends at once and takes them all with it."""
    source = f"""
    import ctypes, os, signal, subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])  # same group
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(300)
        os._exit(0)
    time.sleep(0.3)
    print("leaving", flush=True)
    {ending}
    """
    started = time.monotonic()
    result, family, workdir = run_attack(source, timeout=30)
    assert time.monotonic() - started < 5
    assert "leaving" in result.stdout
    assert len(family) >= 5  # outer, init, worker, the Popen child, the daemon
    assert_nothing_left(family, workdir)


def test_the_supervisor_cannot_be_stopped_or_killed_from_inside(sandboxed) -> None:
    """SIGSTOP/SIGKILL to every process a snippet can name, its parent included, then a
    sleep: the engine is out of reach, so the timeout still ends the run on schedule."""
    source = """
    import ctypes, os, signal, time
    libc = ctypes.CDLL(None)
    libc.prctl(1, 0)  # clear the parent-death signal
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    print("pids", pids, "ppid", os.getppid(), flush=True)
    for target in (os.getppid(), 1, -1):
        for signum in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(target, signum)
            except OSError as exc:
                print("refused", target, exc.errno)
    print("still here", flush=True)
    time.sleep(300)
    """
    started = time.monotonic()
    result, family, workdir = run_attack(source, timeout=2)
    elapsed = time.monotonic() - started
    assert result.end.status == "timeout", result.stdout
    assert elapsed < 2 + 1 + 4  # timeout, SIGINT grace, a few seconds
    assert result.lines()[0] == "pids [1, 2] ppid 1"  # only the run's own init and itself
    assert "still here" in result.stdout
    assert_nothing_left(family, workdir)


def test_killing_the_engine_ends_the_run_and_the_next_start_sweeps_its_dir(sandboxed) -> None:
    """SIGKILL of the app during a stuck run: the run dies with it, its dir is swept later."""
    script = """
    import asyncio, json, sys
    from fwlearn.engine import Run, RunSpec
    from fwlearn.engine.proctree import descendants

    async def main():
        run = Run(RunSpec(source="import time\\nprint('up', flush=True)\\ntime.sleep(300)\\n"))
        async for event in run.events():
            if event.type == "output":
                print(json.dumps([str(run.workdir), run.child.pid,
                                  *descendants(run.child.pid)]), flush=True)
    asyncio.run(main())
    """
    engine = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, text=True
    )
    assert engine.stdout is not None
    workdir, *family = json.loads(engine.stdout.readline())
    assert len(family) >= 3 and Path(workdir).is_dir()
    engine.kill()
    engine.wait()
    assert_gone = time.monotonic() + 3
    while any(alive(pid) for pid in family) and time.monotonic() < assert_gone:
        time.sleep(0.05)
    assert not [pid for pid in family if alive(pid)]
    assert Path(workdir) in sweep(Path(workdir).parent)
    assert not Path(workdir).exists()


def test_no_secret_of_the_learner_reaches_the_snippet(sandboxed, monkeypatch) -> None:
    """The environment is an allow list, and nobody's /proc/<pid>/environ is readable."""
    secrets = {
        "DATABASE_URL": "postgres://u:p@db/x",
        "REDIS_URL": "redis://:pw@cache:6379",
        "MYSQL_PWD": "pw",
        "SENTRY_DSN": "https://key@sentry.example/1",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/x",
        "CI_JOB_JWT": "jwt",
        "STRIPE_SK": "sk_live_x",
        "DOCKER_AUTH_CONFIG": "{}",
        "PIP_INDEX_URL": "https://u:p@pypi.example/simple",
        "TMUX": "/tmp/tmux-0/default,1,0",
        "TMUX_PANE": "%1",
        "SSH_AUTH_SOCK": "/tmp/ssh-x/agent.1",
        "MY_SECRET_THING": "x",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LC_TEST_VISIBLE", "yes")
    monkeypatch.setenv("FWLEARN_PASS_ENV", "STRIPE_SK")
    source = """
    import os
    print(sorted(os.environ))
    leaked = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()] + [str(os.getppid())]:
        try:
            leaked.append(open(f"/proc/{pid}/environ", "rb").read())
        except OSError:
            pass
    print(any(b"postgres://" in blob or b"sk_live" in blob for blob in leaked))
    """
    result, family, workdir = run_attack(source)
    names = set(eval(result.lines()[0]))  # the sorted list of names it printed
    assert names & set(secrets) == {"STRIPE_SK"}  # named by the learner: passed on purpose
    assert "LC_TEST_VISIBLE" in names and "PATH" in names
    assert result.lines()[1] == "True"  # its own environ: STRIPE_SK, nothing else
    source_own_only = source.replace('or b"sk_live" in blob', "")
    result, family, workdir = run_attack(source_own_only)
    assert result.lines()[1] == "False"  # no process it can read holds DATABASE_URL
    assert_nothing_left(family, workdir)


def test_no_capability_no_way_out(sandboxed) -> None:
    """umount /proc, setns, a new user namespace, raw sockets: all refused, as root too."""
    source = """
    import ctypes, os, socket
    libc = ctypes.CDLL(None, use_errno=True)
    status = open("/proc/self/status").read()
    caps = {line.split(":")[0]: line.split()[1] for line in status.splitlines()
            if line.startswith("Cap")}
    print(caps["CapEff"], caps["CapBnd"])
    print("umount", libc.umount2(b"/proc", 2), ctypes.get_errno())
    fd = os.open("/proc/1/ns/net", os.O_RDONLY) if os.path.exists("/proc/1/ns/net") else -1
    print("setns", libc.setns(fd, 0x40000000), ctypes.get_errno())
    print("unshare", libc.unshare(0x10000000), ctypes.get_errno())
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        print("raw ok")
    except OSError:
        print("raw refused")
    """
    result, family, workdir = run_attack(source)
    lines = result.lines()
    assert lines[0] == "0000000000000000 0000000000000000", lines
    assert lines[1].startswith("umount -1 ")
    assert lines[2].startswith("setns -1 ")
    assert lines[3].startswith("unshare -1 ")
    assert lines[4] == "raw refused"
    assert_nothing_left(family, workdir)


def test_the_learners_sockets_are_out_of_reach(sandboxed, tmp_path: Path) -> None:
    """A UNIX socket under /tmp (ssh-agent, tmux live there) and an abstract one."""
    path = tmp_path / "agent.sock"
    abstract = f"\0fwlearn-test-{uuid.uuid4().hex}"
    servers = []
    for address in (str(path), abstract):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(address)
        server.listen()
        servers.append(server)
    source = f"""
    import socket
    for address in ({str(path)!r}, {abstract!r}):
        try:
            socket.socket(socket.AF_UNIX).connect(address)
            print("connected")
        except OSError as exc:
            print(type(exc).__name__)
    """
    try:
        result, family, workdir = run_attack(source)
    finally:
        for server in servers:
            server.close()
    assert result.lines() == ["FileNotFoundError", "ConnectionRefusedError"]
    assert_nothing_left(family, workdir)


def test_memory_outside_the_processes_counts_against_the_cap(sandboxed) -> None:
    """Unmapped memfd pages (invisible in RSS) hit the memory cap like any other memory."""
    source = """
    import os
    fd = os.memfd_create("hoard")
    block = b"x" * (16 * 2**20)
    for i in range(64):  # 1 GiB
        os.write(fd, block)
    print("kept 1 GiB")
    """
    result, family, workdir = run_attack(source, memory_mb=256)
    assert result.error is not None and result.error.kind == "memory", result.error
    assert "kept" not in result.stdout
    assert_nothing_left(family, workdir)


def test_files_outside_the_work_dir_are_private_and_gone(sandboxed) -> None:
    """/tmp and /dev/shm are the run's own, sized by its cap and gone with it."""
    name = f"fwlearn-attack-{uuid.uuid4().hex}"
    # A host file in /tmp the run must not see. (Listing /tmp is no test: paths the run needs,
    # such as a checkout or venv that lives under /tmp, are bound back in.)
    host_file = Path("/tmp", f"fwlearn-host-{uuid.uuid4().hex}")
    host_file.write_text("host only")
    source = f"""
    import os
    print(not os.path.exists({str(host_file)!r}))
    written = 0
    try:
        with open("/dev/shm/{name}", "wb") as handle:
            while written < 2**30:
                handle.write(b"x" * 2**20)
                written += 2**20
                handle.flush()
    except OSError as exc:
        print("stopped", exc.errno)
    open("/tmp/{name}", "w").write("left behind?")
    print(written // 2**20)
    """
    result, family, workdir = run_attack(source, memory_mb=128)
    host_file.unlink()
    assert result.lines()[0] == "True", result.lines()  # the host's /tmp is not the run's
    assert not Path("/dev/shm", name).exists() and not Path(tempfile.gettempdir(), name).exists()
    if result.ok:
        assert int(result.lines()[-1]) <= 128
    else:
        assert result.error is not None and result.error.kind == "memory"
    assert_nothing_left(family, workdir)


def test_a_process_the_program_starts_can_import_fwlearn(sandboxed) -> None:
    """A fresh interpreter inside the run (torch.multiprocessing's spawn, a subprocess) imports
    fwlearn anew. From a clone under /tmp (a CI checkout) the private /tmp hid the editable
    install's sources and lesson 18's DDP workers died on ``import fwlearn``."""
    source = """
    import subprocess, sys
    done = subprocess.run([sys.executable, "-c", "from fwlearn import report_fact; print('ok')"],
                          capture_output=True, text=True)
    print(done.stdout.strip() or done.stderr.strip().splitlines()[-1])
    """
    result, family, workdir = run_attack(source)
    assert result.ok and result.lines() == ["ok"], result.lines()
    assert_nothing_left(family, workdir)


def test_inotify_instances_of_the_user_are_not_exhausted(sandboxed) -> None:
    source = """
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    count = 0
    while count < 1000 and libc.inotify_init() >= 0:
        count += 1
    print(count)
    """
    result, family, workdir = run_attack(source)
    assert 0 < int(result.stdout) <= 16
    assert_nothing_left(family, workdir)


def test_the_start_event_says_what_the_sandbox_does(sandboxed) -> None:
    result, family, workdir = run_attack("print(1)\n")
    limits = result.start.limits
    assert limits["sandbox"] == "on" and limits["network"] == "off"
    checks = limits["sandbox_checks"]
    for name in ("user namespace", "pid namespace", "private /tmp", "host /proc hidden"):
        assert checks[name] == "on", checks
    assert result.start.pid in family  # the engine's view of the pid, not the namespace's
    assert_nothing_left(family, workdir)


NOBODY = 65534
AS_NOBODY = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
PROBE = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import fwlearn.engine'], check=True)"


def _nobody_can_run_python() -> bool:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    probe = subprocess.run(
        # What the engine does: start sys.executable from Python (exec through /root/.pyenv
        # fails for nobody on the project machines, whose /root is 0700).
        [*AS_NOBODY, sys.executable, "-c", PROBE],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _nobody_can_run_python(), reason="needs root and a venv nobody can run")
def test_the_same_sandbox_for_an_ordinary_user() -> None:
    """Run a few of the attacks above as uid 65534 (no capabilities anywhere)."""
    script = textwrap.dedent(
        """
        from fwlearn.engine import RunSpec, run_sync
        source = (
            "import os, ctypes\\n"
            "libc = ctypes.CDLL(None, use_errno=True)\\n"
            "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\\n"
            "print(len(os.listdir('/tmp')), libc.umount2(b'/proc', 2))\\n"
            "if os.fork() == 0:\\n"
            "    os.setsid(); import time; time.sleep(300)\\n"
            "os._exit(0)\\n"
        )
        result = run_sync(RunSpec(source=source, timeout=20))
        print(result.start.limits["sandbox"], result.start.limits["network"])
        print(result.stdout)
        """
    )
    home = Path(tempfile.mkdtemp(prefix="fwlearn-nobody-"))  # pytest's tmp_path is root-only
    home.chmod(0o777)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(home)}
    started = time.monotonic()
    done = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=60,
    )
    leftover = [p for p in home.iterdir() if p.name.startswith("fwlearn-run-")]
    shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10
    lines = done.stdout.splitlines()
    assert lines[0] == "on off", lines
    assert lines[1] == "[1, 2]" and lines[2] == "1 -1"
    assert not leftover
