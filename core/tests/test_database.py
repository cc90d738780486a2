"""Storage: engines, per-plugin migrations with their own history, transactions, JSON fields."""

import itertools
import threading
import time

import falcon.testing
import peewee
import pytest
from click.testing import CliRunner

from sciplane import BaseModel, JSONField, database, hookimpl, is_sqlite, write_transaction
from sciplane.cli.main import cli, loader


def test_sqlite_runs_in_wal_with_foreign_keys(make_app, sciplane_database_url):
    if sciplane_database_url:
        pytest.skip("SQLite-specific")
    db = make_app().sciplane.database
    with db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000


def test_each_plugin_keeps_its_own_history(make_app, example_plugin):
    ctx = make_app(plugins=["example"]).sciplane
    with ctx.database.connection_context():
        tables = set(ctx.database.get_tables())
        assert {"migrations_core", "migrations_example", "core_user", "example_note"} <= tables
        applied = [r[0] for r in ctx.database.execute_sql("SELECT name FROM migrations_example")]
    assert applied == ["0001_notes"]
    assert ctx.pending_migrations() == {}


def test_unmigrated_database_is_reported(make_app, tmp_path):
    ctx = make_app(migrate=False, settings={"database": {"url": f"sqlite:///{tmp_path}/fresh.db"}}).sciplane
    assert ctx.pending_migrations() == {"core": ["0001_accounts_and_jobs"]}
    assert ctx.migrate() == {"core": ["0001_accounts_and_jobs"]}
    assert ctx.migrate() == {}


def test_serve_refuses_an_unmigrated_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCIPLANE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SCIPLANE_PLUGINS", "")
    loader._ctx = None
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        loader._ctx = None
    assert result.exit_code != 0
    assert "unapplied migrations (core: 0001_accounts_and_jobs)" in result.output
    assert "sciplane migrate" in result.output and "--migrate" in result.output


def test_prepare_database_runs_before_connections(make_app, sciplane_database_url):
    seen = []

    class Regexp:
        plugin_name = "regexp"

        @hookimpl
        def prepare_database(self, database):
            seen.append(database)
            if isinstance(database, peewee.SqliteDatabase):
                import re
                database.register_function(lambda pattern, value: re.search(pattern, value or "") is not None,
                                           "regexp", 2)

    ctx = make_app(extra_plugins=[Regexp()]).sciplane
    assert seen == [ctx.database]
    with ctx.database.connection_context():
        ctx.accounts.create_user("abc123")
        op = "REGEXP" if is_sqlite() else "~"
        assert ctx.database.execute_sql(f"SELECT count(*) FROM core_user WHERE username {op} %s"
                                        .replace("%s", "?" if is_sqlite() else "%s"), ("[0-9]+$",)).fetchone()[0] == 1


class Thing(BaseModel):
    payload = JSONField(null=True)
    name = peewee.CharField(unique=True)

    class Meta:
        table_name = "test_thing"


@pytest.fixture
def things(make_app):
    ctx = make_app().sciplane
    with ctx.database.connection_context():
        ctx.database.create_tables([Thing])
    yield ctx
    with ctx.database.connection_context():
        ctx.database.drop_tables([Thing])


def test_json_field_round_trip(things):
    import numpy as np
    with things.database.connection_context():
        Thing.create(name="a", payload={"list": [1, 2.5, None], "nested": {"x": "y"}, "arr": np.arange(3)})
        assert Thing.get(Thing.name == "a").payload == {"list": [1, 2.5, None], "nested": {"x": "y"}, "arr": [0, 1, 2]}


def test_write_transaction_rolls_back_everything(things):
    with things.database.connection_context():
        with pytest.raises(peewee.IntegrityError):
            with write_transaction():
                Thing.create(name="one")
                Thing.create(name="one")
        assert Thing.select().count() == 0


@pytest.fixture
def serving(make_app):
    """``serving(resource, serving=False, **settings)``: an app serving ``resource`` at ``POST /p/x``, with the
    Thing table (``serving``: as a server builds it)."""
    import falcon.testing

    from sciplane import EndpointGroup, Route
    apps = []

    def build(resource, serving=False, **settings):
        class P:
            plugin_name = "p"

            @hookimpl
            def register_endpoint_groups(self):
                return [EndpointGroup("p", "/p", [Route("/x", resource)])]

        app = make_app(extra_plugins=[P()], settings=settings, serving=serving)
        with app.sciplane.database.connection_context():
            database.create_tables([Thing])
        apps.append(app)
        return falcon.testing.TestClient(app)

    yield build
    for app in apps:
        with app.sciplane.database.connection_context():
            database.drop_tables([Thing])


