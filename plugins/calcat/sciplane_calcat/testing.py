"""Test helpers for the calcat dialect: requests relative to the API root, creation shortcuts
and the assertions every scenario makes about responses under the mount."""

from __future__ import annotations

from typing import Any

from sciplane.testing import MountClient, RawClient, RawResult

API = "/calibration/api"


class Api(MountClient):
    """Requests relative to the API root with the clients' headers; every answer is checked
    against the dialect's rules."""

    headers = {"Accept": "application/json; version=2", "Content-Type": "application/json"}

    def __init__(self, client: RawClient, root: str = API):
        super().__init__(client, root)

    def checked(self, result: RawResult) -> None:
        check_dialect(result)

    def create(self, collection: str, body_key: str, **attributes) -> dict:
        """POST ``{body_key: attributes}``, asserting 201."""
        return expect(self.post(collection, {body_key: attributes}), 201)

    def one(self, collection: str, **filters) -> dict:
        """The single row of a filtered list."""
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        rows = expect(self.get(collection, query), 200)
        assert len(rows) == 1, rows
        return rows[0]


def check_dialect(result: RawResult) -> None:
    """What holds for every response under the mount: JSON (or an empty 204), never HTML, never 409."""
    assert result.status_code != 409, result.content
    if result.status_code == 204:
        assert result.content == b"" and "content-type" not in result.headers
        return
    if result.status_code >= 300 or result.content:
        assert result.headers.get("content-type", "").startswith("application/json"), result.headers


def expect(result: RawResult, status: int, body: Any = None) -> Any:
    """Status, and (when given) the exact JSON body."""
    assert result.status_code == status, (result.status_code, result.content)
    if body is not None:
        assert result.json == body, result.content
    return result.json if result.content else None


def version_only(statements: list[str]) -> bool:
    """Whether a request ran only the catalogue-version read: its answer came from the worker's cache
    (PostgreSQL runs the read as a prepared statement)."""
    return len(statements) == 1 and statements[0] in ("SELECT version FROM calcat_state WHERE id = 1",
                                                      "EXECUTE calcat_version")
