"""Real clusters for the tests: a private single-node Slurm cluster (with accounting) and a local Ray head.

Everything a cluster writes lives under one folder of its own (configs, keys, sockets, state, logs, the
database); its ports are chosen free at start. Each daemon runs in the foreground in its own session, its PID
recorded (in `<root>/pids/` too), and is polled until it answers. `stop()` ends exactly the processes it
started, by their recorded PID: SIGTERM, then SIGKILL after a grace period. Nothing is ever ended by name.
On Linux each daemon also gets SIGTERM if the process that started it dies (a pytest killed mid-run).

    with SlurmCluster(tmp) as slurm:           # or slurm.start() ... slurm.stop()
        subprocess.run(["sbatch", ...], env=slurm.env())

The facts behind the recipe (what each daemon needs on Debian bookworm, as root, in a container without
cgroups) are in ../shared/notes/clusters-here.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SLURM_BINARIES = ("munged", "mungekey", "munge", "unmunge", "mariadbd", "mariadb-admin", "slurmdbd", "sacctmgr",
                  "slurmctld", "slurmd", "sbatch", "squeue", "sacct", "scancel", "scontrol", "sinfo")
RAY_BINARIES = ("ray",)
PARTITION = "debug"
PARTITION_MAX_MINUTES = 120  # with EnforcePartLimits=ALL: a longer --time is refused by sbatch


class ClusterError(RuntimeError):
    """A cluster did not come up; the message names the daemon and ends with the tail of its log."""


def missing_binaries(names: tuple[str, ...]) -> list[str]:
    return [name for name in names if shutil.which(name) is None]


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1 now (held open together, so they differ)."""
    sockets, ports = [], []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            ports.append(sock.getsockname()[1])
    finally:
        for sock in sockets:
            sock.close()
    return ports


def _alive(pid: int) -> bool:
    """Running (a zombie counts as gone: it stays until its parent reaps it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(condition, what: str, timeout: float, interval: float = 0.1, daemon: "Daemon | None" = None):
    """Poll `condition()` until it returns a true value (returned); ClusterError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if daemon is not None and not daemon.alive():
            raise ClusterError(f"{daemon.name} exited (code {daemon.proc.poll()}) before {what}:\n"
                               f"{_tail(daemon.log)}")
        if time.monotonic() > deadline:
            log = f":\n{_tail(daemon.log)}" if daemon is not None else ""
            raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}{log}")
        time.sleep(interval)


@dataclass
class Daemon:
    """One process this module started: in its own session, output to its log, PID kept."""

    name: str
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None and _alive(self.pid)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to its recorded PID, SIGKILL after `grace` seconds; reaps it."""
        if self.proc.poll() is not None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)


def _end_with_parent() -> None:
    """In the child, before exec (Linux): SIGTERM when the process that started it dies (a killed pytest)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_daemon(name: str, argv: list[str], root: Path, env: dict | None = None) -> Daemon:
    log = root / "logs" / f"{name}.console"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env, cwd=root,
                                preexec_fn=_end_with_parent if sys.platform == "linux" else None)
    pids = root / "pids"
    pids.mkdir(exist_ok=True)
    (pids / f"{name}.pid").write_text(f"{proc.pid}\n")
    return Daemon(name, proc, log)


def _quiet(argv: list[str], env: dict, timeout: float = 10) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        return subprocess.CompletedProcess(argv, 124, error.stdout or "", error.stderr or "")


@dataclass
class Timings:
    up_s: float = 0.0
    down_s: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


