"""Data-product catalogue targets (dataproducts spec §13) against gunicorn + PostgreSQL.

Ingest   A 1,000,000-row photometry CSV (``time,filter,magnitude,error``, 5 filters, distinct times) POSTed to
         ``/tom/api/dataproducts/`` into an empty target: <= 20 s until the 201 is received (>= 50,000
         datums/s); then the same file under a new ``product_id`` (every row a duplicate): <= 20 s with
         ``datums_created`` 0.  The multipart body is streamed from the file.  A breakdown follows, timed in
         this process without HTTP: the plugin's parser alone, parser + canonical JSON + SHA-256, and its
         ingest service into the database (new rows, then all duplicates, rolled back).
Listing  1,000,000 Goodman file records COPYed into ``dp_product`` (``generate.py``), then ``GET
         /gsp/api/files/?data_type=0&grating=400_SYZY&slit=1.0_LONG_SLIT`` (page 1, exact count) as a
         non-staff collaborator of one proposal: 20 warm-up then 200 sequential requests, p50 <= 20 ms and
         p95 (while a request takes far longer than its target, time budgets cut the run short and the report
         says how many were measured).  Server-side times come from the access log (the core's elapsed time
         from request to response, JSON serialisation of the page excepted), client-side times are shown
         beside them.  Then EXPLAIN ANALYZE of the statements the list resource runs (its ``on_get`` called in
         this process, the SQL taken from peewee's query log) is printed once, with their execution times.
Headers  ``headers.measure(1000)``: median read + parse + promotion of 1,000 Goodman headers <= 2 ms, on one
         pinned core, before any server starts.
Memory   FITS files of 100 MiB and 1 GiB (a Goodman header, then pseudo-random data produced while sending)
         uploaded as ``fits_file`` and downloaded again: the serving worker's RSS may rise by at most 64 MiB
         over its baseline, alike for both sizes; the SHA-256 of the 201 and of the downloaded bytes must equal
         the client's.  Both workers are warmed first (small transfers until each has served one); the baseline
         is each worker's RSS then, for every transfer.  RSS is read from /proc: VmRSS sampled every 5 ms, and
         VmHWM reset before (clear_refs) and read after each transfer, so a peak between samples is not missed.

``--quick``: 200,000 photometry rows, 100,000 file records, 32 MiB and 256 MiB transfers.  Gunicorn runs as the
harness configures it, plus ``--timeout 600`` (a sync worker would otherwise be killed during a long upload).
Scratch files and the blob store live in temporary directories that are removed afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import math
import random
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import psycopg2

from bench.harness import Harness, Options, Result, Row, Server

from . import headers
from .generate import load_catalogue, write_photometry

TOM = "/tom/api"
GSP = "/gsp/api"
MIB = 1 << 20
CHUNK = MIB
WORKER_TIMEOUT_S = 600
LISTING_QUERY = {"data_type": "0", "grating": "400_SYZY", "slit": "1.0_LONG_SLIT"}
LISTING_WARMUP, LISTING_REQUESTS = 20, 200
# Far from its target, a listing request takes seconds and 220 of them many minutes: the warm-up and the
# measurement then stop at these budgets (seconds), and the report says how many requests were measured.
LISTING_BUDGET_S = (30.0, 120.0)
MEMORY_TARGET_MIB = 64
RISE_DIFFERENCE_MIB = 16
HEADER_FILES = 1000
INGEST_SECONDS, INGEST_RATE = 20.0, 50_000


@dataclass(frozen=True)
class Sizes:
    photometry_rows: int
    catalogue_files: int
    transfers_mib: tuple[int, int]


FULL = Sizes(1_000_000, 1_000_000, (100, 1024))
QUICK = Sizes(200_000, 100_000, (32, 256))


def run(harness: Harness, options: Options) -> Result:
    sizes = QUICK if options.quick else FULL
    rows = _headers()  # first: one pinned core, and no server running beside it
    env = {"GUNICORN_CMD_ARGS": f"--timeout {WORKER_TIMEOUT_S}",
           "SCIPLANE__PLUGINS__DATAPRODUCTS__MAX_UPLOAD_BYTES": str(4 << 30),
           # The access log gives the listing's server-side times (INFO, to the server's log file).
           "SCIPLANE__LOGGING__ACCESS_LOG": "true", "SCIPLANE_LOG_LEVEL": "INFO"}
    with tempfile.TemporaryDirectory(prefix="sciplane-dp-bench-") as scratch, \
            harness.sciplane(plugins=["dataproducts"], env=env) as app:
        api = _Api(app.server.base_url)
        uploader = _user(app, "uploader")
        observer = _user(app, "observer")
        pipeline = _user(app, "pipeline", "--staff")
        targets = {name: api.json("POST", f"{TOM}/targets/", uploader.token,
                                  {"name": f"bench-{name}", "type": "SIDEREAL", "ra": 1, "dec": 2})["id"]
                   for name in ("files", "photometry", "breakdown")}
        # Memory first, while the workers are fresh.
        rows += _memory(api, app.server, uploader.token, targets["files"], sizes.transfers_mib)
        csv = write_photometry(Path(scratch) / "lightcurve.csv", sizes.photometry_rows)
        rows += _photometry(api, uploader.token, targets["photometry"], csv, sizes.photometry_rows)
        url = app.env["SCIPLANE_DATABASE_URL"]
        with _plugin_database(url):
            rows += _breakdown(csv, targets["breakdown"], targets["photometry"], uploader.id)
            rows += _listing(api, app.server, url, sizes.catalogue_files, observer, pipeline)
    quick = " (--quick sizes)" if options.quick else ""
    title = (f"data-product catalogue{quick}: {sizes.photometry_rows:,} photometry rows, "
             f"{sizes.catalogue_files:,} file records, {sizes.transfers_mib[0]} and {sizes.transfers_mib[1]} MiB "
             "transfers")
    return Result("dataproducts", title, rows)


# ------------------------------------------------------------------------------------------------- headers


def _headers() -> list[Row]:
    measured = headers.measure(HEADER_FILES)
    print(f"  headers: {measured['files']} Goodman files of {measured['cards_median']:g} cards (median), "
          f"{measured['cpu']}", flush=True)
    return [Row("headers", "median", measured["median_ms"], "ms", headers.TARGET_MS, higher_is_better=False),
            Row("headers", "p95", measured["p95_ms"], "ms")]


# ---------------------------------------------------------------------------------------------- HTTP client


@dataclass(frozen=True)
class _User:
    id: int
    token: str


def _user(app, name: str, *flags: str) -> _User:
    """A core user and an API token, through the ``sciplane`` CLI."""
    created = app.cli("users", "add", name, "--email", f"{name}@example.org", *flags)
    user_id = int(re.search(r"\(id (\d+)\)", created).group(1))
    return _User(user_id, app.cli("tokens", "create", name).strip().splitlines()[-1])


class _Api:
    """Plain ``http.client`` calls, one connection each; request bodies can be streamed."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=WORKER_TIMEOUT_S)

    def json(self, method: str, path: str, token: str, body: dict | None = None, expect: int = 201) -> dict:
        connection = self.connection()
        try:
            connection.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                               headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:500]!r}")
        return json.loads(payload)

    def upload(self, path: str, token: str, fields: dict[str, str], file_name: str, chunks: Iterable[bytes],
               size: int) -> tuple[dict, float]:
        """POST a multipart form whose file part is ``size`` bytes taken from ``chunks`` as they come; the 201's
        body and the seconds from the first byte sent to the last byte of the answer."""
        boundary = uuid.uuid4().hex
        head = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                        for name, value in fields.items())  # the fields first: the server checks them early
        head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        connection = self.connection()
        try:
            started = time.perf_counter()
            connection.putrequest("POST", path)
            connection.putheader("Authorization", f"Token {token}")
            connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            connection.putheader("Content-Length", str(len(head) + size + len(tail)))
            connection.endheaders()
            sent = 0
            try:
                connection.send(head)
                for chunk in chunks:
                    connection.send(chunk)
                    sent += len(chunk)
                connection.send(tail)
            except OSError:
                pass  # the server answered early (an error): its answer is read below
            response = connection.getresponse()
            payload = response.read()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        if response.status != 201:
            raise RuntimeError(f"upload of {file_name} to {path}: {response.status} {payload[:500]!r}")
        if sent != size:
            raise RuntimeError(f"upload of {file_name}: {sent} bytes sent, {size} announced")
        return json.loads(payload), seconds

    def download(self, path: str, token: str) -> tuple[str, int, float]:
        """GET a file, reading it in chunks that are hashed and dropped: its SHA-256, size and seconds."""
        connection = self.connection()
        digest, size = hashlib.sha256(), 0
        try:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Token {token}"})
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {response.read()[:500]!r}")
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        return digest.hexdigest(), size, seconds


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


