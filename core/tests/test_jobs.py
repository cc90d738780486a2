"""Background jobs: registration, status in the database, the status endpoint, a real consumer."""

import os
import subprocess
import sys
import time

import falcon.testing
import pytest

from sciplane import JobSpec, StartupError, hookimpl


def add(ctx, a, b):
    return {"sum": a + b}


def explode(ctx, message):
    raise ValueError(message)


class Jobs:
    plugin_name = "jobs"

    @hookimpl
    def register_jobs(self):
        return [JobSpec("add", add, "Add two numbers"), JobSpec("explode", explode)]


@pytest.fixture
def app(make_app):
    return make_app(extra_plugins=[Jobs()])


def test_immediate_jobs_record_results(ctx):
    with ctx.database.connection_context():
        job = ctx.jobs.enqueue("add", a=2, b=3)
        stored = ctx.jobs.get(job.id)
    assert stored.status == "done" and stored.result == {"sum": 5} and stored.plugin == "jobs"
    assert stored.started is not None and stored.finished >= stored.started


def test_failures_are_recorded_not_raised(ctx):
    with ctx.database.connection_context():
        job = ctx.jobs.enqueue("explode", message="bad input")
        stored = ctx.jobs.get(job.id)
    assert stored.status == "failed" and stored.error["type"] == "ValueError"
    assert stored.error["message"] == "bad input"


def test_enqueue_waits_for_the_transaction(ctx):
    from sciplane import write_transaction
    with ctx.database.connection_context():
        with write_transaction():
            job = ctx.jobs.enqueue("add", a=1, b=1)
            assert ctx.jobs.get(job.id).status == "queued"
        assert ctx.jobs.get(job.id).status == "done"


def test_unknown_job_and_duplicate_names(ctx, make_app):
    with pytest.raises(KeyError):
        ctx.jobs.enqueue("nope")

    class Again:
        plugin_name = "again"

        @hookimpl
        def register_jobs(self):
            return [JobSpec("add", add)]

    with pytest.raises(StartupError, match="two jobs named 'add'"):
        make_app(extra_plugins=[Jobs(), Again()])


def test_status_endpoint_visibility(client, ctx):
    with ctx.database.connection_context():
        owner = ctx.accounts.create_user("owner")
        other = ctx.accounts.create_user("other")
        owner_key, _ = ctx.accounts.create_token(owner)
        other_key, _ = ctx.accounts.create_token(other)
        job = ctx.jobs.enqueue("add", owner_id=owner.id, a=1, b=2)
    mine = client.simulate_get(f"/api/jobs/{job.id}", headers={"Authorization": f"Token {owner_key}"})
    assert mine.status_code == 200 and mine.json["status"] == "done" and mine.json["result"] == {"sum": 3}
    assert mine.headers["cache-control"] == "no-store"
    other_view = client.simulate_get(f"/api/jobs/{job.id}", headers={"Authorization": f"Token {other_key}"})
    assert other_view.status_code == 404
    assert client.simulate_get(f"/api/jobs/{job.id}").status_code == 401
    assert client.simulate_get("/api/jobs/unknown").status_code == 401  # existence is not revealed
    assert client.simulate_get("/api/jobs/unknown", headers={"Authorization": f"Token {other_key}"}).status_code == 404


def test_status_endpoint_with_grant(make_app):
    app = make_app(extra_plugins=[Jobs()], settings={"auth": {"grants": {"anonymous": ["core.jobs.read"]}}})
    with app.sciplane.database.connection_context():
        job = app.sciplane.jobs.enqueue("add", a=0, b=0)
    assert falcon.testing.TestClient(app).simulate_get(f"/api/jobs/{job.id}").json["status"] == "done"


