"""Two jobs storing the same (run, lumisection, title) keys at once: each key is stored once, both jobs end
done, and their counters add up (on PostgreSQL the second COPY meets the first's rows and falls back to the
staged ON CONFLICT path)."""

from __future__ import annotations

import shutil

from sciplane_dqm.testing import CSV_1D, expect, run_jobs_at_once


def test_concurrent_jobs_on_overlapping_files(api, app, data_root):
    shutil.copy(data_root / CSV_1D, data_root / "copy.csv")
    files = [api.register(data_root / CSV_1D), api.register(data_root / "copy.csv")]
    jobs, failures = run_jobs_at_once(app.sciplane, [f["id"] for f in files])
    assert not failures
    finished = [expect(api.get(f"jobs/{job_id}/"), 200) for job_id in jobs]
    assert [job["status"] for job in finished] == ["done", "done"], finished
    assert sum(job["histograms_created"] for job in finished) == 9
    assert sum(job["entries_duplicate"] for job in finished) == 9
    assert api.count() == 9
