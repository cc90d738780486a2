"""A closed-loop HTTP/1.1 load driver for loopback benchmarks.

There is no wrk or ab on the benchmark machines, and a load driver running
inside the server's process would measure itself.  So :func:`run` starts
``processes`` driver processes; each multiplexes its share of the keep-alive
connections with :mod:`selectors` on one thread, which keeps the driver's own
CPU cost per request modest (about 0.1 ms, half of it in the kernel).  It
reports that cost, so a starved server shows up in the figures instead of
hiding in them.

Closed loop: every connection has exactly one request in flight and sends
the next one as soon as the response is complete.  Requests are encoded
once, responses are parsed just enough to find their end (Content-Length,
chunked, or connection close) and check them: a status other than the
expected one, or a body that is not JSON when JSON is expected, is an error
(a body equal to one already found to be JSON is not parsed again).
A connection the server closes is reopened and counted.

A run is a warm-up that is not measured, then a measured window that ends
after ``duration`` seconds or ``max_requests`` responses, whichever is first.
Only loopback targets are accepted: this tool must never load someone
else's server.  The driver processes are started with ``spawn``, so the
calling program's main module must be guarded by ``if __name__ ==
"__main__"`` (``python -m bench`` is).
"""

from __future__ import annotations

import functools
import ipaddress
import math
import multiprocessing
import selectors
import socket
import statistics
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

RECV_BYTES = 256 * 1024
CONNECT_RETRY_S = 0.05
POLL_S = 0.05  # longest wait for events, so the deadline and pending reconnects are checked often
MAX_ERROR_SAMPLES = 5
CHECKED_BODIES_BYTES = 16 << 20  # bodies already found to be JSON, remembered up to this many bytes per driver


@dataclass(frozen=True)
class LoadSpec:
    """What to send, how hard, and what a correct answer looks like."""

    base_url: str
    paths: tuple[str, ...]
    connections: int = 8
    processes: int = 2
    warmup: float = 1.5
    duration: float = 10.0
    max_requests: int = 1_000_000
    expect_status: int = 200
    expect_json: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    body: bytes = b""  # sent with every request (a JSON query on a GET, say), with Content-Length


@dataclass
class LoadResult:
    """Figures of one measured window, or of several windows pooled by :func:`pool`."""

    latencies: array = field(repr=False)  # seconds, one per measured response
    seconds: float  # measured time, summed over pooled windows
    window_throughputs: list[float]  # responses/s of each window
    errors: dict[str, int]
    error_samples: list[str]
    reconnects: int
    driver_cpu: float  # the driver processes' CPU, in cores (1.0 = one core busy)
    connections: int
    processes: int
    server_cpu: float | None = None  # filled in by whoever can see the server

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        """The median window: one window slowed by other work on the machine does not move it."""
        return statistics.median(self.window_throughputs)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def server_us_per_request(self) -> float | None:
        """Server CPU per response: the framework's cost, less blurred by contention than throughput."""
        if self.server_cpu is None or not self.requests:
            return None
        return self.server_cpu * self.seconds / self.requests * 1e6

    @functools.cached_property
    def latency_ms(self) -> dict[str, float]:
        return percentiles(self.latencies)

    def to_json(self) -> dict:
        return {"requests": self.requests, "seconds": round(self.seconds, 3),
                "throughput": round(self.throughput, 1),
                "window_throughputs": [round(t, 1) for t in self.window_throughputs],
                "latency_ms": {k: round(v, 3) for k, v in self.latency_ms.items()},
                "errors": self.errors, "error_samples": self.error_samples, "reconnects": self.reconnects,
                "driver_cpu": round(self.driver_cpu, 3),
                "server_cpu": None if self.server_cpu is None else round(self.server_cpu, 3),
                "server_us_per_request": None if self.server_cpu is None else round(self.server_us_per_request, 1),
                "connections": self.connections, "processes": self.processes}


