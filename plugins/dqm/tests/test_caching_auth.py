"""Scenarios 48-50 (caching) and 56 (auth)."""

from __future__ import annotations

import threading

import pytest

from sciplane.testing import RawClient
from sciplane_dqm.services import ingest
from sciplane_dqm.testing import CSV_1D, CSV_2D, Api, expect, legacy_row, write_csv


def test_48_49_cacheable_reads(api, data_root, sciplane_cli, app):
    file = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    first = api.get("histograms/", "dim=1")
    assert first.headers["cache-control"] == "max-age=60"
    assert "Authorization" in first.headers["vary"]
    etag = first.headers["etag"]
    again = api.get("histograms/", "dim=1", headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert api.get("histograms/", "dim=1", headers={"If-None-Match": "*"}).status_code == 304
    assert api.get("histograms/", "dim=2").headers["etag"] != etag
    for path, query in (("histograms/", "bogus=1"), ("histograms/99999999/", "")):  # an error is not the answer
        refused = api.get(path, query)
        assert refused.status_code in (404, 422) and "etag" not in refused.headers, path
        assert refused.headers["cache-control"] == "no-store", path
    wide = api.get("histograms/", "entries__gte=1000000000000000000")  # 19 digits: within 64 bits
    assert expect(wide, 200)["results"] == []
    assert expect(api.get("histograms/", "entries__gte=9223372036854775808"), 422)["code"] == "validation_failed"
    api.ingest(data_root / CSV_2D, (2, "lum"))
    changed = api.get("histograms/", "dim=1", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    etag = changed.headers["etag"]
    from sciplane_dqm.models import Meta
    with app.sciplane.database.connection_context():  # another database at the same counts (a rebuilt one)
        Meta.update(value=Meta.value + 1).where(Meta.key == "instance").execute()
    elsewhere = api.get("histograms/", "dim=1", headers={"If-None-Match": etag})
    assert elsewhere.status_code == 200 and elsewhere.headers["etag"] != etag
    etag = elsewhere.headers["etag"]
    sciplane_cli("dqm,histograms_csv,nanodqm")("dqm", "purge-file", str(file["id"]))
    purged = api.get("histograms/", "dim=1", headers={"If-None-Match": etag})
    assert purged.status_code == 200 and purged.json["results"] == []


def test_50_status_is_never_cached(api, data_root):
    file = api.ingest(data_root / CSV_1D, (1, "lum"))[0]
    job = file_job = expect(api.get(f"files/{file['id']}"), 200)["jobs"][0]
    for path in ("files/", f"files/{file['id']}/", f"jobs/{job['id']}/", "jobs/", "playground/histogram_data_files/",
                 f"playground/histogram_data_files/{file['id']}/"):
        result = api.get(path)
        assert result.headers["cache-control"] == "no-store" and "etag" not in result.headers, path
    assert file_job["entries_processed"] == 9


@pytest.mark.parametrize("dqm_settings", [{"chunk_entries_1d": 3}])
def test_50_progress_read_right_after_each_commit_is_the_databases(api, data_root, monkeypatch):
    """Another client reads the job and the stored count between one chunk's commit and the next chunk."""
    real_commit, seen = ingest.Loader._commit, []

    def commit(self, chunk, parts):
        real_commit(self, chunk, parts)

        def read():  # a request of its own, on its own connection, as another client's would be
            job = expect(api.get(f"jobs/{self.job.id}/"), 200)
            seen.append((job["entries_processed"], api.count(f"source_file={self.job.file_id}")))

        reader = threading.Thread(target=read)
        reader.start()
        reader.join()

    monkeypatch.setattr(ingest.Loader, "_commit", commit)
    path = write_csv(data_root / "ten.csv", [legacy_row(f"t{i}", [i] * 102) for i in range(10)])
    assert api.parse(api.register(path)["id"], 1)["status"] == "done"
    assert seen == [(3, 3), (6, 6), (9, 9), (10, 10)]


@pytest.fixture
def locked_app(make_app, data_root):
    return make_app(plugins=["dqm", "histograms_csv"], settings={
        "plugins": {"dqm": {"data_roots": [str(data_root)]}}, "auth": {"grants": {"anonymous": ["dqm.read"]}}})


def test_56_auth(locked_app, data_root, sciplane_cli):
    api = Api(RawClient(locked_app))
    assert expect(api.get("histograms/"), 200)["results"] == []
    denied = expect(api.post("files/", {"filepath": str(data_root / CSV_1D)}), 401)
    assert denied["code"] == "unauthorized"
    cli = sciplane_cli("dqm,histograms_csv")
    cli("users", "add", "reader")
    token = cli("tokens", "create", "reader").stdout.strip().splitlines()[0]
    authorised = api.post("files/1/start_parsing/", {"dimensionality": 1, "granularity": "lum"},
                          headers={"Authorization": f"Bearer {token}"})
    assert expect(authorised, 403)["code"] == "forbidden"
