"""Conditions database targets (spec §12) against gunicorn + PostgreSQL.

Datasets are built with ``sciplane conditions load-benchmark`` (the bulk
service): IOV i of each list starts at (i, 0) and is open-ended.  tiny
10x10, moderate 100x200 and heavy 100x5,000 live in one database (520,100
IOVs); for the size-independence checks a second server gets the same three
plus the scale set 200x26,000 (5.2 M IOVs), so that the two sizes are
measured side by side (skipped with --quick, which also shrinks heavy to
100x500).  After each load the database is settled
(``VACUUM ANALYZE``, ``CHECKPOINT``): reads are measured on a database at rest,
not while PostgreSQL flushes millions of new rows.  Figures compared as a
ratio are measured in interleaved rounds.

Targets: resolution on heavy >= 3,000 req/s with p99 <= 10 ms, within 10 %
of moderate (and of the scale set); globalTags >= 1,000 req/s, within 10 %
between 520 k and 5.2 M IOVs; the full nested heavy tag <= 1 s to the last
byte with worker RSS growth < 64 MB; bulk_piov >= 50,000 IOVs/s in requests
of 5,000 items; a 304 revalidation at least twice the throughput of a 200
that runs the query.  The spec's points repeat, so after warm-up the
per-worker response cache answers them (its intended use); resolution with a
new point in every request, where each 200 runs the query, is reported too.
"""

from __future__ import annotations

import json
import random
import time
import urllib.request
from pathlib import Path

from bench.harness import Harness, Options, Result, Row, load_rows

API = "/api/cdb_rest"
POINTS = [(0, 0), (2500, 0), (2147483647, 0)]  # the reference's first, middle and last


def resolve_path(gt: str, major: int, minor: int = 0) -> str:
    return f"{API}/payloadiovs/?gtName={gt}&majorIOV={major}&minorIOV={minor}"


