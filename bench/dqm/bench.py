"""Histogram store targets (dqm spec §12) on PostgreSQL.

P1  1D CSV ingest >= 20,000 histograms/s: a 100,000-row synthetic file (100 bins per row) parsed with
    ``sciplane dqm parse --inline``; the time runs from the job's claim to ``done`` (counting included).
P2  2D CSV ingest (300 x 200 bins per row) with the parsing process's peak RSS (VmHWM) <= 500 MB on a
    0.5 GB and a 2 GB file, i.e. memory that does not grow with the file (--quick: 50 and 200 MB).
P3  nanoDQM ingest of the bench file's (1, lum) then (2, lum) keys, 4,776 MEs, >= 10,000 MEs/s and >= 5x
    uproot's object-by-object reading of the same MEs, measured side by side in this run.  Both jobs run in one
    ``sciplane worker`` process, as a deployment runs them (the spec allows --inline or one worker), queued through
    the API as a client queues them.  That worker
    has parsed the small sample file first, untimed: uproot's first-use setup (compiling the file's streamer
    classes, 25-55 ms) is then out of the figure, as it is out of uproot's best-of-two baseline, and a
    long-running worker pays it once in its life, not once per file.  The ingest is measured three
    times, each on a fresh database with a fresh worker, and judged on the median: one sample of half a second
    on a shared 2-core machine varies by +-15 %.
P4  ``GET /histograms/export/`` of 10,000 1D histograms as one ``.npy`` <= 1 s, body fully read (best of 5).

Synthetic inputs are generated from a fixed seed into a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.harness import BIN_DIR, REPO_ROOT, Harness, Options, Result, Row

from .generate import write_1d, write_2d

API = "/api/dqm"
PLUGINS = ("dqm", "histograms_csv", "nanodqm")
P3_SAMPLES = 3
BENCH_ROOT = REPO_ROOT / "testdata" / "dqm" / "bench_run367094.root"
WARM_UP_ROOT = REPO_ROOT / "testdata" / "dqm" / "small_run357538.root"  # 20 MEs of the same streamer classes
MB = 1024 * 1024


def _get(base: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base}{API}/{path}", timeout=600) as response:
        return json.load(response)


def _post(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{base}{API}/{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def _seconds(job: dict) -> float:
    started, finished = (dt.datetime.fromisoformat(job[k].replace("Z", "+00:00")) for k in ("started", "finished"))
    return (finished - started).total_seconds()


def _parse_inline(env: dict[str, str], file_id: int, dim: int) -> tuple[dict, int]:
    """Run ``sciplane dqm parse --inline``; the finished job and the process's peak RSS in kB."""
    process = subprocess.Popen([str(BIN_DIR / "sciplane"), "dqm", "parse", str(file_id), "--dim", str(dim),
                                "--inline"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)  # ru_maxrss of this child alone, in kB on Linux
    process.returncode = os.waitstatus_to_exitcode(status)
    job = json.loads(output.strip().splitlines()[-1]) if output.strip() else {}
    if process.returncode or job.get("status") != "done":
        raise RuntimeError(f"parse of file {file_id} failed: {output}{process.stderr.read().decode()}")
    return job, usage.ru_maxrss


def _parse_in_worker(app, plan: list[tuple[int, int]], log_path: Path) -> list[dict]:
    """Queue the parse of each (file id, dimensionality) in turn for one ``sciplane worker`` process; the
    finished jobs, in order.

    Jobs are queued through the API, as a client queues them.  Queueing with ``sciplane dqm parse`` would
    put a CLI process on the same two cores: its exit (a full garbage collection of every imported module)
    overlaps the job's first 100 ms and cost P3 about 12 % on machine E.
    """
    with log_path.open("wb") as log:
        worker = subprocess.Popen([str(BIN_DIR / "sciplane"), "worker"], cwd=REPO_ROOT, env=app.env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        jobs = []
        for file_id, dim in plan:
            queued = _post(app.server.base_url, f"files/{file_id}/start_parsing",
                           {"dimensionality": dim, "granularity": "lum"})
            jobs.append(_wait_for_job(app.server.base_url, queued["id"], worker, log_path))
        return jobs
    finally:
        worker.send_signal(signal.SIGINT)  # huey's graceful stop
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for_job(base: str, job_id: int, worker: subprocess.Popen, log_path: Path, timeout_s: float = 600) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = _get(base, f"jobs/{job_id}")
        if job["status"] == "done":
            return job
        if job["status"] == "failed" or worker.poll() is not None:
            raise RuntimeError(f"parse job {job_id} did not finish: {job}\n{log_path.read_text()[-4000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"parse job {job_id} still unfinished after {timeout_s} s")


def _register(app, path: Path) -> int:
    line = app.cli("dqm", "register", str(path)).strip().splitlines()[-1]
    return int(line.split("\t")[0])


def _uproot_rate() -> float:
    """MEs/s of the nanodqm parser's uproot object path over (1, lum) then (2, lum), parse only."""
    from sciplane import ParserKey
    from sciplane_nanodqm.parser import DqmioParser
    parser = DqmioParser(reader="uproot")
    count, started = 0, time.perf_counter()
    for dim in (1, 2):
        with BENCH_ROOT.open("rb") as stream:
            count += sum(1 for _ in parser.parse(stream, key=ParserKey("nanodqm", dim, "lum")))
    return count / (time.perf_counter() - started)


def _export_seconds(base: str, query: str, repeats: int = 5) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeats):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}{API}/histograms/export/?{query}", timeout=600) as response:
            size = len(response.read())
        best = min(best, time.perf_counter() - started)
    return best, size


def run(harness: Harness, options: Options) -> Result:
    with tempfile.TemporaryDirectory(prefix="sciplane-dqm-bench-") as scratch:
        root = Path(scratch)
        # P3 first, on a server that has not just written gigabytes for P1 and P2.
        rows = _nanodqm_rows(harness, root)
        with harness.sciplane(plugins=PLUGINS, env=_settings(root)) as app:
            base = app.server.base_url
            # P1: 1D CSV.
            csv_1d = write_1d(root / "bench_1d.csv", 100_000)
            job, _ = _parse_inline(app.env, _register(app, csv_1d), 1)
            seconds = _seconds(job)
            rows.append(Row("P1 1D CSV ingest (100,000 rows)", "histograms/s", job["histograms_created"] / seconds,
                            "hist/s", 20_000))
            rows.append(Row("P1 1D CSV ingest (100,000 rows)", "seconds", seconds, "s", 5.0, higher_is_better=False))
            csv_1d.unlink()
            # P4: export 10,000 of them (100 MEs per lumisection).
            best, size = _export_seconds(base, "run_number=400000&ls_number__lte=100&dim=1")
            rows.append(Row("P4 export 10,000 1D as .npy", "seconds", best, "s", 1.0, higher_is_better=False))
            rows.append(Row("P4 export 10,000 1D as .npy", "body", size / MB, "MB"))
            # P2: 2D CSV memory on two file sizes.
            for size_mb in ((50, 200) if options.quick else (512, 2048)):
                path = write_2d(root / f"bench_2d_{size_mb}.csv", size_mb * MB)
                job, peak_kb = _parse_inline(app.env, _register(app, path), 2)
                name = f"P2 2D CSV ingest ({size_mb} MB, {job['histograms_created']} rows)"
                rows.append(Row(name, "peak RSS", peak_kb / 1024, "MB", 500, higher_is_better=False))
                rows.append(Row(name, "histograms/s", job["histograms_created"] / _seconds(job), "hist/s"))
                path.unlink()
    return Result("dqm", "DQM histogram store ingest and export", rows)


def _settings(root: Path) -> dict[str, str]:
    return {"SCIPLANE__PLUGINS__DQM__DATA_ROOTS": json.dumps([str(root)]),
            "SCIPLANE__AUTH__GRANTS__ANONYMOUS": json.dumps(["dqm.read", "dqm.parse"])}


def _nanodqm_rows(harness: Harness, root: Path) -> list[Row]:
    """P3: the fast reader end to end, on a database at rest, against uproot's object path (parse only)."""
    bench_file, warm_up_file = (Path(os.path.realpath(_copy(path, root))) for path in (BENCH_ROOT, WARM_UP_ROOT))
    rates = []
    for _ in range(P3_SAMPLES):
        with harness.sciplane(plugins=PLUGINS, env=_settings(root)) as app:
            bench_id, warm_up_id = _register(app, bench_file), _register(app, warm_up_file)
            app.settle()
            plan = [(warm_up_id, 1), (warm_up_id, 2), (bench_id, 1), (bench_id, 2)]
            jobs = _parse_in_worker(app, plan, root / "worker.log")[2:]
        mes = sum(job["histograms_created"] for job in jobs)
        rates.append(mes / sum(_seconds(job) for job in jobs))
    # uproot's best of two (the second without its first-use setup): a slow moment of the machine must not
    # flatter the ratio.
    rate, baseline = statistics.median(rates), max(_uproot_rate() for _ in range(2))
    name = f"P3 nanoDQM ingest ({mes} MEs)"
    return [Row(name, f"MEs/s, median of {P3_SAMPLES}", rate, "MEs/s", 10_000),
            Row(name, "MEs/s, slowest", min(rates), "MEs/s"),
            Row(name, "MEs/s, fastest", max(rates), "MEs/s"),
            Row("P3 uproot object path (parse only)", "MEs/s", baseline, "MEs/s"),
            Row("P3 ingest / uproot", "ratio", rate / baseline, "x", 5.0)]


def _copy(source: Path, directory: Path) -> Path:
    target = directory / source.name
    target.write_bytes(source.read_bytes())
    return target