# ------------------------------------------------------------------------------------------------- ingest


def _photometry(api: _Api, token: str, target: int, csv: Path, count: int) -> list[Row]:
    """The light curve uploaded into an empty target, then again under a new product_id."""
    def upload() -> tuple[dict, float]:
        fields = {"target": str(target), "data_product_type": "photometry",
                  "product_id": f"bench-photometry-{uuid.uuid4().hex[:8]}"}
        return api.upload(f"{TOM}/dataproducts/", token, fields, csv.name, _file_chunks(csv), csv.stat().st_size)

    limit = INGEST_SECONDS * count / FULL.photometry_rows  # 20 s for a million rows, in proportion for --quick
    first, seconds = upload()
    rows = [Row("ingest", "seconds to 201", seconds, "s", limit, higher_is_better=False),
            Row("ingest", "datums/s", count / seconds, "rows/s", INGEST_RATE),
            Row("ingest", "datums_created", first["datums_created"], "", count)]
    again, seconds = upload()  # the same rows under a new product_id: every one a duplicate
    return rows + [Row("re-upload", "seconds to 201", seconds, "s", limit, higher_is_better=False),
                   Row("re-upload", "rows/s", count / seconds, "rows/s", INGEST_RATE),
                   Row("re-upload", "datums_created", again["datums_created"], "", 0, higher_is_better=False),
                   Row("re-upload", "datums_skipped", again["datums_skipped"], "", count)]


