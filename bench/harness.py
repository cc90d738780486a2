"""What every benchmark needs: a database, a real server, load, and a report.

A benchmark module asks the :class:`Harness` for servers (a sciplane app
with its plugins, or any other WSGI app under the same gunicorn settings),
runs load against them, and returns a :class:`Result` of :class:`Row`\\ s,
each a figure with an optional target.  The harness owns every resource it
starts and releases it on the way out, failures included: the PostgreSQL
database is dropped, the server's process group is killed and the
temporary directory removed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import falcon
import gunicorn
import psycopg2
from psycopg2 import sql

from . import loadgen

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BIN_DIR = Path(sys.executable).parent
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
READY_TIMEOUT_S = 30
CALIBRATION_LOOP = 5_000_000
STOP_TIMEOUT_S = 10
LOG_TAIL_LINES = 40


@dataclass
class Options:
    """Load and server settings shared by every benchmark of a run (see README for the defaults' reasons)."""

    duration: float = 10.0
    warmup: float = 1.5
    connections: int = 8
    processes: int = 2
    max_requests: int = 1_000_000
    worker_class: str = "gthread"
    workers: int = 2
    threads: int = 4
    rounds: int = 3
    quick: bool = False  # benchmarks may load smaller data sets

    def __post_init__(self) -> None:
        positive = ("duration", "connections", "processes", "max_requests", "workers", "threads", "rounds")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.warmup < 0:
            raise ValueError("warmup must not be negative")
        if self.worker_class == "sync":
            self.threads = 1  # gunicorn silently turns "sync" with threads > 1 into gthread


@dataclass
class Row:
    """One reported figure; with a target it also has a ratio and a verdict.

    ``ratio`` is oriented so that 1.0 or more always means "meets the
    target": value/target when higher is better, target/value otherwise.
    A row with ``gate=False`` is judged and reported but does not decide
    the benchmark's result (for figures too noisy to fail a run on).
    """

    name: str
    metric: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    gate: bool = True

    @property
    def ratio(self) -> float | None:
        if self.target is None:
            return None
        numerator, denominator = (self.value, self.target) if self.higher_is_better else (self.target, self.value)
        ratio = numerator / denominator if denominator else math.nan
        return ratio if math.isfinite(ratio) else None

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def to_json(self) -> dict:
        """JSON has no NaN: a figure that could not be measured (no responses) is null."""
        value = self.value if math.isfinite(self.value) else None
        return {**asdict(self), "value": value, "ratio": self.ratio, "passed": self.passed}


@dataclass
class Result:
    """What a benchmark's ``run`` returns: its rows and the raw load runs behind them."""

    name: str
    title: str
    rows: list[Row]
    runs: dict[str, loadgen.LoadResult] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(row.passed is not False for row in self.rows if row.gate)


def load_rows(name: str, result: loadgen.LoadResult, throughput_target: float | None = None,
              latency_targets: dict[str, float] | None = None, latency_gate: bool = True) -> list[Row]:
    """The standard rows of one load run: requests/s, p50/p90/p99 and errors (target zero)."""
    latency_targets = latency_targets or {}
    rows = [Row(name, "requests/s", result.throughput, "req/s", throughput_target)]
    rows += [Row(name, f"latency {p}", result.latency_ms.get(p, math.nan), "ms", latency_targets.get(p),
                 higher_is_better=False, gate=latency_gate) for p in ("p50", "p90", "p99")]
    rows.append(Row(name, "errors", result.error_count, "", 0, higher_is_better=False))
    return rows


@contextlib.contextmanager
def postgres_database(name: str, admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A new, empty database for one server, dropped afterwards even if connections remain."""
    with _admin(admin_url) as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with _admin(admin_url) as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def _admin(admin_url: str) -> Iterator:
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def free_port() -> int:
    """An ephemeral loopback port; the tiny race until gunicorn binds it is acceptable for a benchmark."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_group_cpu(pgid: int) -> float:
    """User+system CPU seconds of every live process in a group (gunicorn master and workers)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    """One gunicorn process group serving ``app`` on a free loopback port."""

    def __init__(self, app: str, env: dict[str, str], options: Options, log_path: Path):
        self.app = app
        self.env = env
        self.options = options
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        o = self.options
        return [str(BIN_DIR / "gunicorn"), self.app, "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(o.workers), "--worker-class", o.worker_class, "--threads", str(o.threads),
                "--keep-alive", "30", "--log-level", "warning", "--error-logfile", "-", "--no-control-socket"]

    def start(self, ready_path: str) -> None:
        """Start in a new session (so the whole group can be killed) and wait until ``ready_path`` answers 200."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=REPO_ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} exited with code {self.process.returncode} during start-up:\n"
                                   + self.log_tail())
            if self._answers(ready_path):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.app} did not answer GET {ready_path} within {READY_TIMEOUT_S} s:\n"
                           + self.log_tail())

    def _answers(self, path: str) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", path)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def cpu_seconds(self) -> float:
        return process_group_cpu(self.process.pid) if self.process else 0.0

    def stop(self) -> None:
        """SIGTERM to the group (gunicorn's graceful stop), SIGKILL if it lingers or left orphans."""
        if self.process is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-LOG_TAIL_LINES:])


