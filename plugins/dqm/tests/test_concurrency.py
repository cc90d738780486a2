"""Two jobs storing the same (run, lumisection, title) keys at once: each key is stored once, both jobs end
done, and their counters add up (on PostgreSQL the second COPY meets the first's rows and falls back to the
staged ON CONFLICT path)."""

from __future__ import annotations

import shutil
import threading

from sciplane_dqm.services import ingest, parsing
from sciplane_dqm.testing import CSV_1D, expect


def test_concurrent_jobs_on_overlapping_files(api, app, data_root):
    shutil.copy(data_root / CSV_1D, data_root / "copy.csv")
    files = [api.register(data_root / CSV_1D), api.register(data_root / "copy.csv")]
    ctx = app.sciplane
    with ctx.database.connection_context():
        jobs = [parsing.start(ctx, f["id"], parsing.ParseRequest(1, "lum"), enqueue=False).id for f in files]
    barrier = threading.Barrier(len(jobs))
    failures = []

    def run(job_id: int) -> None:
        try:
            with ctx.database.connection_context():
                barrier.wait()
                ingest.run_job(ctx, job_id)
        except Exception as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job_id,)) for job_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    finished = [expect(api.get(f"jobs/{job_id}/"), 200) for job_id in jobs]
    assert [job["status"] for job in finished] == ["done", "done"], finished
    assert sum(job["histograms_created"] for job in finished) == 9
    assert sum(job["entries_duplicate"] for job in finished) == 9
    assert api.count() == 9
