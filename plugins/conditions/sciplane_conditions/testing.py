"""Test helpers for the conditions dialect: requests relative to the mount, and the
reference clients' building blocks.  Used by this plugin's tests and by plugins
that test their rules against it (a permission policy, say)."""

from __future__ import annotations

from typing import Any

from sciplane.testing import MountClient, RawClient, RawResult

MOUNT = "/api/cdb_rest"
MAX = 9223372036854775807
OPEN = (MAX, MAX)


class Api(MountClient):
    """Requests relative to the mount, and the reference clients' building blocks.

    ``mk``/``att``/``res``/``ins`` follow the notation of the specification's
    scenarios: ``mk(url, start, end)`` creates an IOV and returns its id,
    ``att(list, id)`` attaches it, ``res(gt, major, minor)`` resolves and
    ``ins(gt, type, url, start, end)`` runs the C++ client's insert sequence.
    """

    def __init__(self, client: RawClient, mount: str = MOUNT):
        super().__init__(client, mount)
        self.mount = mount

    @staticmethod
    def ok(result: RawResult) -> RawResult:
        assert result.status_code == 200, (result.status_code, result.content)
        return result

    # -- building blocks --------------------------------------------------------------
    def status(self, name: str) -> dict:
        return self.ok(self.post("gtstatus", {"name": name})).json

    def payload_type(self, name: str) -> dict:
        return self.ok(self.post("pt", {"name": name})).json

    def global_tag(self, name: str, status: str = "unlocked", author: str | None = "me") -> dict:
        return self.ok(self.post("gt", {"name": name, "status": status, "author": author})).json

    def new_list(self, payload_type: str, gt: str | None = None) -> str:
        name = self.ok(self.post("pl", {"payload_type": payload_type})).json["name"]
        if gt is not None:
            self.ok(self.put("pl_attach", {"global_tag": gt, "payload_list": name}))
        return name

    def mk(self, url: str, start: tuple[int, int], end: tuple[int, int] | None = None, checksum: str | None = None,
           **extra) -> int:
        body = {"payload_url": url, "checksum": checksum if checksum is not None else "c" + url.split(".")[0],
                "major_iov": start[0], "minor_iov": start[1], **extra}
        if end is not None:
            body.update(major_iov_end=end[0], minor_iov_end=end[1])
        return self.ok(self.post("piov", body)).json["id"]

    def att(self, payload_list: str, iov_id: int) -> RawResult:
        return self.put("piov_attach", {"payload_list": payload_list, "piov_id": iov_id})

    def res(self, gt: str, major: int, minor: int, query: str = "") -> list:
        extra = f"&{query}" if query else ""
        return self.ok(self.get("payloadiovs/", f"gtName={gt}&majorIOV={major}&minorIOV={minor}{extra}")).json

    def ins(self, gt: str, payload_type: str, url: str, start: tuple[int, int],
            end: tuple[int, int] | None = None) -> int:
        """The C++ client's insert sequence, every call asserted 200."""
        assert any(g["name"] == gt for g in self.ok(self.get("globalTags")).json)
        self.ok(self.get("pt"))
        lists = self.ok(self.get(f"gtPayloadLists/{gt}")).json
        if payload_type not in lists:
            self.new_list(payload_type, gt)
            lists = self.ok(self.get(f"gtPayloadLists/{gt}")).json
        iov_id = self.mk(url, start, end)
        self.ok(self.att(lists[payload_type], iov_id))
        return iov_id

    def piov(self, iov_id: int) -> dict:
        return self.ok(self.get(f"piov/{iov_id}")).json

    def base_setup(self) -> None:
        """Statuses unlocked, locked, frozen (ids 1-3); types Beam, CEMC; GT1 (author me) and GT2, unlocked."""
        for name in ("unlocked", "locked", "frozen"):
            self.status(name)
        for name in ("Beam", "CEMC"):
            self.payload_type(name)
        self.global_tag("GT1")
        self.global_tag("GT2")


# -- assertions and views shared by the scenario tests ------------------------------------


def expect(result: RawResult, status: int, body: Any = None) -> Any:
    """Status, and (when given) the exact JSON body; every answer is JSON and errors are never cached."""
    assert result.status_code == status, (result.status_code, result.content)
    assert result.headers.get("content-type", "").startswith("application/json"), result.headers
    if status >= 400:
        assert result.headers.get("cache-control") == "no-store", result.headers
    if body is not None:
        assert result.json == body, result.content
    return result.json


def row(type_name: str, url: str, start, end=OPEN, checksum: str | None = None, size: int | None = None) -> list:
    """One 8-column resolution row; the checksum defaults to ``mk``'s ``"c" + stem``."""
    return [type_name, url, "c" + url.split(".")[0] if checksum is None else checksum, size, *start, *end]


def attach_new(api: Api, list_name: str, url: str, start, end=None, **extra) -> int:
    """``mk`` then ``att``, asserting 200; returns the IOV id."""
    iov_id = api.mk(url, start, end, **extra)
    api.ok(api.att(list_name, iov_id))
    return iov_id


def span(iov: dict) -> tuple:
    return (iov["payload_url"], (iov["major_iov"], iov["minor_iov"]), (iov["major_iov_end"], iov["minor_iov_end"]))


def members(api: Api, list_name: str) -> dict[int, tuple]:
    """The IOVs attached to a list, ``{id: (url, start, end)}``, read through ``GET piov``."""
    return {i["id"]: span(i) for i in api.ok(api.get("piov")).json if i["payload_list"] == list_name}


def iov_count(api: Api, list_name: str) -> int:
    return api.ok(api.get(f"payload-lists/by-name/{list_name}")).json["iov_count"]


def gt_row(api: Api, name: str) -> dict:
    """The GT's ``globalTags`` row."""
    return next(g for g in api.ok(api.get("globalTags")).json if g["name"] == name)


def gt_counts(api: Api, name: str) -> tuple[int, int]:
    row_ = gt_row(api, name)
    return row_["payload_lists_count"], row_["payload_iov_count"]


def trim_split(api: Api) -> dict:
    """Scenario 27's writes: a [0,∞), b [10,∞), c [20,30) into GT1's Beam list; b is split around c
    and ``b2`` is its copy after c."""
    beam = api.new_list("Beam", "GT1")
    ids = {"list": beam}
    ids["a"] = attach_new(api, beam, "a.dat", (0, 0))
    ids["b"] = attach_new(api, beam, "b.dat", (10, 0))
    ids["c"] = attach_new(api, beam, "c.dat", (20, 0), (30, 0))
    (ids["b2"],) = set(members(api, beam)) - {ids["a"], ids["b"], ids["c"]}
    return ids