def pool(results: list[LoadResult]) -> LoadResult:
    """One result from repeated windows of the same load: latencies pooled, each window's throughput kept."""
    latencies = array("d")
    errors: Counter[str] = Counter()
    for result in results:
        latencies.extend(result.latencies)
        errors.update(result.errors)
    server = [r.server_cpu for r in results if r.server_cpu is not None]
    return LoadResult(
        latencies=latencies, seconds=sum(r.seconds for r in results),
        window_throughputs=[t for r in results for t in r.window_throughputs], errors=dict(errors),
        error_samples=[s for r in results for s in r.error_samples][:MAX_ERROR_SAMPLES],
        reconnects=sum(r.reconnects for r in results),
        driver_cpu=sum(r.driver_cpu for r in results) / len(results),
        connections=results[0].connections, processes=results[0].processes,
        server_cpu=sum(server) / len(server) if server else None)


def loopback_address(base_url: str) -> tuple[str, int]:
    """``(ip, port)`` of an ``http://`` URL on 127.0.0.0/8; anything else is refused."""
    parts = urlsplit(base_url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// targets are supported, not {base_url!r}")
    host = parts.hostname or ""
    ip = "127.0.0.1" if host == "localhost" else host
    try:
        loopback = ipaddress.ip_address(ip) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"refusing to load {host!r}: only 127.0.0.0/8 and localhost are allowed")
    return ip, parts.port or 80


def encode_requests(spec: LoadSpec) -> list[bytes]:
    """One ready-to-send request per path, so the hot loop only copies bytes."""
    ip, port = loopback_address(spec.base_url)
    extra = "".join(f"{name}: {value}\r\n" for name, value in spec.headers)
    if spec.body:
        extra += f"Content-Length: {len(spec.body)}\r\n"
    return [(f"{spec.method} {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nAccept: */*\r\n{extra}\r\n").encode("latin-1")
            + spec.body for path in spec.paths]


def percentiles(latencies: array) -> dict[str, float]:
    """Nearest-rank p50/p90/p99 plus mean and max, in milliseconds."""
    if not latencies:
        return {}
    ordered = sorted(latencies)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1] * 1000,
            "mean": sum(ordered) / len(ordered) * 1000}


class _Response:
    """Incremental parser for one response: knows when it is complete."""

    __slots__ = ("buf", "head_end", "status", "length", "chunked", "close")

    def __init__(self):
        self.buf = b""
        self.head_end = -1

    def feed(self, data: bytes) -> bool:
        """Add bytes; True once the whole response is in."""
        self.buf += data
        if self.head_end < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            self.head_end = end + 4
            self._parse_head(self.buf[:end])
        if self.length is not None:
            return len(self.buf) - self.head_end >= self.length
        if self.chunked:
            return self._chunks() is not None
        return False

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        self.status = int(rest[:3])
        self.length = None
        self.chunked = False
        self.close = version == b"HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == b"content-length":
                self.length = int(value)
            elif name == b"transfer-encoding":
                self.chunked = value.endswith(b"chunked")
            elif name == b"connection":
                self.close = value == b"close" or (self.close and value != b"keep-alive")
        if self.status in (204, 304) or 100 <= self.status < 200:
            self.length = 0

    def _chunks(self) -> bytes | None:
        """The decoded chunked body, or None while it is incomplete (trailers are not supported)."""
        pos, parts = self.head_end, []
        while True:
            line_end = self.buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(self.buf[pos:line_end].split(b";")[0], 16)
            start = line_end + 2
            if size == 0:
                return b"".join(parts) if len(self.buf) >= start + 2 else None
            if len(self.buf) < start + size + 2:
                return None
            parts.append(self.buf[start:start + size])
            pos = start + size + 2

    def body(self) -> bytes:
        if self.chunked:
            return self._chunks() or b""
        if self.length is not None:
            return self.buf[self.head_end:self.head_end + self.length]
        return self.buf[self.head_end:]