def test_integrity_errors_become_409_without_sql(serving):
    class Create:
        def on_post(self, req, resp):
            with write_transaction():
                Thing.create(name="dup")
                Thing.create(name="dup")

    resp = serving(Create()).simulate_post("/p/x")
    assert resp.status_code == 409 and resp.json["code"] == "conflict"
    assert "test_thing" not in resp.text and "UNIQUE" not in resp.text.upper()


class WriteOne:
    def on_post(self, req, resp):
        with write_transaction():
            Thing.create(name="w")


@pytest.fixture
def impatient(serving, sciplane_database_url):
    """SQLite: an app whose writers wait 50 ms for the database lock, writing one Thing at ``POST /p/x``."""
    if sciplane_database_url:
        pytest.skip("SQLite-specific")
    return serving(WriteOne(), database={"busy_timeout_ms": 50})


def test_sqlite_lock_timeout_is_503(impatient):
    client = impatient
    holder = peewee.SqliteDatabase(client.app.sciplane.database.database)
    holder.connect()
    holder.execute_sql("BEGIN IMMEDIATE")
    try:
        resp = client.simulate_post("/p/x")
        assert resp.status_code == 503 and resp.json["code"] == "database_busy"
        assert resp.headers["retry-after"] == "1"
    finally:
        holder.rollback()
        holder.close()


def test_sqlite_writers_of_a_process_take_turns_in_the_order_they_asked(tmp_path):
    """A thread that commits and begins again at once does not jump a writer already waiting (SQLite alone would
    let it: the waiter only polls the lock)."""
    from sciplane.db import connect

    db = connect(f"sqlite:///{tmp_path}/turns.db")
    db.execute_sql("CREATE TABLE log (who TEXT)")
    holding, go_on = threading.Event(), threading.Event()

    def eager():
        with write_transaction(db):
            holding.set()
            go_on.wait(5)
            db.execute_sql("INSERT INTO log VALUES ('eager 1')")
        with write_transaction(db):
            db.execute_sql("INSERT INTO log VALUES ('eager 2')")

    def patient():
        with write_transaction(db):
            db.execute_sql("INSERT INTO log VALUES ('patient')")

    threads = [threading.Thread(target=eager), threading.Thread(target=patient)]
    threads[0].start()
    assert holding.wait(5)
    threads[1].start()
    for _ in range(400):  # until the patient writer is queued behind the eager one
        if db.writer_turns._waiting:
            break
        time.sleep(0.005)
    go_on.set()
    for thread in threads:
        thread.join(10)
    assert [row[0] for row in db.execute_sql("SELECT who FROM log ORDER BY rowid")] == [
        "eager 1", "patient", "eager 2"]
    db.close_all()