@contextlib.contextmanager
def _plugin_database(url: str) -> Iterator:
    """The plugin's models bound to the benchmark's database in this process, for the pieces timed without
    HTTP; the previous binding is restored afterwards."""
    from sciplane.db import connect, database
    previous = database.obj
    db = connect(url, pool_size=2)
    database.initialize(db)
    try:
        with db.connection_context():
            yield db
    finally:
        db.close_all()
        database.initialize(previous)


def _breakdown(csv: Path, empty: int, loaded: int, user_id: int) -> list[Row]:
    """Where an upload's time goes, timed here without HTTP, multipart or the blob store: the parser, the
    parser with the canonical JSON and SHA-256 of every value, and the ingest service (parse, hash, COPY,
    INSERT … ON CONFLICT) into the ``empty`` target, then into the ``loaded`` one, which has every row already
    (the re-upload's case); rolled back.  The table holds the uploads' rows meanwhile, so these are not exact
    parts of the uploads' times, but show where they go."""
    from sciplane.db import database
    from sciplane_dataproducts.processors.photometry import read_photometry
    from sciplane_dataproducts.services.ingest import Owner, canonical, ingest
    from sciplane_dataproducts.settings import DataProductsSettings

    def timed(work: Callable[[Iterator], object]) -> float:
        with csv.open("rb") as stream:
            started = time.perf_counter()
            work(read_photometry(stream))
            return time.perf_counter() - started

    chunk_rows = DataProductsSettings().load({})["ingest_chunk_rows"]
    parse = timed(lambda datums: sum(1 for _ in datums))
    hashed = timed(lambda datums: [hashlib.sha256(canonical(d.value)).digest() for d in datums])
    with database.atomic() as transaction:
        fresh = timed(lambda datums: ingest(datums, Owner(empty, None, "photometry", user_id), chunk_rows))
        again = timed(lambda datums: ingest(datums, Owner(loaded, None, "photometry", user_id), chunk_rows))
        transaction.rollback()
    return [Row("pieces", "parse", parse, "s"), Row("pieces", "+ JSON + SHA-256", hashed, "s"),
            Row("pieces", "ingest, new rows", fresh, "s"), Row("pieces", "ingest, duplicates", again, "s")]


# ------------------------------------------------------------------------------------------------ listing