def _request(url: str, *, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    return urllib.request.urlopen(request, timeout=300)


def _worker_rss_kb(server) -> int:
    """Resident memory of the server's worker processes (the master's children), in kB."""
    total = 0
    for pid in _children(server.process.pid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _nested_fetch(base_url: str, gt: str) -> tuple[float, int]:
    """Seconds to the last byte of ``globalTag/<gt>``, and the body size."""
    started = time.perf_counter()
    with _request(f"{base_url}{API}/globalTag/{gt}") as response:
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
    return time.perf_counter() - started, size


def _bulk_ingest(base_url: str, requests: int, per_request: int) -> float:
    """IOVs/s of ``bulk_piov`` requests of ``per_request`` items into 10 lists of a fresh tag."""
    post = lambda path, payload: _request(f"{base_url}{API}/{path}", method="POST",  # noqa: E731
                                          body=json.dumps(payload).encode(),
                                          headers={"Content-Type": "application/json"})
    post("gt", {"name": "ingest", "status": "unlocked"})
    lists = []
    for index in range(10):
        post("pt", {"name": f"ingest_type_{index}"})
        name = json.load(post("pl", {"payload_type": f"ingest_type_{index}"}))["name"]
        _request(f"{base_url}{API}/pl_attach", method="PUT", headers={"Content-Type": "application/json"},
                 body=json.dumps({"global_tag": "ingest", "payload_list": name}).encode())
        lists.append(name)
    bodies = []
    for number in range(requests):
        items = [{"payload_url": f"ingest/{number}/{i}.dat", "checksum": f"{i:08x}", "payload_list": lists[i % 10],
                  "major_iov": number * per_request + i, "minor_iov": 0} for i in range(per_request)]
        bodies.append(json.dumps(items).encode())
    started = time.perf_counter()
    for body in bodies:
        _request(f"{base_url}{API}/bulk_piov", method="POST", body=body,
                 headers={"Content-Type": "application/json"}).read()
    return requests * per_request / (time.perf_counter() - started)


def run(harness: Harness, options: Options) -> Result:
    heavy_iovs = 500 if options.quick else 5000
    rows: list[Row] = []
    runs = {}
    with harness.sciplane(plugins=["conditions"]) as app:
        base = app.server.base_url
        datasets = (("tiny", 10, 10), ("moderate", 100, 200), ("heavy", 100, heavy_iovs))
        for gt, types, iovs in datasets:
            app.cli("conditions", "load-benchmark", "--types", str(types), "--iovs", str(iovs), "--gt", gt)
        app.settle()

        heavy_paths = [resolve_path("heavy", major, minor) for major, minor in POINTS]
        moderate_paths = [resolve_path("moderate", major, minor) for major, minor in POINTS]
        rng = random.Random(7)
        random_paths = [resolve_path("heavy", rng.randrange(0, 2147483647)) for _ in range(200)]

        # Interleaved rounds: the ratio of two close figures must not follow a slow phase of the machine.
        runs.update(harness.compare({"heavy": (app.server, heavy_paths), "moderate": (app.server, moderate_paths)}))
        runs["heavy-random"] = harness.load(app.server, random_paths)
        rows += load_rows("payloadiovs heavy", runs["heavy"], throughput_target=3000,
                          latency_targets={"p99": 10.0})
        rows.append(Row("payloadiovs heavy", "req/s vs moderate", runs["heavy"].throughput
                        / runs["moderate"].throughput, "x", 0.9))
        rows += load_rows("payloadiovs random (200 points)", runs["heavy-random"], throughput_target=3000,
                          latency_targets={"p99": 10.0})


        with _request(base + heavy_paths[1]) as response:
            etag = response.headers["ETag"]
        # Distinct points beyond the per-worker response cache's reach: every 200 runs the query.
        uncached = [resolve_path("heavy", rng.randrange(0, 2147483647)) for _ in range(50000)]
        runs.update(harness.compare({
            "revalidate": (app.server, [heavy_paths[1]],
                           {"expect_status": 304, "expect_json": False, "headers": [("If-None-Match", etag)]}),
            "full-200": (app.server, [heavy_paths[1]]),
            "full-200-uncached": (app.server, uncached)}))
        rows.append(Row("304 revalidation", "req/s vs 200 (cached body)", runs["revalidate"].throughput
                        / runs["full-200"].throughput, "x", 2.0, gate=False))
        rows.append(Row("304 revalidation", "req/s vs 200 (query run)", runs["revalidate"].throughput
                        / runs["full-200-uncached"].throughput, "x", 2.0))
        # Reported without a target: every request a point no worker has answered yet, so each runs the query
        # (the spec's targets use repeated points, which the response cache serves).
        rows += load_rows("payloadiovs new point per request", runs["full-200-uncached"])

        rss_before = _worker_rss_kb(app.server)
        seconds, size = max(_nested_fetch(base, "heavy") for _ in range(2))
        rss_growth_mb = (_worker_rss_kb(app.server) - rss_before) / 1024
        rows.append(Row("globalTag/heavy", "seconds to last byte", seconds, "s", 1.0, higher_is_better=False))
        rows.append(Row("globalTag/heavy", "body size", size / 1e6, "MB"))
        rows.append(Row("globalTag/heavy", "worker RSS growth", max(rss_growth_mb, 0.0), "MB", 64.0,
                        higher_is_better=False))

        rows.append(Row("bulk_piov", "IOVs/s", _bulk_ingest(base, 4 if options.quick else 20, 5000), "IOVs/s",
                        50000))

        if options.quick:
            runs["globalTags"] = harness.load(app.server, [f"{API}/globalTags"])
            rows += load_rows("globalTags 520k", runs["globalTags"], throughput_target=1000)
        else:
            rows += _scale(harness, app, datasets, moderate_paths, runs)
    return Result("conditions", f"conditions database (heavy = 100 x {heavy_iovs} IOVs)", rows, runs)


def _scale(harness: Harness, app, datasets, moderate_paths: list[str], runs: dict) -> list[Row]:
    """The size-independence targets: a second server on a database that also holds the 5.2 M-IOV scale set,
    measured in interleaved rounds with the first (520 k IOVs), as every ratio here is."""
    rows = []
    with harness.sciplane(plugins=["conditions"]) as big:
        for gt, types, iovs in datasets:
            big.cli("conditions", "load-benchmark", "--types", str(types), "--iovs", str(iovs), "--gt", gt)
        started = time.perf_counter()
        big.cli("conditions", "load-benchmark", "--types", "200", "--iovs", "26000", "--gt", "scale")
        rows.append(Row("scale load (5.2M IOVs)", "seconds", time.perf_counter() - started, "s"))
        big.settle()
        scale_paths = [resolve_path("scale", major, minor) for major, minor in POINTS]
        runs.update(harness.compare({"globalTags": (app.server, [f"{API}/globalTags"]),
                                     "globalTags-5.2M": (big.server, [f"{API}/globalTags"]),
                                     "moderate-520k": (app.server, moderate_paths),
                                     "scale": (big.server, scale_paths)}))
    rows += load_rows("globalTags 520k", runs["globalTags"], throughput_target=1000)
    rows += load_rows("globalTags 5.2M", runs["globalTags-5.2M"], throughput_target=1000)
    rows.append(Row("globalTags 5.2M", "req/s vs 520k", runs["globalTags-5.2M"].throughput
                    / runs["globalTags"].throughput, "x", 0.9))
    rows += load_rows("payloadiovs scale", runs["scale"], throughput_target=3000, latency_targets={"p99": 10.0})
    # 200 lists per response instead of 100: compared per list resolved.
    per_list = (runs["scale"].throughput * 200) / (runs["moderate-520k"].throughput * 100)
    rows.append(Row("payloadiovs scale", "lists/s vs moderate", per_list, "x", 0.9))
    return rows



