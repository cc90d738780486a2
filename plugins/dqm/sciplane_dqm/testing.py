"""Test helpers for the histogram store's API: requests under ``/api/dqm`` and job shortcuts."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee

from sciplane.testing import MountClient, RawClient, RawResult

from .services import ingest, parsing

MOUNT = "/api/dqm"
SAMPLES = Path(__file__).parent / "samples"
CSV_1D, CSV_2D = "ZeroBias_2018A_DataFrame_1D_2.csv", "ZeroBias_2018A_DataFrame_2D_2.csv"
ROOT_SMALL = "small_run357538.root"


HEADER_A = "fromrun,fromlumi,hname,fromrun,fromlumi,metype,hname,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins"


def legacy_row(title: str, values, *, run: int = 315488, lumi: int = 229, metype: int = 3, x=(0.0, 10.0),
               y=None, bins=None, histo: str | None = None) -> str:
    """One variant-A row of the legacy CSV; ``values`` include the flow bins (ROOT global-bin order).

    ``bins`` is (Xbins,) or (Xbins, Ybins), by default derived from the values; ``histo`` replaces the list text.
    """
    flat = [float(v) for v in (values.ravel() if hasattr(values, "ravel") else values)]
    if bins is None:
        bins = (len(flat) - 2,) if y is None else None
    x_bins, y_bins = (bins[0], 1) if len(bins) == 1 else bins
    y_max, y_min = (1, 0) if y is None else (y[1], y[0])
    text = histo if histo is not None else "[" + ", ".join(f"{v:g}" for v in flat) + "]"
    return (f'{run},{lumi},{title},{run},{lumi},{metype},{title},"{text}",{int(sum(flat))},'
            f"{x[1]:g},{x[0]:g},{x_bins},{y_max:g},{y_min:g},{y_bins}")


def write_csv(path: Path, rows: list[str], header: str = HEADER_A) -> Path:
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def expect(result: RawResult, status: int) -> Any:
    assert result.status_code == status, (result.status_code, result.content[:2000])
    return result.json if result.content and result.headers.get("content-type", "").startswith(
        "application/json") else result


class Api(MountClient):
    def __init__(self, client: RawClient, root: str = MOUNT):
        super().__init__(client, root)

    def checked(self, result: RawResult) -> None:
        # Every error is JSON with a code; a HEAD answer announces the body it leaves out.
        if result.status_code >= 400 and (result.content or result.headers.get("content-length", "0") == "0"):
            assert result.headers.get("content-type", "").startswith("application/json"), result.content[:200]
            assert result.json.get("code"), result.json

    def register(self, path: Path | str, **fields: Any) -> dict:
        return expect(self.post("files/", {"filepath": str(path), **fields}), 201)

    def start(self, file_id: int, dimensionality: int, granularity: str = "lum", **params: Any) -> RawResult:
        return self.post(f"files/{file_id}/start_parsing/",
                         {"dimensionality": dimensionality, "granularity": granularity, **params})

    def parse(self, file_id: int, dimensionality: int, granularity: str = "lum", **params: Any) -> dict:
        """Start parsing (the queue runs jobs at once in tests) and return the finished job."""
        job = expect(self.start(file_id, dimensionality, granularity, **params), 202)
        return expect(self.get(f"jobs/{job['id']}/"), 200)

    def ingest(self, path: Path | str, *keys: tuple[int, str], **fields: Any) -> tuple[dict, list[dict]]:
        file = self.register(path, **fields)
        return file, [self.parse(file["id"], dim, granularity) for dim, granularity in keys]

    def count(self, query: str = "") -> int:
        return expect(self.get("histograms/count/", query), 200)["count"]

    def pages(self, path: str, query: str) -> list[dict]:
        """Every page of a cursor-paginated list, following ``next``."""
        pages, url = [], f"{self.root}/{path}?{query}"
        while url:
            route, _, rest = url.partition("?")
            pages.append(expect(self.client.simulate_request("GET", route, query_string=rest), 200))
            url = pages[-1]["next"]
        return pages

    def all_pages(self, path: str, query: str) -> list[dict]:
        """Every item of a cursor-paginated list."""
        return [item for page in self.pages(path, query) for item in page["results"]]


def run_jobs_at_once(ctx, file_ids: list[int], dimensionality: int = 1,
                     timeout_s: float = 120) -> tuple[list[int], list[BaseException]]:
    """Create a (dimensionality, lum) job for each file and run them together, each on a thread and connection of
    its own, as workers would: the job ids, and the exceptions the threads raised (none when all went well)."""
    with ctx.database.connection_context():
        jobs = [parsing.start(ctx, file_id, parsing.ParseRequest(dimensionality, "lum"), enqueue=False).id
                for file_id in file_ids]
    together = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def run(job_id: int) -> None:
        try:
            with ctx.database.connection_context():
                together.wait()
                ingest.run_job(ctx, job_id)
        except BaseException as exc:  # reported to the caller, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job_id,)) for job_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout_s)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError(f"a parse job still runs after {timeout_s} s: hung, not finished")
    return jobs, failures


@contextlib.contextmanager
def file_row_held(database, file_id: int, waiters: int, timeout_s: float = 10) -> Iterator[None]:
    """PostgreSQL: hold file ``file_id``'s row (``FOR SHARE``, from a connection of its own) while the body starts
    requests that will meet it; on leaving, once ``waiters`` backends wait on a lock, let them all go at once."""
    holder = peewee.PostgresqlDatabase(database.database, **database.connect_params)
    holder.connect()
    try:
        holder.execute_sql("BEGIN")
        holder.execute_sql("SELECT id FROM dqm_file WHERE id = %s FOR SHARE", (file_id,))
        yield
        deadline = time.monotonic() + timeout_s
        while True:
            holder.execute_sql("SELECT pg_stat_clear_snapshot()")  # else the transaction sees its first view again
            if holder.execute_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND wait_event_type = 'Lock'").fetchone()[0] >= waiters:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {waiters} requests came to wait on the file's row")
            time.sleep(0.02)
    finally:
        holder.execute_sql("COMMIT")
        holder.close()
