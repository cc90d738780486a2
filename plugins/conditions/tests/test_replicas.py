"""Read replicas (§5.6): resolution reads validator and rows from one replica connection."""

from __future__ import annotations

import pytest

from sciplane.testing import RawClient
from sciplane_conditions.testing import Api


@pytest.mark.pg
def test_resolution_reads_from_a_replica(make_app, sciplane_database_url, monkeypatch):
    # The test database stands in for a streaming replica of itself.
    app = make_app(plugins=["conditions"],
                   settings={"plugins": {"conditions": {"read_replica_urls": [sciplane_database_url]}}})
    api = Api(RawClient(app))
    api.base_setup()
    api.ins("GT1", "Beam", "a.dat", (0, 0))
    from sciplane_conditions.resources import base
    used = []
    original = base.Context.reading

    def spy(self):
        used.append(self.replicas.replicas)
        return original(self)

    monkeypatch.setattr(base.Context, "reading", spy)
    assert api.res("GT1", 5, 0) == [["Beam", "a.dat", "ca", None, 0, 0, 9223372036854775807, 9223372036854775807]]
    assert used and len(used[0]) == 1
    replica = used[0][0]
    assert replica is not app.sciplane.database and replica.is_closed()  # released after the request