def sciplane_cli(env: dict[str, str], *args: str) -> str:
    """Run ``sciplane <args>`` from the repository root with ``env``; its stdout, or an error with its output."""
    done = subprocess.run([str(BIN_DIR / "sciplane"), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"sciplane {' '.join(args)} failed with code {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


@dataclass
class Sciplane:
    """A running sciplane app: its server and the environment that configures it."""

    server: Server
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        """``sciplane <args>`` against the same database and settings, e.g. to load a data set."""
        return sciplane_cli(self.env, *args)

    def settle(self) -> None:
        """Bring the database to rest after a bulk load: what autovacuum would have done (statistics,
        visibility map), then a checkpoint, so reads are not measured while PostgreSQL flushes the load."""
        with _admin(self.env["SCIPLANE_DATABASE_URL"]) as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")


class Harness:
    """Starts servers and drives load for one benchmark; everything is released by :meth:`close`."""

    def __init__(self, options: Options):
        self.options = options
        self._tmpdir = tempfile.TemporaryDirectory(prefix="sciplane-bench-")  # server logs, data dirs
        self._tmp = Path(self._tmpdir.name)
        self._count = 0

    def close(self) -> None:
        self._tmpdir.cleanup()

    def _next(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{os.getpid()}_{self._count}"

    @contextlib.contextmanager
    def server(self, app: str, env: dict[str, str] | None = None, ready_path: str = "/") -> Iterator[Server]:
        """Serve the WSGI ``app`` ("module:attribute", imported from the repository root)."""
        name = self._next("server")
        server = Server(app, {**_clean_environ(), **(env or {})}, self.options, self._tmp / f"{name}.log")
        try:
            server.start(ready_path)
            yield server
        finally:
            server.stop()

    @contextlib.contextmanager
    def sciplane(self, plugins: Sequence[str] = (), env: dict[str, str] | None = None,
                 ready_path: str = "/health/live") -> Iterator[Sciplane]:
        """A migrated sciplane app on a fresh PostgreSQL database, with only ``plugins`` enabled.

        Settings come from the environment alone: an empty configuration
        file shields the run from a developer's ``./sciplane.toml``.
        """
        name = self._next("sciplane_bench")
        data_dir = self._tmp / name
        data_dir.mkdir()
        config = data_dir / "sciplane.toml"
        config.write_text("")
        with postgres_database(name) as database_url:
            app_env = {**_clean_environ(),
                       "SCIPLANE_CONFIG": str(config),
                       "SCIPLANE_DATABASE_URL": database_url,
                       "SCIPLANE_JOBS_URL": f"sqlite:///{data_dir}/jobs.db",
                       "SCIPLANE_DATA_DIR": str(data_dir),
                       "SCIPLANE_PLUGINS": ",".join(plugins),
                       "SCIPLANE__LOGGING__ACCESS_LOG": "false",
                       "SCIPLANE_LOG_LEVEL": "WARNING",
                       **(env or {})}
            sciplane_cli(app_env, "migrate")
            with self.server("server:app", app_env, ready_path) as server:
                yield Sciplane(server, app_env)

    def load(self, server: Server, paths: Sequence[str], *, expect_status: int = 200, expect_json: bool = True,
             headers: Sequence[tuple[str, str]] = (), method: str = "GET", body: bytes = b"",
             connections: int | None = None, warmup: float | None = None) -> loadgen.LoadResult:
        """Drive the configured load at ``paths`` (cycled per connection); adds the server's CPU use.
        ``warmup``: at least this long unmeasured first (to fill per-worker caches, say)."""
        o = self.options
        spec = loadgen.LoadSpec(server.base_url, tuple(paths), connections=connections or o.connections,
                                processes=o.processes, warmup=max(o.warmup, warmup or 0.0), duration=o.duration,
                                max_requests=o.max_requests, expect_status=expect_status, expect_json=expect_json,
                                headers=tuple(headers), method=method, body=body)
        marks: list[tuple[float, float]] = []

        def mark() -> None:
            marks.append((time.perf_counter(), server.cpu_seconds()))

        result = loadgen.run(spec, on_window_start=mark, on_window_end=mark)
        (t0, cpu0), (t1, cpu1) = marks
        result.server_cpu = (cpu1 - cpu0) / (t1 - t0)
        return result

    def compare(self, targets: dict[str, tuple]) -> dict[str, loadgen.LoadResult]:
        """Load each ``label: (server, paths)`` or ``label: (server, paths, load options)`` in turn,
        ``rounds`` times, and pool each label's windows.

        Interleaving spreads slow phases of a shared machine (and gthread's
        luck in sharing connections between workers) over every target
        alike, which matters more for a ratio than a longer single run.
        """
        runs: dict[str, list[loadgen.LoadResult]] = {label: [] for label in targets}
        for _ in range(self.options.rounds):
            for label, (server, paths, *options) in targets.items():
                runs[label].append(self.load(server, paths, **(options[0] if options else {})))
        return {label: loadgen.pool(results) for label, results in runs.items()}


def _clean_environ() -> dict[str, str]:
    """This process's environment minus any SCIPLANE_* setting, so only the harness configures servers."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SCIPLANE_")}


def describe_settings(options: Options) -> dict:
    """The context a number needs to be comparable with another run's."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    return {"options": asdict(options), "cpus": os.cpu_count(), "python": sys.version.split()[0],
            "falcon": falcon.__version__, "gunicorn": gunicorn.__version__,
            "commit": commit.stdout.strip() or None, "machine": machine_speed()}


def machine_speed(repeats: int = 3) -> dict:
    """How fast this machine is at what the benchmarks spend their time on, so that figures from two machines
    of "the same kind" can be told apart from a change in the code (request rates on two such machines were
    seen to differ by a quarter): plain Python on one core (the best of ``repeats`` timings of a fixed loop)
    and a round trip to another process."""
    def loop() -> float:
        started = time.perf_counter()
        total = 0
        for value in range(CALIBRATION_LOOP):
            total += value
        return time.perf_counter() - started

    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo().splitlines()
                  if line.startswith("model name")), None)
    return {"cpu": model, "python_loop_s": round(min(loop() for _ in range(repeats)), 3),
            "python_loop_iterations": CALIBRATION_LOOP, "round_trip_us": round(_round_trip_us(), 1)}