class _Driver:
    """One process's share of the load: its connections, counters and latencies."""

    def __init__(self, address: tuple[str, int], requests: list[bytes], spec: LoadSpec, connections: int,
                 max_requests: int, first: int):
        self.address = address
        self.requests = requests
        self.spec = spec
        self.max_requests = max_requests
        self.selector = selectors.DefaultSelector()
        self.latencies = array("d")
        self.errors: Counter[str] = Counter()
        self.samples: list[str] = []
        self.reconnects = 0
        # Most runs ask for a few paths whose answers do not change: a body equal to one already parsed is JSON
        # too, and comparing bytes costs a fraction of parsing them again on the CPU the server also needs.
        self.json_bodies: set[bytes] = set()
        self.json_bodies_bytes = 0
        self.measure_from = math.inf
        self.window = 0.0
        # Connections start spread evenly over the list, not one path apart: walking a long list of
        # distinct paths in lockstep, they would ask every path several times within milliseconds, and a
        # server-side cache would answer most of a list meant to miss it.
        stride = max(1, len(requests) // spec.connections)
        self.conns = [_Conn(self, (first + i) * stride) for i in range(connections)]

    def error(self, kind: str, sample: str = "") -> None:
        if time.perf_counter() < self.measure_from:
            return
        self.errors[kind] += 1
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append(f"{kind}: {sample}"[:300] if sample else kind)

    def reconnected(self) -> None:
        if time.perf_counter() >= self.measure_from:
            self.reconnects += 1

    def completed(self, conn: _Conn, response: _Response) -> None:
        """Check and record one response; measured only when it was sent inside the window."""
        now = time.perf_counter()
        if conn.sent_at >= self.measure_from:
            self.latencies.append(now - conn.sent_at)
            if response.status != self.spec.expect_status:
                self.error(f"status {response.status}", response.buf[:200].decode("latin-1"))
            elif self.spec.expect_json:
                self.check_json(response.body())

    def check_json(self, body: bytes) -> None:
        if body in self.json_bodies:
            return
        try:
            orjson.loads(body)  # stricter than the json module: no NaN or Infinity
        except orjson.JSONDecodeError:
            self.error("body is not JSON", body[:200].decode("latin-1"))
            return
        if self.json_bodies_bytes + len(body) <= CHECKED_BODIES_BYTES:
            self.json_bodies.add(body)
            self.json_bodies_bytes += len(body)

    def loop(self, warmup: float, duration: float) -> float:
        """Drive until the window ends (sets ``window``); returns the driver's CPU seconds inside it."""
        for conn in self.conns:
            conn.start()
        self.measure_from = time.perf_counter() + warmup
        stop_at = self.measure_from + duration
        cpu_start = None
        while True:
            now = time.perf_counter()
            if now >= stop_at or len(self.latencies) >= self.max_requests:
                break
            if cpu_start is None and now >= self.measure_from:
                cpu_start = time.process_time()
            for key, _ in self.selector.select(min(stop_at - now, POLL_S)):
                key.data.readable()
            for conn in self.conns:
                if conn.sock is None and now >= conn.retry_at:
                    conn.start()
        cpu_end = time.process_time()
        self.window = max(time.perf_counter() - self.measure_from, 1e-9)
        return cpu_end - (cpu_start if cpu_start is not None else cpu_end)


class _Conn:
    """One keep-alive connection cycling through the request list."""

    __slots__ = ("driver", "index", "sock", "response", "sent_at", "retry_at")

    def __init__(self, driver: _Driver, index: int):
        self.driver = driver
        self.index = index
        self.sock: socket.socket | None = None
        self.retry_at = 0.0
        self.sent_at = 0.0

    def start(self) -> None:
        """Open the socket and send the next request; a failed connect is retried shortly."""
        try:
            sock = socket.create_connection(self.driver.address, timeout=5)
        except OSError as exc:
            self.driver.error("connect failed", str(exc))
            self.retry_at = time.perf_counter() + CONNECT_RETRY_S
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.sock = sock
        self.driver.selector.register(sock, selectors.EVENT_READ, self)
        self.send()

    def send(self) -> None:
        request = self.driver.requests[self.index % len(self.driver.requests)]
        self.index += 1
        self.response = _Response()
        self.sent_at = time.perf_counter()
        try:
            # A request is far smaller than the socket buffer: one send suffices on loopback.
            if self.sock.send(request) != len(request):
                raise OSError("short send")
        except OSError as exc:
            self.fail("send failed", str(exc))

    def readable(self) -> None:
        try:
            data = self.sock.recv(RECV_BYTES)
        except OSError as exc:
            self.fail("receive failed", str(exc))
            return
        if not data:
            self.closed_by_server()
            return
        try:
            complete = self.response.feed(data)
        except ValueError:
            self.fail("malformed response", self.response.buf[:200].decode("latin-1"))
            return
        if complete:
            self.driver.completed(self, self.response)
            if self.response.close:
                self.reopen()
            else:
                self.send()

    def closed_by_server(self) -> None:
        """EOF: the end of a read-until-close body, an idle close, or a truncated response."""
        response = self.response
        if response.head_end >= 0 and response.length is None and not response.chunked:
            self.driver.completed(self, response)
        elif response.buf:
            self.fail("truncated response", response.buf[:200].decode("latin-1"))
            return
        else:
            self.index -= 1  # nothing was answered: send the same request again
        self.reopen()

    def close(self) -> None:
        self.driver.selector.unregister(self.sock)
        self.sock.close()
        self.sock = None

    def reopen(self) -> None:
        """The server ended the connection normally: count it and carry on at once."""
        self.close()
        self.driver.reconnected()
        self.start()

    def fail(self, error: str, detail: str) -> None:
        """A broken connection: count the error and reconnect a little later, not in a tight loop."""
        self.close()
        self.driver.error(error, detail)
        self.driver.reconnected()
        self.retry_at = time.perf_counter() + CONNECT_RETRY_S


def _worker(spec: LoadSpec, connections: int, max_requests: int, first: int, barrier, pipe) -> None:
    """Entry point of one driver process: connect, wait for the others, drive, report."""
    driver = _Driver(loopback_address(spec.base_url), encode_requests(spec), spec, connections, max_requests, first)
    barrier.wait()
    cpu = driver.loop(spec.warmup, spec.duration)
    pipe.send({"latencies": driver.latencies.tobytes(), "errors": dict(driver.errors), "samples": driver.samples,
               "reconnects": driver.reconnects, "cpu": cpu, "count": len(driver.latencies),
               "seconds": driver.window})
    pipe.close()


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run(spec: LoadSpec, on_window_start: Callable[[], None] | None = None,
        on_window_end: Callable[[], None] | None = None) -> LoadResult:
    """Run ``spec`` from separate processes and aggregate their figures.

    ``on_window_start``/``on_window_end`` run in this process around the
    measured window, e.g. to sample the server's CPU time.  Throughput is
    the sum of the processes' own rates, so no clock is compared across
    processes.
    """
    loopback_address(spec.base_url)
    if not spec.paths:
        raise ValueError("a load spec needs at least one path")
    processes = max(1, min(spec.processes, spec.connections))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    pipes, workers = [], []
    first = 0
    for connections, max_requests in zip(_shares(spec.connections, processes), _shares(spec.max_requests, processes),
                                         strict=True):
        receiver, sender = context.Pipe(duplex=False)
        worker = context.Process(target=_worker, args=(spec, connections, max_requests, first, barrier, sender),
                                 daemon=True, name="bench-loadgen")
        worker.start()
        sender.close()
        pipes.append(receiver)
        workers.append(worker)
        first += connections
    try:
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            raise RuntimeError("the load driver processes did not start (see their traceback above)") from None
        time.sleep(spec.warmup)
        if on_window_start:
            on_window_start()
        reports = [_receive(pipe, worker, spec) for pipe, worker in zip(pipes, workers, strict=True)]
        if on_window_end:
            on_window_end()
    except BaseException:
        for worker in workers:
            worker.kill()  # interrupted or failed: the rest of the load is not wanted
        raise
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
    return _aggregate(reports, spec, processes)


def _receive(pipe, worker, spec: LoadSpec) -> dict:
    """One process's report; a driver that died or hangs is a harness failure, not a slow server."""
    if not pipe.poll(spec.duration + 30):
        raise RuntimeError(f"load driver process {worker.pid} sent no report (exit code {worker.exitcode})")
    try:
        return pipe.recv()
    except EOFError:
        raise RuntimeError(f"load driver process {worker.pid} died (exit code {worker.exitcode})") from None


def _aggregate(reports: list[dict], spec: LoadSpec, processes: int) -> LoadResult:
    latencies = array("d")
    errors: Counter[str] = Counter()
    for report in reports:
        latencies.frombytes(report["latencies"])
        errors.update(report["errors"])
    seconds = max(r["seconds"] for r in reports)
    return LoadResult(
        latencies=latencies, seconds=seconds, window_throughputs=[sum(r["count"] / r["seconds"] for r in reports)],
        errors=dict(errors), error_samples=[s for r in reports for s in r["samples"]][:MAX_ERROR_SAMPLES],
        reconnects=sum(r["reconnects"] for r in reports), driver_cpu=sum(r["cpu"] for r in reports) / seconds,
        connections=spec.connections, processes=processes)