def test_real_consumer_on_the_sqlite_queue(make_app, tmp_path, sciplane_database_url):
    """A job enqueued by the app runs in a separate `sciplane worker` process."""
    plugin_dir = tmp_path / "jobplugin"
    plugin_dir.mkdir()
    (plugin_dir / "jobplugin.py").write_text(
        "from sciplane import JobSpec, hookimpl\n"
        "def add(ctx, a, b):\n    return {'sum': a + b}\n"
        "@hookimpl\ndef register_jobs():\n    return [JobSpec('add', add)]\n")
    queue = f"sqlite:///{tmp_path}/queue.db"
    database_url = sciplane_database_url or f"sqlite:///{tmp_path}/sciplane.db"
    sys.path.insert(0, str(plugin_dir))
    try:
        import jobplugin
        app = make_app(extra_plugins=[("jobplugin", jobplugin)], settings={"jobs": {"immediate": False, "url": queue}})
        with app.sciplane.database.connection_context():
            job = app.sciplane.jobs.enqueue("add", a=20, b=22)
            assert app.sciplane.jobs.get(job.id).status == "queued"
    finally:
        sys.path.remove(str(plugin_dir))
    runner = (f"import sys; sys.path.insert(0, {str(plugin_dir)!r}); import jobplugin\n"
              "from sciplane import build_context\n"
              f"ctx = build_context({{'database': {{'url': {database_url!r}}}, 'jobs': {{'url': {queue!r}}},"
              f" 'data_dir': {str(tmp_path / 'var')!r}}}, plugins=[], extra_plugins=[('jobplugin', jobplugin)])\n"
              "ctx.jobs.consumer(workers=1).run()\n")
    worker = subprocess.Popen([sys.executable, "-c", runner], env={**os.environ, "PYTHONPATH": str(plugin_dir)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            with app.sciplane.database.connection_context():
                status = app.sciplane.jobs.get(job.id)
            if status.status in ("done", "failed"):
                break
            time.sleep(0.2)
        assert status.status == "done" and status.result == {"sum": 42}
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_interrupted_jobs_are_marked_failed(ctx):
    import huey.signals
    with ctx.database.connection_context():
        job = ctx.jobs.enqueue("add", a=1, b=1)
        from sciplane.jobs import Job
        Job.update(status="running").where(Job.id == job.id).execute()
        task = ctx.jobs._tasks["add"].s(job.id, {})
        ctx.jobs.huey._emit(huey.signals.SIGNAL_INTERRUPTED, task)
        stored = ctx.jobs.get(job.id)
    assert stored.status == "failed" and stored.error["type"] == "Interrupted"


def test_health_reports_an_unreachable_queue(make_app):
    app = make_app(settings={"jobs": {"immediate": False, "url": "redis://127.0.0.1:1/0"}})
    resp = falcon.testing.TestClient(app).simulate_get("/health")
    assert resp.status_code == 503 and resp.json["checks"] == {"database": "ok", "jobs": "unavailable"}


def test_immediate_job_inside_a_request_keeps_its_connection(make_app):
    from sciplane import EndpointGroup, Route

    class Enqueue:
        def __init__(self):
            self.ctx = None

        def on_post(self, req, resp):
            self.ctx.database.execute_sql("SELECT 1")
            job = self.ctx.jobs.enqueue("add", a=1, b=2)
            resp.media = {"open": not self.ctx.database.is_closed(), "status": self.ctx.jobs.get(job.id).status}

    resource = Enqueue()

    class P(Jobs):
        plugin_name = "enqueuer"

        @hookimpl
        def register_endpoint_groups(self):
            return [EndpointGroup("e", "/e", [Route("/run", resource)])]

    app = make_app(extra_plugins=[P()])
    resource.ctx = app.sciplane
    assert falcon.testing.TestClient(app).simulate_post("/e/run").json == {"open": True, "status": "done"}


def test_redis_queue(make_app):
    """With a redis:// URL the queue is RedisHuey on the real server; the job runs when a consumer takes it."""
    # CI runs the SQLite and PostgreSQL suites side by side, each on its own Redis database.
    url = os.environ.get("SCIPLANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    app = make_app(extra_plugins=[Jobs()], settings={"jobs": {"immediate": False, "url": url}})
    ctx = app.sciplane
    queue = ctx.jobs.huey
    assert type(queue).__name__ == "RedisHuey"
    queue.flush()
    try:
        assert falcon.testing.TestClient(app).simulate_get("/health").json["checks"]["jobs"] == "ok"
        with ctx.database.connection_context():
            job = ctx.jobs.enqueue("add", a=40, b=2)
            assert queue.pending_count() == 1
            queue.execute(queue.dequeue())  # what a consumer does
            stored = ctx.jobs.get(job.id)
        assert stored.status == "done" and stored.result == {"sum": 42}
    finally:
        queue.flush()
