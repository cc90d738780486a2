"""The local blob store passes the core's blob store contract; stores come from configuration."""

import pytest

from sciplane import LocalBlobStore, StartupError, hookimpl
from sciplane.testing import BlobStoreContract


class TestLocalBlobStore(BlobStoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        return LocalBlobStore("files", tmp_path / "blobs")


def test_default_store_lives_in_the_data_dir(ctx, tmp_path):
    store = ctx.blobs.get()
    assert store.name == "files" and store.local_path("x").parent == (tmp_path / "var" / "blobs" / "files").resolve()


def test_plugins_add_store_kinds(make_app, tmp_path):
    made = []

    class MemoryStore(LocalBlobStore):
        pass

    class Kinds:
        plugin_name = "kinds"

        @hookimpl
        def register_blob_stores(self):
            def factory(name, options, ctx):
                made.append((name, options["bucket"]))
                return MemoryStore(name, tmp_path / options["bucket"])
            return {"fake-s3": factory}

    ctx = make_app(extra_plugins=[Kinds()], settings={"storage": {"default": "archive", "stores": {
        "archive": {"kind": "fake-s3", "bucket": "b1"}}}}).sciplane
    assert made == [("archive", "b1")] and isinstance(ctx.blobs.get(), MemoryStore)
    assert ctx.blobs.names() == ["archive", "files"]
    with pytest.raises(StartupError, match="no blob store kind 'ftp'"):
        make_app(settings={"storage": {"stores": {"x": {"kind": "ftp"}}}})

    class Clash:
        plugin_name = "clash"

        @hookimpl
        def register_blob_stores(self):
            return {"local": lambda name, options, ctx: None}

    with pytest.raises(StartupError, match="two blob store kinds named 'local'"):
        make_app(extra_plugins=[Clash()])
