"""Ray in a sandbox: a private network namespace, HOME and temp dir; every process stopped.

Ray cannot be held to loopback by its flags (``--node-ip-address=127.0.0.1`` still opens its
control ports on every interface), so every test and benchmark that starts Ray runs its
script inside a network namespace of its own (``unshare --net --fork``, as root) whose only
interface is loopback. Two halves:

* outside, :func:`run_sandboxed` runs ``python SCRIPT ARGS`` in the namespace with a private
  ``HOME``, ``TMPDIR`` and ``RAY_AUTH_MODE`` set, bounded in time, and afterwards stops (by
  PID) any process still naming the private directory;
* inside, :class:`LocalCluster` starts a head node and worker nodes on 127.0.0.1
  (``ray.cluster_utils.Cluster``, ``--num-cpus`` small), kills a node's raylet by PID on
  request, and stops every process it started by PID; :func:`network_report` says which
  interfaces exist and where anything listens (loopback only, or the script fails).

Scripts print their results as one line ``RESULT {json}`` that :func:`run_sandboxed` parses.
PostgreSQL is reached from inside through its Unix socket (:data:`POSTGRES_SOCKET_URL`): the
namespace has no route to the host's 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULT_PREFIX = "RESULT "
#: The test database through the server's Unix socket (which a network namespace does not hide).
POSTGRES_SOCKET_URL = "postgresql+psycopg://postgres@/test?host=/var/run/postgresql"

_RAY_ENV = {
    "RAY_AUTH_MODE": "disabled",  # explicit: no token under HOME that later clusters trip on
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DEDUP_LOGS": "0",
    # A dead node is declared dead after about 2 s (default about 15 s).
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "500",
    "RAY_health_check_failure_threshold": "3",
}


def run_sandboxed(
    script: Path, args: list[str], *, timeout: float, keep: Path | None = None
) -> tuple[dict[str, Any], str]:
    """Run ``python script args`` in a new network namespace; return its RESULT and output.

    The private directory is a new one under /tmp (Ray's socket paths must stay under 108
    bytes), removed afterwards unless ``keep`` names a directory to copy it to (Ray's logs).
    Raises RuntimeError (with the output) when it fails, times out or prints no RESULT line.
    """
    workdir = Path(tempfile.mkdtemp(prefix="tfray-", dir="/tmp"))
    try:
        return _run_in(workdir, script, args, timeout)
    finally:
        if keep is not None:
            shutil.copytree(workdir, keep, dirs_exist_ok=True, ignore_dangling_symlinks=True)
        shutil.rmtree(workdir, ignore_errors=True)


def _run_in(
    workdir: Path, script: Path, args: list[str], timeout: float
) -> tuple[dict[str, Any], str]:
    home, tmp = workdir / "home", workdir / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    (tmp / "ray").mkdir(parents=True, exist_ok=True)  # Ray's --temp-dir
    env = dict(os.environ, HOME=str(home), TMPDIR=str(tmp), **_RAY_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(HERE)])
    env["TFTUNE_SANDBOX_DIR"] = str(workdir)
    command = ["unshare", "--net", "--fork", "--", sys.executable, __file__, str(script), *args]
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise RuntimeError(f"{script.name} ran past {timeout} s:\n{output[-6000:]}") from None
    finally:
        leftovers = stop_leftovers(workdir)
    if process.returncode != 0:
        raise RuntimeError(f"{script.name} exited with {process.returncode}:\n{output[-6000:]}")
    lines = [line for line in output.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise RuntimeError(f"{script.name} printed no result:\n{output[-6000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["leftover_pids"] = leftovers
    return result, output


def stop_leftovers(workdir: Path) -> list[str]:
    """SIGKILL (by PID) every process whose environment or command line names ``workdir``:
    Ray processes the script left behind. Returns ``"PID command"`` for each (an empty list
    when everything was stopped properly)."""
    marker = str(workdir).encode()
    found: list[int] = []
    commands: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (
                marker in (entry / "cmdline").read_bytes()
                or marker in (entry / "environ").read_bytes()
            ):
                found.append(int(entry.name))
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                commands.append(f"{entry.name} {command[:200]}")
        except OSError:  # gone meanwhile, or not ours to read
            continue
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return commands


def print_result(result: dict[str, Any]) -> None:
    """Print a script's result for :func:`run_sandboxed`."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_scenarios(
    scenarios: Mapping[str, Callable[[], dict[str, Any]]], result: dict[str, Any]
) -> None:
    """Run each scenario in turn, keeping under its name what it returned (or its traceback,
    for the caller to fail on) and its wall time."""
    for name, scenario in scenarios.items():
        begin = time.perf_counter()
        try:
            result[name] = scenario()
        except Exception:  # noqa: BLE001 - reported to the caller, which fails on it
            result[name] = {"error": traceback.format_exc()}
        result[name]["wall_seconds"] = time.perf_counter() - begin


