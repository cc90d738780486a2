"""Scenarios 27-28: a real consumer process killed mid-parse; after a restart the job finishes without
duplicates (the reconciler queues it again once its heartbeat is stale)."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np
import pytest

from sciplane.testing import RawClient, settings_to_env
from sciplane_dqm.testing import Api, expect, legacy_row, write_csv

PLUGINS = ["dqm", "histograms_csv", "nanodqm"]
DIGEST_2D_LUM = "e605608652c119d6123981f2fc5f8ea1eb5745ce9b3491d8bc262d5c1618a146"


@pytest.fixture
def setup(make_app, data_root, tmp_path, sciplane_database_url):
    dqm = {"data_roots": [str(data_root)], "chunk_entries_1d": 100, "chunk_entries_2d": 50, "chunk_delay_s": 0.2,
           "stale_after_s": 2, "reconcile_every_s": 1}
    settings = {"database": {"url": sciplane_database_url or f"sqlite:///{tmp_path}/sciplane.db"},
                "data_dir": str(tmp_path / "var"), "jobs": {"immediate": False, "url": f"sqlite:///{tmp_path}/q.db"},
                "plugins": {"enabled": PLUGINS, "dqm": dqm}, "auth": {"grants": {"anonymous": ["dqm.*"]}}}
    app = make_app(plugins=PLUGINS, settings=settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIPLANE")}
    env.update(settings_to_env(settings))
    return Api(RawClient(app)), app, env


@contextmanager
def consumer(env):
    process = subprocess.Popen([sys.executable, "-m", "sciplane", "dqm", "worker"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def wait(api: Api, job_id: int, until, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = expect(api.get(f"jobs/{job_id}/"), 200)
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached the state: {job}")


def kill_and_resume(api: Api, env, file_id: int, dim: int, progress: int, step: int, total: int) -> dict:
    job = expect(api.start(file_id, dim), 202)
    with consumer(env) as first:
        wait(api, job["id"], lambda j: j["entries_processed"] >= progress)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    stopped = expect(api.get(f"jobs/{job['id']}/"), 200)
    assert stopped["status"] == "running" and stopped["entries_processed"] % step == 0
    assert api.count(f"source_file={file_id}") == stopped["histograms_created"] == stopped["entries_processed"]
    assert stopped["entries_processed"] < total
    with consumer(env):
        return wait(api, job["id"], lambda j: j["status"] in ("done", "failed"))


def test_27_killed_csv_worker_resumes(setup, data_root):
    api, _, env = setup
    rows = [legacy_row(f"me_{i}", np.arange(102) % (i + 3), lumi=1 + i // 20, bins=(100,)) for i in range(2000)]
    file = api.register(write_csv(data_root / "big.csv", rows))
    job = kill_and_resume(api, env, file["id"], 1, progress=300, step=100, total=2000)
    assert (job["status"], job["histograms_created"], job["entries_duplicate"], job["attempts"]) == (
        "done", 2000, 0, 2)
    assert api.count(f"source_file={file['id']}") == 2000


def test_28_killed_root_worker_resumes(setup, bench_file):
    api, _, env = setup
    file = api.register(bench_file)
    job = kill_and_resume(api, env, file["id"], 2, progress=300, step=50, total=796)
    assert (job["status"], job["histograms_created"], job["entries_duplicate"], job["attempts"]) == (
        "done", 796, 0, 2)
    exported = expect(api.get("histograms/export/", f"source_file={file['id']}&dtype=float32"), 200)
    array = np.load(io.BytesIO(exported.content), allow_pickle=False)
    assert hashlib.sha256(array.astype("<f8").tobytes()).hexdigest() == DIGEST_2D_LUM