def test_a_forked_child_starts_with_no_writer_of_its_parent(tmp_path):
    """huey forks its worker processes: a child must not inherit the queue, or a turn a parent's thread held."""
    import os

    from sciplane.db import connect

    db = connect(f"sqlite:///{tmp_path}/fork.db")
    with db.writer_turns.turn():
        child = os.fork()
        if child == 0:  # the child: its writers start afresh
            turns = db.writer_turns
            os._exit(0 if not turns._taken and not turns._waiting else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    db.close_all()


def test_a_writer_that_waits_out_the_busy_timeout_behind_its_own_process_is_a_503(impatient):
    client = impatient
    turns = client.app.sciplane.database.writer_turns
    with turns.turn():  # another thread of this process is writing
        resp = client.simulate_post("/p/x")
    assert resp.status_code == 503 and resp.json["code"] == "database_busy"
    assert not turns._waiting  # the refused writer left the queue: the next one goes in
    assert client.simulate_post("/p/x").status_code in (200, 204)
    with client.app.sciplane.database.connection_context():
        assert Thing.select().count() == 1


@pytest.mark.pg
def test_a_statement_past_the_timeout_of_a_serving_app_is_a_503_and_ends(serving):
    """A request's statement stops at ``statement_timeout_ms`` instead of running on after the request is gone;
    the app a command or a job worker builds has no such limit."""

    class Slow:
        def on_post(self, req, resp):
            if req.get_param_as_bool("raw"):  # the driver's own cursor, as the bulk paths use it
                cursor = database.connection().cursor()
                cursor.execute("SELECT 1 FROM pg_sleep(0.5)")
                resp.media = {"slept": cursor.fetchone()[0]}
            else:
                resp.media = {"slept": database.execute_sql("SELECT 1 FROM pg_sleep(0.5)").fetchone()[0]}

    served = serving(Slow(), serving=True, database={"statement_timeout_ms": 100})
    for query in ("", "raw=true"):
        resp = served.simulate_post("/p/x", query_string=query)
        assert resp.status_code == 503 and resp.json["code"] == "query_timeout", resp.text
        assert "pg_sleep" not in resp.text and "statement" not in resp.json["description"]
    assert served.simulate_post("/p/x").status_code == 503  # the connection went back to the pool, usable
    unlimited = serving(Slow(), database={"statement_timeout_ms": 100})
    assert unlimited.simulate_post("/p/x").json == {"slept": 1}


def test_snapshot_streams_from_one_transaction(serving):
    from sciplane import Snapshot
    from sciplane.auth.models import User

    class Users:
        def __init__(self):
            self.closed_after = None

        def on_get(self, req, resp):
            snapshot = Snapshot(req)
            count = User.select().count()

            def chunks():
                # A write committed between the responder and the body must not show in the body.
                writer = threading.Thread(target=self.add_user)
                writer.start()
                writer.join()
                yield f"{count}:".encode()
                for user in User.select().order_by(User.id):
                    yield user.username.encode() + b","
                self.closed_after = database.is_closed()

            resp.stream = snapshot.stream(chunks())

        def add_user(self):
            with database.connection_context():
                client.app.sciplane.accounts.create_user(f"late{User.select().count()}")

    class Missing:
        def on_get(self, req, resp):
            Snapshot(req)
            raise NotFound()

    from sciplane import NotFound
    assert serving(Missing()).simulate_get("/p/x").status_code == 404  # the snapshot ends cleanly
    assert database.is_closed()
    resource = Users()
    client = serving(resource)
    with client.app.sciplane.database.connection_context():
        for name in ("a", "b"):
            client.app.sciplane.accounts.create_user(name)
    resp = client.simulate_get("/p/x")
    assert resp.text == "2:a,b,"
    assert client.simulate_get("/p/x").text == "3:a,b,late2,"  # the write is there for the next request
    assert resource.closed_after is False  # the connection was held while streaming
    assert database.is_closed()  # and released after the last chunk
    # A client gone before the first chunk: the server closes the body, which ends the snapshot.
    body = client.app(falcon.testing.create_environ("/p/x"), lambda status, headers: None)
    assert not database.is_closed()
    body.close()
    assert database.is_closed()
    # HEAD never iterates the body: the middleware ends the snapshot.
    assert client.simulate_head("/p/x").status_code == 200
    assert database.is_closed()



def test_snapshot_companion_reads_the_same_state(serving, sciplane_database_url):
    """A companion connection (another thread's, on PostgreSQL) sees the snapshot, not later commits;
    prepared statements run on its own cursor."""
    from sciplane import Snapshot
    from sciplane.auth.models import User
    from sciplane.db import run_prepared

    seen = {}

    class Users:
        def on_get(self, req, resp):
            snapshot = Snapshot(req)
            User.select().count()  # the snapshot is taken by the first statement
            writer = threading.Thread(target=add_user)
            writer.start()
            writer.join()
            if not sciplane_database_url:
                with pytest.raises(TypeError):
                    with snapshot.companion():
                        pass
                return
            with snapshot.companion() as companion:
                def read():
                    cursor = run_prepared(companion.cursor(), "test_usernames",
                                          "SELECT username FROM core_user WHERE username <> %s ORDER BY id", ("",))
                    seen["companion"] = [row[0] for row in cursor.fetchall()]
                reader = threading.Thread(target=read)
                reader.start()
                reader.join()
            seen["request"] = [u.username for u in User.select().order_by(User.id)]

    def add_user():
        with database.connection_context():
            client.app.sciplane.accounts.create_user("late")

    client = serving(Users())
    with client.app.sciplane.database.connection_context():
        client.app.sciplane.accounts.create_user("early")
    assert client.simulate_get("/p/x").status_code == 200
    if sciplane_database_url:
        assert seen["companion"] == seen["request"] == ["early"]
    assert database.is_closed()

_NAMES = itertools.count()


class _DriverError(Exception):
    """Stands for the driver's exception under peewee's, with the SQLSTATE psycopg2 reports."""

    def __init__(self, pgcode: str):
        super().__init__(pgcode)
        self.pgcode = pgcode


def _failing_first(times: int, pgcode: str, calls: list[int]):
    """A transaction body that stores a row, then fails as PostgreSQL would for its first ``times`` calls."""
    def body():
        calls.append(1)
        Thing.create(name=f"{pgcode} attempt {len(calls)} #{next(_NAMES)}")  # unique in the whole test
        if len(calls) <= times:
            try:
                raise _DriverError(pgcode)
            except _DriverError as exc:
                raise peewee.OperationalError(f"simulated {pgcode}") from exc
        return len(calls)
    return body


def test_retrying_write_runs_a_deadlocked_transaction_again(things):
    from sciplane import retrying_write
    calls: list[int] = []
    with things.database.connection_context():
        assert retrying_write(_failing_first(2, "40P01", calls)) == 3  # deadlock, deadlock, then done
        assert [t.name.split(" #")[0] for t in Thing.select()] == ["40P01 attempt 3"]  # failed attempts left nothing

        calls.clear()
        assert retrying_write(_failing_first(1, "40001", calls)) == 2  # a serialization failure too

        calls.clear()
        with pytest.raises(peewee.OperationalError):  # the last attempt's failure propagates
            retrying_write(_failing_first(9, "40P01", calls), attempts=3)
        assert len(calls) == 3

        calls.clear()
        with pytest.raises(peewee.OperationalError):  # not transient: raised at once
            retrying_write(_failing_first(9, "23505", calls))
        assert len(calls) == 1

        calls.clear()
        with write_transaction():  # the caller's transaction is aborted by a deadlock: no retry in a savepoint
            with pytest.raises(peewee.OperationalError):
                retrying_write(_failing_first(9, "40P01", calls))
        assert len(calls) == 1


def test_retrying_write_retries_the_callers_exceptions(things):
    from sciplane import retrying_write

    class Restart(Exception):
        pass

    calls: list[int] = []

    def body():
        calls.append(1)
        Thing.create(name=f"try {len(calls)}")
        if len(calls) < 2:
            raise Restart
        return "stored"

    with things.database.connection_context():
        with write_transaction():  # a savepoint can be run again after an exception of the caller's own
            assert retrying_write(body, also=(Restart,)) == "stored"
        assert [t.name for t in Thing.select()] == ["try 2"]


def test_a_deadlock_that_outlasts_the_retries_is_a_json_409(serving):
    from sciplane import retrying_write

    class Write:
        def on_post(self, req, resp):
            calls = []
            retrying_write(_failing_first(9, "40P01", calls))

        def on_put(self, req, resp):  # any other database failure stays a logged 500
            retrying_write(_failing_first(9, "53300", []))

    client = serving(Write())
    resp = client.simulate_post("/p/x")
    assert (resp.status_code, resp.json["code"]) == (409, "conflict")
    assert "40P01" not in resp.text and "simulated" not in resp.text
    assert client.simulate_put("/p/x").status_code == 500


def test_a_real_deadlock_is_run_again(things, sciplane_database_url):
    """Two writers lock two rows in opposite orders; PostgreSQL aborts one, which runs again until it succeeds."""
    if not sciplane_database_url:
        pytest.skip("SQLite serialises writers: no deadlock to resolve")
    from sciplane import retrying_write
    with things.database.connection_context():
        first, second = Thing.create(name="first"), Thing.create(name="second")
    both_locked = threading.Barrier(2, timeout=10)
    attempts: list[str] = []
    failures: list[BaseException] = []

    def writer(name: str, order: list[int]) -> None:
        def body():
            attempts.append(name)
            Thing.update(payload={"by": name}).where(Thing.id == order[0]).execute()
            if attempts.count(name) == 1:  # only the first attempt waits for the other: that makes the cycle
                both_locked.wait()
            Thing.update(payload={"by": name}).where(Thing.id == order[1]).execute()
        try:
            with database.connection_context():
                retrying_write(body)
        except BaseException as exc:  # reported on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=("a", [first.id, second.id])),
               threading.Thread(target=writer, args=("b", [second.id, first.id]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    # One writer was the victim and ran again.  Its retry can race the survivor to the row the victim released
    # (PostgreSQL wakes a waiter on a row lock only to re-check the row), so a second deadlock, and a second
    # retry, is legitimate: what matters is that every write finished.
    assert len(attempts) > 2 and set(attempts) == {"a", "b"}, attempts
    with things.database.connection_context():
        owners = {t.payload["by"] for t in Thing.select()}
    assert len(owners) == 1  # the survivor's writes, then the victim's whole transaction again


def test_insert_rows_keeps_order_and_values(things):
    from sciplane.db import insert_rows
    rows = [(f"n{i}", None if i % 2 else {"i": i, "text": "tab\there\nnewline \\ backslash"}) for i in range(30)]
    with things.database.connection_context():
        with write_transaction():
            assert insert_rows(Thing, ["name", "payload"], [(n, None if p is None else JSONField().db_value(p))
                                                            for n, p in rows], chunk=7) == 30
        stored = list(Thing.select().order_by(Thing.id))
    assert [t.name for t in stored] == [n for n, _ in rows]
    assert [t.payload for t in stored] == [p for _, p in rows]


def test_a_rebuilt_sqlite_table_keeps_rows_indexes_and_its_id_counter():
    from sciplane.db import rebuild_sqlite_table

    db = peewee.SqliteDatabase(":memory:", pragmas={"foreign_keys": 1})
    db.execute_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    db.execute_sql("CREATE TABLE child (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "parent_id INTEGER REFERENCES parent (id), name TEXT NOT NULL)")
    db.execute_sql("INSERT INTO parent (id) VALUES (1)")
    db.execute_sql("INSERT INTO child (parent_id, name) VALUES (1, 'a'), (1, 'b')")
    db.execute_sql("DELETE FROM child WHERE name = 'b'")
    rebuild_sqlite_table(db, "child", "id INTEGER PRIMARY KEY AUTOINCREMENT, parent_id INTEGER, name TEXT NOT NULL",
                         ["CREATE INDEX child_name ON child (name)"])
    db.execute_sql("INSERT INTO child (parent_id, name) VALUES (7, 'c')")  # no foreign key any more
    assert db.execute_sql("SELECT id, parent_id, name FROM child ORDER BY id").fetchall() == [(1, 1, "a"), (3, 7, "c")]
    assert [row[1] for row in db.execute_sql("PRAGMA index_list('child')").fetchall()] == ["child_name"]


def test_loaded_once_copies_the_first_load_back_onto_an_untouched_database(make_app, loaded_once):
    from sciplane.auth.models import Group, Membership, User
    app = make_app()
    database = app.sciplane.database
    loads = []

    def load() -> None:
        loads.append(1)
        with database.connection_context():
            user = User.create(username="demo", name="Demo", is_staff=True)
            Membership.create(user=user, group=Group.create(name="observers"))

    def forget() -> None:  # back to the untouched database the first load began from
        with database.connection_context():
            for model in (Membership, Group, User):
                model.delete().execute()

    key = ("loaded_once test", id(load))
    loaded_once(key, app, load)
    with database.connection_context():
        first = [(u.id, u.username, u.name, u.is_staff, u.date_joined) for u in User.select()]
    forget()
    loaded_once(key, app, load)  # copied back, foreign keys and all
    with database.connection_context():
        assert [(u.id, u.username, u.name, u.is_staff, u.date_joined) for u in User.select()] == first
        assert [(m.user.username, m.group.name) for m in Membership.select()] == [("demo", "observers")]
        assert User.create(username="next").id == first[0][0] + 1  # ids continue after the copied rows
    assert len(loads) == 1
    forget()
    with database.connection_context():
        Group.create(name="written by a fixture")
    loaded_once(key, app, load)  # not the database the first load saw: loaded for real
    assert len(loads) == 2