_ECHO = ("import socket, sys\nside = socket.socket(fileno=int(sys.argv[1]))\n"
         "while data := side.recv(64):\n    side.sendall(data)")


def _round_trip_us(count: int = 20_000) -> float:
    """Microseconds for one byte to go to another process and back: the wake-ups every request of a
    benchmark pays several times over (driver, gunicorn, PostgreSQL), and what differs most between two
    virtual machines of the same kind.  Measured after a warm-up of a tenth of ``count``."""
    ours, theirs = socket.socketpair()
    echo = subprocess.Popen([sys.executable, "-c", _ECHO, str(theirs.fileno())], pass_fds=(theirs.fileno(),))
    theirs.close()
    try:
        for measured in (False, True):
            started = time.perf_counter()
            for _ in range(count if measured else count // 10):
                ours.send(b"x")
                ours.recv(64)
        return (time.perf_counter() - started) / count * 1e6
    finally:
        ours.close()
        echo.wait(timeout=10)


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def format_machine(settings: dict) -> str:
    machine = settings["machine"]
    return (f"machine: {machine['cpu'] or 'unknown CPU'}, {settings['cpus']} CPUs; "
            f"{machine['python_loop_iterations']:,} iterations of a Python loop in {machine['python_loop_s']:.2f} s, "
            f"a round trip to another process in {machine['round_trip_us']:.0f} us")


def format_result(result: Result) -> str:
    """The runs table (raw figures) and the rows table (figures against targets)."""
    runs = _runs_table(result.runs) + [""] if result.runs else []
    return "\n".join([f"{result.name}: {result.title}", "", *runs, *_rows_table(result.rows)])


def _runs_table(runs: dict[str, loadgen.LoadResult]) -> list[str]:
    lines = [f"  {'run':<12}{'req/s':>9}{'windows req/s':>22}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
             f"{'errors':>8}{'reconn':>8}{'driver CPU':>12}{'server CPU':>12}{'server us/req':>15}"]
    for label, run in runs.items():
        lat = run.latency_ms
        windows = "/".join(f"{t:.0f}" for t in run.window_throughputs)
        server_cpu = "-" if run.server_cpu is None else f"{run.server_cpu:.0%}"
        per_request = "-" if run.server_us_per_request is None else f"{run.server_us_per_request:.0f}"
        lines.append(f"  {label:<12}{run.throughput:>9.0f}{windows:>22}{lat.get('p50', math.nan):>9.2f}"
                     f"{lat.get('p90', math.nan):>9.2f}{lat.get('p99', math.nan):>9.2f}{run.error_count:>8}"
                     f"{run.reconnects:>8}{run.driver_cpu:>12.0%}{server_cpu:>12}{per_request:>15}")
        lines += [f"      error sample: {sample}" for sample in run.error_samples]
    return lines


def _rows_table(rows: list[Row]) -> list[str]:
    lines = [f"  {'name':<12}{'metric':<20}{'value':>12} {'unit':<6}{'target':>14}{'ratio':>8}  result"]
    for row in rows:
        target = "-" if row.target is None else f"{'>=' if row.higher_is_better else '<='} {_num(row.target)}"
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
        verdict = {None: "-", True: "pass", False: "FAIL"}[row.passed]
        if not row.gate and row.passed is not None:
            verdict = "(met)" if row.passed else "(missed)"
        lines.append(f"  {row.name:<12}{row.metric:<20}{_num(row.value):>12} {row.unit:<6}{target:>14}{ratio:>8}"
                     f"  {verdict}")
    if any(not row.gate and row.target is not None for row in rows):
        lines.append("  (met)/(missed): judged against the target, not deciding the result")
    return lines


def _num(value: float) -> str:
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2f}"


def write_result(result: Result, settings: dict, started: datetime, directory: Path = RESULTS_DIR) -> Path:
    """``<directory>/<name>.json``, written atomically so a reader never sees half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.name}.json"
    document = {"name": result.name, "title": result.title, "passed": result.passed,
                "started": started.isoformat(timespec="seconds"),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "settings": settings, "rows": [row.to_json() for row in result.rows],
                "runs": {label: run.to_json() for label, run in result.runs.items()}}
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    partial.replace(path)
    return path