def _listing(api: _Api, server: Server, url: str, files: int, observer: _User, pipeline: _User) -> list[Row]:
    name = "listing"
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        started = time.perf_counter()
        loaded = load_catalogue(connection, files, uploader=pipeline.id, member=observer.id)
        load_seconds = time.perf_counter() - started
    finally:
        connection.close()
    path = f"{GSP}/files/?" + "&".join(f"{k}={v}" for k, v in LISTING_QUERY.items())
    client_ms, counts = {}, set()
    http_connection = api.connection()

    def get(number: int) -> None:
        """One request, tagged so that its access-log line can be found."""
        started = time.perf_counter()
        http_connection.request("GET", path, headers={"Authorization": f"Token {observer.token}",
                                                      "X-Request-Id": f"dplist{number:04d}"})
        response = http_connection.getresponse()
        body = response.read()
        client_ms[number] = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:500]!r}")
        counts.add(json.loads(body)["count"])

    try:
        warmup = _sequence(get, 0, LISTING_WARMUP, LISTING_BUDGET_S[0], minimum=3)
        measured = _sequence(get, len(warmup), LISTING_REQUESTS, LISTING_BUDGET_S[1], minimum=20)
    finally:
        http_connection.close()
    if len(measured) < LISTING_REQUESTS:
        print(f"  listing: the time budget stopped the run after {len(warmup)} warm-up and {len(measured)} "
              "measured requests", flush=True)
    if len(counts) != 1:
        print(f"  listing: the count changed between requests: {sorted(counts)}", flush=True)
    server_ms = _access_log_ms(server, "dplist", measured)
    client = [client_ms[number] for number in measured]
    explained = _explain(observer.id)
    print(f"  listing: {loaded['proposals']} proposals, observer in {loaded['proposal']} "
          f"({loaded['proposal_files']:,} files); {loaded['indexes_rebuilt']} indexes rebuilt after the COPY",
          flush=True)
    return [Row(name, "load seconds", load_seconds, "s"),
            Row(name, "matched (count)", max(counts), "rows"),
            Row(name, "p50 server", _rank(server_ms, 0.50), "ms", 20.0, higher_is_better=False),
            Row(name, "p95 server", _rank(server_ms, 0.95), "ms"),
            Row(name, "p50 client", _rank(client, 0.50), "ms"),
            Row(name, "p95 client", _rank(client, 0.95), "ms"),
            Row(name, "requests measured", len(measured), "", LISTING_REQUESTS, gate=False),
            *explained]


def _sequence(send: Callable[[int], None], first: int, count: int, budget_s: float, minimum: int) -> list[int]:
    """Send requests ``first``, ``first + 1``, … one after the other: ``count`` of them, or fewer (but at least
    ``minimum``) once ``budget_s`` seconds have passed.  Returns the numbers sent."""
    numbers, started = [], time.perf_counter()
    while len(numbers) < count and (len(numbers) < minimum or time.perf_counter() - started < budget_s):
        send(first + len(numbers))
        numbers.append(first + len(numbers))
    return numbers


def _access_log_ms(server: Server, prefix: str, numbers: list[int]) -> list[float]:
    """The access log's elapsed ms of the requests sent with ``X-Request-Id: <prefix><NNNN>``."""
    pattern = re.compile(rf'" (\d{{3}}) ([\d.]+)ms id={prefix}(\d{{4}})\b')
    deadline = time.monotonic() + 5
    while True:  # the line is written before the response is sent; allow the file a moment anyway
        found = {int(m.group(3)): float(m.group(2)) for m in pattern.finditer(server.log_path.read_text())}
        if all(n in found for n in numbers) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    missing = [n for n in numbers if n not in found]
    if missing:
        raise RuntimeError(f"{len(missing)} listing requests are missing from the access log ({server.log_path})")
    return [found[n] for n in numbers]