def scenario_result(outcome: dict[str, Any], name: str) -> dict[str, Any]:
    """What scenario ``name`` returned in :func:`run_scenarios`'s ``outcome``; raises
    ``AssertionError`` with the scenario's traceback if it raised."""
    result: dict[str, Any] = outcome[name]
    if "error" in result:
        raise AssertionError(f"scenario {name!r} raised:\n{result['error']}")
    return result


def network_report() -> dict[str, Any]:
    """The namespace's interfaces and listening addresses; ``loopback_only`` is the verdict."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    names = sorted({line.split(":")[1].strip().split("@")[0] for line in links.splitlines()})
    listening = subprocess.run(["ss", "-ltnuH"], capture_output=True, text=True).stdout
    addresses = sorted({line.split()[4].rsplit(":", 1)[0] for line in listening.splitlines()})
    loopback = {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]", "localhost"}
    return {
        "interfaces": names,
        "listening": addresses,
        "n_listening": len(listening.splitlines()),
        "loopback_only": names == ["lo"] and set(addresses) <= loopback,
    }


class LocalCluster:
    """A Ray cluster of a head and worker nodes on this machine (inside the sandbox).

    With ``node_dirs``, node *i* (0: the head) starts in a directory of its own,
    ``node_dirs/node<i>``, which is its processes' working directory and, for a worker node,
    their temp dir: a relative path names a different place on each node (and in the driver,
    when it works elsewhere), as on machines that share no filesystem.
    """

    def __init__(
        self,
        head_cpus: int = 1,
        worker_cpus: tuple[int, ...] = (1,),
        *,
        node_dirs: Path | None = None,
    ) -> None:
        from ray.cluster_utils import Cluster

        workdir = Path(os.environ["TFTUNE_SANDBOX_DIR"])
        self.node_dirs = node_dirs
        with self._in_node_dir(0):
            self._cluster = Cluster(
                initialize_head=True,
                head_node_args={
                    "num_cpus": head_cpus,
                    "temp_dir": str(workdir / "tmp" / "ray"),
                    "include_dashboard": False,
                    "node_ip_address": "127.0.0.1",
                },
            )
        self.workers = [self.add_worker(cpus) for cpus in worker_cpus]

    @property
    def address(self) -> str:
        address: str = self._cluster.address
        return address

    def add_worker(self, cpus: int) -> Any:
        index = len(self._cluster.worker_nodes) + 1
        with self._in_node_dir(index) as private:
            env = None if private is None else {"TMPDIR": str(private)}
            return self._cluster.add_node(num_cpus=cpus, node_ip_address="127.0.0.1", env_vars=env)

    @contextlib.contextmanager
    def _in_node_dir(self, index: int) -> Any:
        """Start node ``index``'s processes in its own directory (with ``node_dirs``)."""
        if self.node_dirs is None:
            yield None
            return
        private = self.node_dirs / f"node{index}"
        private.mkdir(parents=True, exist_ok=True)
        with contextlib.chdir(private):  # (its processes inherit it)
            yield private

    @staticmethod
    def node_id(node: Any) -> str:
        node_id: str = node.node_id
        return node_id

    def kill_node(self, node: Any) -> list[int]:
        """SIGKILL ``node`` as a machine dies: its raylet and every worker process under it,
        by PID, at once. Returns the PIDs."""
        import psutil

        raylet = psutil.Process(node.all_processes["raylet"][0].process.pid)
        doomed = [*raylet.children(recursive=True), raylet]
        for process in doomed:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        return [process.pid for process in doomed]

    def close(self) -> list[int]:
        """Stop every node, then SIGKILL (by PID) any process this one started that is left.
        Returns those PIDs."""
        import psutil

        try:
            self._cluster.shutdown()
        finally:
            left = psutil.Process().children(recursive=True)
            for child in left:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        return [child.pid for child in left]


def _enter() -> None:
    """Inside the namespace: bring loopback up, then become ``python SCRIPT ARGS``."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    deadline = time.monotonic() + 5
    while (
        "UP"
        not in subprocess.run(["ip", "link", "show", "lo"], capture_output=True, text=True).stdout
    ):
        if time.monotonic() > deadline:
            raise SystemExit("loopback did not come up")
        time.sleep(0.05)
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])


if __name__ == "__main__":
    _enter()