class _Cluster:
    timings: Timings

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class SlurmCluster(_Cluster):
    """munged, MariaDB, slurmdbd, slurmctld and slurmd for one node, all private to `root`."""

    def __init__(self, root: Path, name: str = "benchittest") -> None:
        self.root = Path(root)
        self.name = name
        self.daemons: list[Daemon] = []
        self.timings = Timings()
        self.node = socket.gethostname().split(".")[0]
        self.partition = PARTITION
        self.conf = self.root / "etc" / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket"

    # -- what clients need
    def env(self, base: dict | None = None) -> dict:
        """An environment whose Slurm commands talk to this cluster (SLURM_CONF) and to nobody else."""
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf)
        for key in [k for k in env if k.startswith(("SLURM_", "SBATCH_", "SALLOC_", "SRUN_")) and k != "SLURM_CONF"]:
            del env[key]
        return env

    def run(self, *argv: str, timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess:
        proc = _quiet(list(argv), self.env(), timeout)
        if check and proc.returncode != 0:
            raise ClusterError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stdout}{proc.stderr}")
        return proc

    # -- up
    def start(self) -> "SlurmCluster":
        missing = missing_binaries(SLURM_BINARIES)
        if missing:
            raise ClusterError(f"Slurm binaries missing: {', '.join(missing)}")
        start = time.perf_counter()
        for folder in ("etc", "munge", "db", "state", "spool", "logs", "run", "tmp"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # munged checks the folders above its socket
        self.ports = dict(zip(("slurmctld", "slurmd", "slurmdbd", "mariadb"), free_ports(4)))
        self._step("munged", self._start_munge)
        self._step("mariadb", self._start_mariadb)
        self._write_configs()
        self._step("slurmdbd", self._start_slurmdbd)
        self._step("slurmctld", self._start_slurmctld)
        self._step("slurmd", self._start_slurmd)
        self.timings.up_s = time.perf_counter() - start
        return self

    def _step(self, name: str, fn) -> None:
        t0 = time.perf_counter()
        fn()
        self.timings.steps[name] = time.perf_counter() - t0

    def _start_munge(self) -> None:
        key = self.root / "munge" / "munge.key"
        subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True, capture_output=True)
        os.chmod(key, 0o600)
        munged = start_daemon("munged", [
            shutil.which("munged"), "-F", "--force", f"--socket={self.munge_socket}", f"--key-file={key}",
            f"--pid-file={self.root / 'run' / 'munged.pid'}", f"--log-file={self.root / 'logs' / 'munged.log'}",
            f"--seed-file={self.root / 'munge' / 'munge.seed'}"], self.root)
        self.daemons.append(munged)

        def ready():
            if not self.munge_socket.exists():
                return False
            cred = _quiet(["munge", "-n", "-S", str(self.munge_socket)], os.environ, 5)
            if cred.returncode != 0:
                return False
            decoded = subprocess.run(["unmunge", "-S", str(self.munge_socket)], input=cred.stdout,
                                     capture_output=True, text=True, timeout=5)
            return decoded.returncode == 0

        wait_until(ready, "munged to answer", 20, daemon=munged)

    def _start_mariadb(self) -> None:
        datadir = self.root / "db" / "data"
        datadir.mkdir(parents=True, exist_ok=True)
        self.db_socket = self.root / "db" / "mysqld.sock"
        mariadb = start_daemon("mariadb", [
            shutil.which("mariadbd"), "--no-defaults", "--user=root", f"--datadir={datadir}",
            "--skip-grant-tables", "--skip-name-resolve", f"--port={self.ports['mariadb']}",
            "--bind-address=127.0.0.1", f"--socket={self.db_socket}", f"--pid-file={self.root / 'run' / 'mariadb.pid'}",
            f"--log-error={self.root / 'logs' / 'mariadb.log'}", f"--tmpdir={self.root / 'tmp'}",
            "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--skip-log-bin",
            "--performance-schema=OFF"], self.root)
        self.daemons.append(mariadb)
        wait_until(lambda: _quiet(["mariadb-admin", "--no-defaults", f"--socket={self.db_socket}", "ping"],
                                  os.environ, 5).returncode == 0, "MariaDB to answer", 60, daemon=mariadb)
        mariadb.log = self.root / "logs" / "mariadb.log"

    def _node_line(self) -> str:
        fields = dict(item.split("=", 1) for item in subprocess.run(
            ["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.split()
            if "=" in item and not item.startswith("UpTime"))
        mem_mb = int(fields.get("RealMemory", "1024"))
        try:
            free = subprocess.run(["free", "-m"], capture_output=True, text=True).stdout.splitlines()[1].split()
            mem_mb = min(mem_mb, int(int(free[1]) * 0.9))
        except (OSError, IndexError, ValueError):
            mem_mb = int(mem_mb * 0.9)
        keep = [f"{k}={fields[k]}" for k in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
                if k in fields]
        return f"NodeName={self.node} NodeAddr=127.0.0.1 {' '.join(keep)} RealMemory={mem_mb} State=UNKNOWN"

    def _write_configs(self) -> None:
        root, p = self.root, self.ports
        self.conf.write_text("\n".join([
            f"ClusterName={self.name}",
            f"SlurmctldHost={self.node}(127.0.0.1)",
            f"SlurmctldPort={p['slurmctld']}",
            f"SlurmdPort={p['slurmd']}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={root / 'state'}",
            f"SlurmdSpoolDir={root / 'spool'}",
            f"SlurmctldPidFile={root / 'run' / 'slurmctld.pid'}",
            f"SlurmdPidFile={root / 'run' / 'slurmd.pid'}",
            f"SlurmctldLogFile={root / 'logs' / 'slurmctld.log'}",
            f"SlurmdLogFile={root / 'logs' / 'slurmd.log'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SchedulerType=sched/backfill",
            "MpiDefault=none",
            "ReturnToService=2",
            "KillWait=5",
            "MailProg=/bin/true",
            "JobAcctGatherType=jobacct_gather/none",
            "EnforcePartLimits=ALL",
            "AccountingStorageType=accounting_storage/slurmdbd",
            "AccountingStorageHost=127.0.0.1",
            f"AccountingStoragePort={p['slurmdbd']}",
            f"AccountingStoragePass={self.munge_socket}",
            "MinJobAge=300",
            self._node_line(),
            f"PartitionName={self.partition} Nodes={self.node} Default=YES MaxTime={PARTITION_MAX_MINUTES} State=UP",
            "",
        ]))
        dbd = self.conf.parent / "slurmdbd.conf"  # slurmdbd has no -f: it reads slurmdbd.conf beside SLURM_CONF
        dbd.write_text("\n".join([
            "AuthType=auth/munge",
            f"AuthInfo=socket={self.munge_socket}",
            "DbdHost=localhost",
            "DbdAddr=127.0.0.1",
            f"DbdPort={p['slurmdbd']}",
            "SlurmUser=root",
            "StorageType=accounting_storage/mysql",
            "StorageHost=127.0.0.1",
            f"StoragePort={p['mariadb']}",
            "StorageUser=root",
            f"StorageLoc=slurm_acct_db_{self.name}",
            f"PidFile={root / 'run' / 'slurmdbd.pid'}",
            f"LogFile={root / 'logs' / 'slurmdbd.log'}",
            "DebugLevel=info",
            "",
        ]))
        os.chmod(dbd, 0o600)

    def _start_slurmdbd(self) -> None:
        dbd = start_daemon("slurmdbd", [shutil.which("slurmdbd"), "-D"], self.root, self.env())
        self.daemons.append(dbd)
        dbd.log = self.root / "logs" / "slurmdbd.log"
        wait_until(lambda: _quiet(["sacctmgr", "-n", "list", "cluster"], self.env(), 5).returncode == 0,
                   "slurmdbd to answer (sacctmgr list cluster)", 90, interval=0.2, daemon=dbd)
        listed = _quiet(["sacctmgr", "-n", "-P", "list", "cluster", "format=cluster"], self.env())
        if self.name not in listed.stdout.split():
            self.run("sacctmgr", "-i", "add", "cluster", self.name)

    def _start_slurmctld(self) -> None:
        ctld = start_daemon("slurmctld", [shutil.which("slurmctld"), "-D", "-i", "-f", str(self.conf)], self.root,
                            self.env())
        self.daemons.append(ctld)
        ctld.log = self.root / "logs" / "slurmctld.log"
        wait_until(lambda: "UP" in _quiet(["scontrol", "ping"], self.env(), 5).stdout,
                   "slurmctld to answer (scontrol ping)", 60, interval=0.2, daemon=ctld)

    def _start_slurmd(self) -> None:
        slurmd = start_daemon("slurmd", [shutil.which("slurmd"), "-D", "-f", str(self.conf)], self.root,
                              self.env())
        self.daemons.append(slurmd)
        slurmd.log = self.root / "logs" / "slurmd.log"

        def idle():
            state = _quiet(["sinfo", "-h", "-N", "-n", self.node, "-o", "%T"], self.env(), 5).stdout.strip()
            return state.startswith("idle")

        wait_until(idle, f"node {self.node} to be idle (sinfo)", 60, interval=0.2, daemon=slurmd)

    # -- jobs
    def jobs(self) -> list[tuple[str, str]]:
        """(job id, state) of every job the controller still lists (array tasks one by one)."""
        out = _quiet(["squeue", "-h", "-r", "-o", "%i|%T"], self.env()).stdout
        return [tuple(line.split("|", 1)) for line in out.splitlines() if "|" in line]

    def accounting(self, jobs: list[str] | None = None) -> dict[str, str]:
        """Job id -> state from `sacct` (allocations only, array tasks one by one).

        Name the `jobs` to see an array task cancelled while it waited for its turn (array_parallelism): it never
        became eligible, and sacct's time window (-S) leaves such a job out unless asked for it with -j.
        """
        which = ["-j", ",".join(jobs)] if jobs else ["-S", "2000-01-01"]
        out = _quiet(["sacct", "-n", "-X", "-P", "-a", *which, "-o", "JobID,State"], self.env()).stdout
        states = {}
        for line in out.splitlines():
            if "|" in line:
                job, state = line.split("|", 1)
                states[job.strip()] = state.strip()
        return states

    def cancel_all(self, timeout: float = 30) -> None:
        """Cancel every job of this (private) cluster and wait until the controller lists none running."""
        if not self.jobs():
            return
        _quiet(["scancel", "--full", "--user", "root"], self.env())
        try:
            wait_until(lambda: not [j for j in self.jobs() if j[1] in ("RUNNING", "PENDING", "COMPLETING",
                                                                      "CONFIGURING", "SUSPENDED")],
                       "jobs to end after scancel", timeout, interval=0.5)
        except ClusterError:
            pass

    # -- down
    def stop(self) -> None:
        start = time.perf_counter()
        if any(d.name == "slurmctld" and d.alive() for d in self.daemons):
            self.cancel_all()
        for daemon in reversed(self.daemons):
            daemon.stop()
        self.daemons.clear()
        self.timings.down_s = time.perf_counter() - start


class RayCluster(_Cluster):
    """`ray start --head --block` with a private temp dir and port; stopped by SIGTERM to its recorded PID.

    Its token authentication is chosen here, never by the machine: Ray 2.60 turns it on for `ray start --head`
    whenever a token exists (~/.ray/auth_token, which any local `ray.init()` writes, or RAY_AUTH_TOKEN[_PATH]),
    and `ray status` sends the token only in token mode. The head gets `env`'s RAY_AUTH_MODE (default `disabled`:
    what `ray start --head` does on a clean machine; it accepts clients in token mode too) and the readiness probe
    the same environment, so the head comes up alike on a clean machine and on one that has a token.
    """

    CURRENT = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
    PROBE_S = 30  # one `ray status` (it imports Ray: seconds on a loaded 2-core machine)

    def __init__(self, root: Path, num_cpus: int = 2, ray: str | None = None, env: dict | None = None) -> None:
        self.root = Path(root)
        self.num_cpus = num_cpus
        self.ray = ray or shutil.which("ray") or "ray"
        # for the head and its probe only: RAY_AUTH_MODE (disabled unless given), RAY_AUTH_TOKEN_PATH=...
        self.extra_env = {"RAY_AUTH_MODE": "disabled", **(env or {})}
        self.daemon: Daemon | None = None
        self.timings = Timings()
        self.address = ""
        self._stale: bytes | None = None

    def env(self, base: dict | None = None) -> dict:
        return dict(os.environ if base is None else base)

    def start(self) -> "RayCluster":
        missing = [] if Path(self.ray).is_file() else missing_binaries(RAY_BINARIES)
        if missing:
            raise ClusterError(f"Ray binaries missing: {', '.join(missing)}")
        start = time.perf_counter()
        self.root.mkdir(parents=True, exist_ok=True)
        # Ray's sockets live in its temp dir, and a Unix socket path has ~107 bytes: keep it short.
        self.temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
        (port,) = free_ports(1)
        self.address = f"127.0.0.1:{port}"  # Ray prints the node's own IP instead (192.0.2.2 here): the same node
        self._stale = self.CURRENT.read_bytes() if self.CURRENT.exists() else None
        head_env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **self.extra_env}
        self.daemon = start_daemon("ray-head", [
            self.ray, "start", "--head", "--block", f"--num-cpus={self.num_cpus}", "--num-gpus=0",
            "--include-dashboard=false", f"--temp-dir={self.temp}", f"--port={port}",
            "--node-ip-address=127.0.0.1", "--disable-usage-stats"], self.root, head_env)
        last = {"output": ""}

        def ready():
            probe = _quiet([self.ray, "status", f"--address={self.address}"], head_env, self.PROBE_S)
            lines = (probe.stdout + probe.stderr).strip().splitlines()
            errors = [line for line in lines if "Error" in line]
            last["output"] = (errors[-1] if errors else "\n".join(lines[-5:])) + \
                (f" (timed out after {self.PROBE_S} s)" if probe.returncode == 124 else "")
            if any("InvalidAuthToken" in line or "no authentication token was found" in line for line in lines):
                # the head and its probe disagree on authentication: waiting longer cannot help
                raise ClusterError(f"the Ray head refused `ray status` (RAY_AUTH_MODE={head_env['RAY_AUTH_MODE']})")
            return probe.returncode == 0

        try:
            wait_until(ready, "the Ray head to answer (ray status)", 120, interval=0.5, daemon=self.daemon)
        except ClusterError as error:
            raise ClusterError(f"{error}\nthe last `ray status --address={self.address}` said: "
                               f"{last['output'][-1500:] or '(nothing)'}") from None
        self.timings.up_s = time.perf_counter() - start
        return self

    def stop(self) -> None:
        start = time.perf_counter()
        if self.daemon is not None:
            self.daemon.stop(grace=20)
            self.daemon = None
        # The head writes the address of the current cluster to /tmp/ray; put back what was there before.
        try:
            if self._stale is None:
                if self.CURRENT.exists() and self.address and self.address in self.CURRENT.read_text():
                    self.CURRENT.unlink()
            else:
                self.CURRENT.write_bytes(self._stale)
        except OSError:
            pass
        if getattr(self, "temp", None) is not None:
            shutil.rmtree(self.temp, ignore_errors=True)
        self.timings.down_s = time.perf_counter() - start


# ---------------------------------------------------------------- for the tests
class Started:
    """`benchit ARGS` in the background in its own process group (like a shell job), output to files."""

    def __init__(self, args: list[str], cwd: Path, env: dict, name: str = "run"):
        self.out_path, self.err_path = cwd.parent / f"{name}.out", cwd.parent / f"{name}.err"
        self._out, self._err = open(self.out_path, "w"), open(self.err_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchit", *args], cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
                                     start_new_session=True)

    def ctrl_c(self) -> None:
        """What a terminal does on Ctrl-C: SIGINT to the foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def output(self) -> str:
        return self.out_path.read_text(errors="replace") + self.err_path.read_text(errors="replace")

    def wait(self, timeout: float = 300) -> subprocess.CompletedProcess:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self._out.close()
            self._err.close()
        return subprocess.CompletedProcess(self.proc.args, code, self.out_path.read_text(errors="replace"),
                                           self.err_path.read_text(errors="replace"))

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def wait_for(condition, what: str, timeout: float = 180, interval: float = 0.5, started: Started | None = None):
    """Poll `condition()` until it returns a true value (returned); fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if started is not None and started.proc.poll() is not None:
            _fail(f"benchit exited ({started.proc.returncode}) before {what}:\n{started.output()[-3000:]}")
        if time.monotonic() > deadline:
            extra = f"\n{started.output()[-3000:]}" if started is not None else ""
            _fail(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)


def _fail(message: str):
    import pytest

    pytest.fail(message, pytrace=False)