def _explain(observer_id: int) -> list[Row]:
    """EXPLAIN ANALYZE of the statements the Goodman list resource runs for the listing: its ``on_get`` is
    called in this process (default settings, no other plugin's rules) while peewee's query log records the
    SQL; each statement is then explained once, its plan printed and its execution time reported.  A
    diagnostic: if the plugin's internals no longer fit this harness, it is reported and skipped."""
    import falcon
    import falcon.testing

    from sciplane import Identity, config
    from sciplane.db import database
    from sciplane_dataproducts import access
    from sciplane_dataproducts.resources.files import Files
    from sciplane_dataproducts.settings import DataProductsSettings

    settings = config.Settings(DataProductsSettings().load({}))

    class Request(falcon.Request):
        identity = Identity(user_id=observer_id, username="observer", via="token")

    catalogue = SimpleNamespace(settings=settings, product_rules=lambda who: access.product_rules(who, settings))
    try:
        with _recorded_sql() as statements:
            Files(catalogue).on_get(Request(falcon.testing.create_environ(
                path=f"{GSP}/files/", query_string="&".join(f"{k}={v}" for k, v in LISTING_QUERY.items()))),
                falcon.Response())
    except Exception as exc:  # a diagnostic must not sink the benchmark
        print(f"  EXPLAIN skipped: the listing could not be run in-process ({exc!r})", flush=True)
        return []
    rows = []
    for sql, params in statements:
        plan = [line for (line,) in database.execute_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).fetchall()]
        label = _statement_label(sql)
        print(f"  EXPLAIN ANALYZE, listing {label} statement:", *(f"    {line}" for line in plan), sep="\n",
              flush=True)
        rows.append(Row("listing", f"EXPLAIN {label}",
                        float(re.search(r"Execution Time: ([\d.]+) ms", "\n".join(plan)).group(1)), "ms"))
    return rows


def _statement_label(sql: str) -> str:
    """Which of the listing's statements this is: the caller's memberships, the count or the page."""
    text = sql.lstrip().upper()
    if text.startswith("SELECT COUNT"):
        return "count"
    return "page" if '"DP_PRODUCT"' in text.split(" WHERE ", 1)[0] else "memberships"


@contextlib.contextmanager
def _recorded_sql() -> Iterator[list[tuple[str, list]]]:
    """The (sql, params) of every statement peewee runs meanwhile, from its debug log."""
    statements: list[tuple[str, list]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if isinstance(record.msg, tuple):
                statements.append(record.msg)

    logger, recorder = logging.getLogger("peewee"), Recorder()
    saved = logger.level, logger.propagate
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield statements
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _rank(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile, as the load driver's."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# ------------------------------------------------------------------------------------------------- memory


def _memory(api: _Api, server: Server, token: str, target: int, sizes_mib: tuple[int, int]) -> list[Row]:
    workers = _workers(server)
    _warm(api, token, target, workers)
    # One baseline for every transfer: each worker's RSS once warm, so memory kept after one transfer counts
    # against the next instead of hiding its growth.
    baseline = {pid: _status_kib(pid, "VmRSS") for pid in workers}
    rows, rises = [], {}
    for mib in sizes_mib:
        header = _fits_header(mib * MIB)
        size = len(header) + mib * MIB
        digest = hashlib.sha256()
        fields = {"target": str(target), "data_product_type": "fits_file", "product_id": f"bench-{uuid.uuid4().hex}"}
        with _RssWatch(baseline) as upload:
            answer, seconds = api.upload(f"{TOM}/dataproducts/", token, fields, f"large_{mib}MiB.fits",
                                         _hashed(_fits_chunks(header, mib * MIB), digest), size)
        with _RssWatch(baseline) as download:
            received, received_size, download_seconds = api.download(
                f"{TOM}/dataproducts/{answer['id']}/download/", token)
        sent = digest.hexdigest()
        mismatches = sum((answer["sha256"] != sent, received != sent, answer["size"] != size, received_size != size))
        rises[mib] = upload.rise_mib
        for label, watch, throughput in (("up", upload, size / MIB / seconds),
                                         ("down", download, size / MIB / download_seconds)):
            name = f"{label} {_mib_label(mib)}"
            rows += [Row(name, "worker RSS rise", watch.rise_mib, "MiB", MEMORY_TARGET_MIB, higher_is_better=False),
                     Row(name, "throughput", throughput, "MiB/s")]
        rows.append(Row(f"up {_mib_label(mib)}", "sha256/size errors", mismatches, "", 0, higher_is_better=False))
    small, large = sizes_mib
    # "The rise is the same for a 100 MiB upload": judged, but too close to noise to decide the result.
    difference = abs(rises[large] - rises[small])
    rows.append(Row(f"up {_mib_label(large)}", f"rise - {_mib_label(small)}'s", difference, "MiB", RISE_DIFFERENCE_MIB,
                    higher_is_better=False, gate=False))
    return rows


def _mib_label(mib: int) -> str:
    return f"{mib // 1024}GiB" if mib % 1024 == 0 else f"{mib}MiB"


def _fits_header(data_bytes: int) -> bytes:
    """A realistic Goodman primary header (280 cards) declaring ``data_bytes`` of 16-bit data, 4096 wide."""
    from sciplane_dataproducts.samples import BLOCK_LENGTH, CARD_LENGTH, goodman_fits
    blob = goodman_fits("Red", level=0, realistic=True, seed=7,
                        extra_cards={"NAXIS1": 4096, "NAXIS2": data_bytes // (2 * 4096)})
    for offset in range(0, len(blob), CARD_LENGTH):
        if blob[offset:offset + CARD_LENGTH].rstrip() == b"END":
            end = offset + CARD_LENGTH
            return blob[:end + (-end % BLOCK_LENGTH)]
    raise ValueError("the sample header has no END card")


def _fits_chunks(header: bytes, data_bytes: int) -> Iterator[bytes]:
    """The header, then ``data_bytes`` of one pseudo-random MiB, repeated (the client allocates it once)."""
    yield header
    block = random.Random(20260105).randbytes(CHUNK)
    for offset in range(0, data_bytes, CHUNK):
        yield block if data_bytes - offset >= CHUNK else block[:data_bytes - offset]


def _hashed(chunks: Iterable[bytes], digest) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def _workers(server: Server) -> list[int]:
    """The gunicorn master's children."""
    pid = server.process.pid
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _warm(api: _Api, token: str, target: int, workers: list[int], attempts: int = 16) -> None:
    """Small uploads and downloads until every worker has served one of each (the one whose CPU time grew the
    most served it), so no measured transfer pays a worker's first-use costs (connections, lazy imports)."""
    header = _fits_header(4 * MIB)
    served: dict[str, set[int]] = {"upload": set(), "download": set()}
    for _ in range(attempts):
        before = {pid: _cpu_ticks(pid) for pid in workers}
        fields = {"target": str(target), "data_product_type": "fits_file", "product_id": f"bench-{uuid.uuid4().hex}"}
        answer, _ = api.upload(f"{TOM}/dataproducts/", token, fields, "warm.fits", _fits_chunks(header, 4 * MIB),
                               len(header) + 4 * MIB)
        middle = {pid: _cpu_ticks(pid) for pid in workers}
        api.download(f"{TOM}/dataproducts/{answer['id']}/download/", token)
        after = {pid: _cpu_ticks(pid) for pid in workers}
        served["upload"].add(max(workers, key=lambda pid: middle[pid] - before[pid]))
        served["download"].add(max(workers, key=lambda pid: after[pid] - middle[pid]))
        if all(len(pids) == len(workers) for pids in served.values()):
            return


class _RssWatch:
    """The workers' resident memory during a transfer: ``rise_mib`` is the largest rise of a worker's peak over
    its ``baseline`` (kB by pid), to 0.01 MiB.  Peaks come from VmRSS sampled every 5 ms and from VmHWM, reset
    through ``/proc/<pid>/clear_refs`` beforehand where the kernel allows it."""

    def __init__(self, baseline: dict[int, int], interval: float = 0.005):
        self.pids = list(baseline)
        self.baseline = baseline
        self.interval = interval
        self.rise_mib = 0.0

    def __enter__(self) -> _RssWatch:
        self.hwm_reset = all(self._reset_hwm(pid) for pid in self.pids)
        self.peak = {pid: _status_kib(pid, "VmRSS") for pid in self.pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], _status_kib(pid, "VmRSS"))

    @staticmethod
    def _reset_hwm(pid: int) -> bool:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for pid in self.pids:
            if self.hwm_reset:
                self.peak[pid] = max(self.peak[pid], _status_kib(pid, "VmHWM"))
        self.rise_mib = round(max((self.peak[pid] - self.baseline[pid]) / 1024 for pid in self.pids), 2)

