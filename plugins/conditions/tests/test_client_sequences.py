"""Scenarios A and B of the specification (§11): the C++ client's functional test, its CLI test
and the sPHENIX wrapper's pattern, replayed as plain HTTP requests.

The functional test of BNLNPPS/nopayloadclient draws its points at random; here they are fixed:
S = (100,200), P = (300,400), E = (500,600).  Its steps build on one another, so the test of
step N first replays steps 1..N-1 (with their own assertions) and then checks step N.
"""

from __future__ import annotations

import hashlib

import pytest

from sciplane_conditions.testing import MAX, OPEN, expect

S, P, E = (100, 200), (300, 400), (500, 600)
JSON_NULL = {"body": "null", "headers": {"Content-Type": "application/json"}}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def client_insert(api, gt: str, payload_type: str, url: str, start, end=OPEN) -> dict:
    """The C++ client's insert sequence (§0.3), every call 200.

    Returns what the steps answered: the list name, and the POST piov / PUT piov_attach bodies.
    """
    out: dict = {}
    assert gt in [row["name"] for row in expect(api.get("globalTags"), 200)]
    expect(api.get("pt"), 200)
    lists = expect(api.get(f"gtPayloadLists/{gt}"), 200)
    out["lists_before"] = lists
    if payload_type not in lists:
        created = expect(api.post("pl", {"payload_type": payload_type}), 200)
        out["pl"] = created
        out["pl_attach"] = expect(api.put("pl_attach", {"global_tag": gt, "payload_list": created["name"]}), 200)
        lists = expect(api.get(f"gtPayloadLists/{gt}"), 200)
    else:
        lists = expect(api.get(f"gtPayloadLists/{gt}"), 200)
    out["list"] = lists[payload_type]
    iov = expect(api.post("piov", {"payload_url": url, "checksum": md5(url), "major_iov": start[0],
                                   "minor_iov": start[1], "major_iov_end": end[0], "minor_iov_end": end[1]}), 200)
    out["piov"] = iov
    out["id"] = iov["id"]
    out["attach"] = expect(api.put("piov_attach", {"payload_list": out["list"], "piov_id": iov["id"]}), 200)
    return out


def resolve(api, gt: str, point) -> list:
    return expect(api.get("payloadiovs/", f"gtName={gt}&majorIOV={point[0]}&minorIOV={point[1]}"), 200)


def resolve_raw(api, gt: str, point) -> bytes:
    result = api.get("payloadiovs/", f"gtName={gt}&majorIOV={point[0]}&minorIOV={point[1]}")
    expect(result, 200)
    return result.content


def row(payload_type: str, url: str, start, end, size=None) -> list:
    return [payload_type, url, md5(url), size, *start, *end]


def ensure_status(api, name: str, first_run: bool) -> None:
    """The client creates a status only when ``GET gtstatus`` lacks it."""
    names = [s["name"] for s in expect(api.get("gtstatus"), 200)]
    if first_run:
        assert name not in names
    if name not in names:
        created = expect(api.post("gtstatus", {"name": name}), 200)
        assert list(created) == ["id", "name", "created"] and created["name"] == name


def create_type(api, name: str, first_run: bool) -> None:
    """``POST pt``; an existing type gives the 400 the client tolerates."""
    result = api.post("pt", {"name": name})
    if result.status_code == 400:
        assert not first_run
        expect(result, 400, {"name": ["payload type with this name already exists."], "code": "already_exists"})
    else:
        assert expect(result, 200)["name"] == name


class FunctionalTest:
    """The steps of test_nopayloadclient.cpp (§11 A), each asserting what the server must answer."""

    def __init__(self, api, first_run: bool = True):
        self.api = api
        self.first = first_run
        self.ids: dict[str, int] = {}
        self.lists: dict[str, str] = {}

    def run(self, upto: int) -> None:
        for number in range(1, upto + 1):
            getattr(self, f"step{number}")()

    def step1(self):
        """Connection."""
        rows = expect(self.api.get("globalTags"), 200)
        assert rows == []

    def step2(self):
        """GT (re)creation."""
        expect(self.api.delete("deleteGlobalTag/my_gt"), 404,
               {"detail": "GlobalTag my_gt doesn't exist", "code": "global_tag_not_found"})
        if self.first:
            assert expect(self.api.get("gtstatus"), 200) == []
        ensure_status(self.api, "unlocked", self.first)
        gt = expect(self.api.post("gt", {"name": "my_gt", "status": "unlocked", "author": "tester"}), 200)
        assert list(gt) == ["id", "name", "author", "status", "created", "updated"]
        assert gt["name"] == "my_gt" and gt["status"] == "unlocked" and gt["author"] == "tester"

    def step3(self):
        """Payload type (a repeated POST is refused, and tolerated)."""
        create_type(self.api, "my_pt", self.first)
        expect(self.api.post("pt", {"name": "my_pt"}), 400,
               {"name": ["payload type with this name already exists."], "code": "already_exists"})

    def step4(self):
        """First insert: the list is created and attached, then the IOV."""
        done = client_insert(self.api, "my_gt", "my_pt", "u1", S, E)
        assert done["lists_before"] == {}
        created = done["pl"]
        assert list(created) == ["id", "name", "global_tag", "payload_type", "created"]
        assert created["name"] == f"my_pt_{created['id']}"
        assert created["global_tag"] is None and created["payload_type"] == "my_pt"
        assert done["pl_attach"]["global_tag"] == "my_gt"
        assert done["pl_attach"]["name"] == created["name"]
        assert done["piov"]["payload_list"] is None
        assert done["piov"]["comb_iov"] == "100.0000000000000000200"
        assert done["attach"]["payload_list"] == created["name"]
        assert done["attach"]["id"] == done["id"]
        self.lists["my_pt"] = created["name"]
        self.ids["u1"] = done["id"]

    def step5(self):
        """Resolution."""
        assert "my_gt" in [g["name"] for g in expect(self.api.get("globalTags"), 200)]
        assert resolve(self.api, "my_gt", P) == [row("my_pt", "u1", S, E)]
        self.step5_bytes = resolve_raw(self.api, "my_gt", P)

    def step6(self):
        """Clone (body ``null``), resolution of the clone, its deletion; then a second type."""
        cloned = expect(self.api.post("cloneGlobalTag/my_gt/cloned_gt", **JSON_NULL), 200)
        assert list(cloned) == ["id", "name", "author", "status", "payload_lists_count", "payload_iov_count",
                                "created", "updated"]
        assert cloned["name"] == "cloned_gt" and cloned["status"] == "unlocked"
        assert cloned["payload_lists_count"] == 1 and cloned["payload_iov_count"] == 1
        assert cloned["author"] == "tester"
        assert resolve_raw(self.api, "cloned_gt", P) == self.step5_bytes
        expect(self.api.delete("deleteGlobalTag/cloned_gt"), 200, {"detail": "Global tag cloned_gt deleted."})
        create_type(self.api, "overriden_pt", self.first)
        done = client_insert(self.api, "my_gt", "overriden_pt", "uo", S, E)
        self.lists["overriden_pt"] = done["list"]
        assert resolve(self.api, "my_gt", P) == [row("my_pt", "u1", S, E), row("overriden_pt", "uo", S, E)]

    def step7(self):
        """Second IOV in the unlocked GT: the first is trimmed to its start."""
        self.ids["u2"] = client_insert(self.api, "my_gt", "my_pt", "u2", P, E)["id"]
        assert resolve(self.api, "my_gt", P)[0] == row("my_pt", "u2", P, E)
        assert resolve(self.api, "my_gt", (200, 0))[0] == row("my_pt", "u1", S, P)

    def step8(self):
        """Lock (the client creates ``locked`` first); the answer carries the status id."""
        ensure_status(self.api, "locked", self.first)
        locked_id = next(s["id"] for s in expect(self.api.get("gtstatus"), 200) if s["name"] == "locked")
        changed = expect(self.api.put("gt_change_status/my_gt/locked", **JSON_NULL), 200)
        assert list(changed) == ["id", "name", "author", "status", "created", "updated"]
        assert changed["status"] == locked_id and type(changed["status"]) is int
        assert changed["name"] == "my_gt"

    def step9(self):
        """Locked GT, same start: refused, resolution unchanged."""
        before = resolve_raw(self.api, "my_gt", P)
        lists = expect(self.api.get("gtPayloadLists/my_gt"), 200)
        iov = expect(self.api.post("piov", {"payload_url": "u3", "checksum": md5("u3"), "major_iov": P[0],
                                            "minor_iov": P[1], "major_iov_end": MAX, "minor_iov_end": MAX}), 200)
        self.ids["u3"] = iov["id"]
        expect(self.api.put("piov_attach", {"payload_list": lists["my_pt"], "piov_id": iov["id"]}), 409, {
            "detail": "GT is LOCKED. You are attempting to insert IOV (major_iov,minor_iov,major_iov_end, "
                      "minor_iov_end) (300,400,9223372036854775807,9223372036854775807). Conflicts with existing "
                      "IOV u2 (300,400,500,600)",
            "code": "gt_locked"})
        assert resolve_raw(self.api, "my_gt", P) == before

    def step10(self):
        """Locked GT, non-overlapping open-ended append: accepted."""
        self.ids["u3b"] = client_insert(self.api, "my_gt", "my_pt", "u3b", E)["id"]
        assert resolve(self.api, "my_gt", (600, 0))[0] == row("my_pt", "u3b", E, OPEN)

    def step11(self):
        """A locked GT cannot be deleted."""
        expect(self.api.delete("deleteGlobalTag/my_gt"), 409, {"detail": "Global Tag is locked.", "code": "gt_locked"})

    def step12(self):
        """Unlock and insert an open-ended IOV over u2 and u3b."""
        changed = expect(self.api.put("gt_change_status/my_gt/unlocked", **JSON_NULL), 200)
        unlocked_id = next(s["id"] for s in expect(self.api.get("gtstatus"), 200) if s["name"] == "unlocked")
        assert changed["status"] == unlocked_id
        self.ids["u4"] = client_insert(self.api, "my_gt", "my_pt", "u4", P)["id"]
        nested = expect(self.api.get("globalTag/my_gt"), 200)
        my_pt = next(pl for pl in nested["payload_lists"] if pl["payload_type"] == "my_pt")
        attached = [(i["payload_url"], i["major_iov"], i["minor_iov"], i["major_iov_end"], i["minor_iov_end"])
                    for i in my_pt["payload_iov"]]
        assert attached == [("u1", *S, *P), ("u4", *P, *OPEN)]
        for name in ("u2", "u3b"):
            assert expect(self.api.get(f"piov/{self.ids[name]}"), 200)["payload_list"] is None

    def step13(self):
        """A third type, inserted: one more row, in type-name order."""
        create_type(self.api, "pt_to_delete", self.first)
        self.before = resolve(self.api, "my_gt", P)
        self.before_bytes = resolve_raw(self.api, "my_gt", P)
        done = client_insert(self.api, "my_gt", "pt_to_delete", "u5", S, E)
        self.lists["pt_to_delete"] = done["list"]
        assert resolve(self.api, "my_gt", P) == [*self.before, row("pt_to_delete", "u5", S, E)]

    def step14(self):
        """The type cannot be deleted while its list holds an IOV."""
        expect(self.api.get("globalTags"), 200)
        lists = expect(self.api.get("gtPayloadLists/my_gt"), 200)
        assert lists["pt_to_delete"] == self.lists["pt_to_delete"]
        expect(self.api.delete(f"deletePayloadList/{lists['pt_to_delete']}"), 409,
               {"detail": "PayloadList contains 1 PayloadIOVs", "code": "in_use"})
        expect(self.api.delete("deletePayloadType/pt_to_delete"), 409,
               {"detail": "PayloadType is used by 1 PayloadLists", "code": "in_use"})

    def step15(self):
        """IOV delete by its exact range."""
        expect(self.api.delete("deletePayloadIOV/my_gt/pt_to_delete/100/200/500/600"), 200,
               {"detail": "PayloadIOV u5 deleted."})
        assert resolve_raw(self.api, "my_gt", P) == self.before_bytes

    def step16(self):
        """The empty list, then the type, are deleted."""
        name = self.lists["pt_to_delete"]
        expect(self.api.delete(f"deletePayloadList/{name}"), 200, {"detail": f"Payload Type {name} deleted."})
        expect(self.api.delete("deletePayloadType/pt_to_delete"), 200,
               {"detail": "Payload Type pt_to_delete deleted."})
        assert "pt_to_delete" not in [r[0] for r in resolve(self.api, "my_gt", P)]
        assert "pt_to_delete" not in [t["name"] for t in expect(self.api.get("pt"), 200)]
        assert "pt_to_delete" not in expect(self.api.get("gtPayloadLists/my_gt"), 200)

    def step17(self):
        """GT delete."""
        expect(self.api.delete("deleteGlobalTag/my_gt"), 200, {"detail": "Global tag my_gt deleted."})
        assert "my_gt" not in [g["name"] for g in expect(self.api.get("globalTags"), 200)]
        assert resolve(self.api, "my_gt", P) == []


@pytest.mark.parametrize("step", range(1, 18), ids=[f"scenario{n}" for n in range(1, 18)])
def test_functional_sequence(api, step):
    """Scenarios 1-17: the C++ client's functional test, steps 1..N-1 replayed, then step N."""
    FunctionalTest(api).run(step)


def test_client_side_refusals_and_rerun(api):
    """Scenario 18: what the client checks itself, and a second run of steps 1-17 on the same database."""
    first = FunctionalTest(api)
    first.run(17)
    # The client stops on its own checks: these lookups are all that reaches the server.
    assert "non_existing_gt" not in [g["name"] for g in expect(api.get("globalTags"), 200)]
    assert "non_existing_type" not in [t["name"] for t in expect(api.get("pt"), 200)]
    second = FunctionalTest(api, first_run=False)
    second.run(17)
    # The 400s for existing statuses and types were tolerated; new list names differ.
    assert set(first.lists) == set(second.lists) == {"my_pt", "overriden_pt", "pt_to_delete"}

    def number(name):
        return int(name.rsplit("_", 1)[1])
    assert min(map(number, second.lists.values())) > max(map(number, first.lists.values()))


# -- B. CLI and unmodified clients ------------------------------------------------------------------

def cli_delete_type(api, gt: str, payload_type: str) -> list[int]:
    """cli_npc's deletePayloadType: the GT's list of the type first, then the type."""
    expect(api.get("globalTags"), 200)
    lists = expect(api.get(f"gtPayloadLists/{gt}"), 200)
    statuses = []
    result = api.delete(f"deletePayloadList/{lists[payload_type]}")
    statuses.append(result.status_code)
    if result.status_code != 200:
        return statuses
    statuses.append(api.delete(f"deletePayloadType/{payload_type}").status_code)
    return statuses


def test_cli_sequence(api):
    """Scenario 19: tests/test_cli.sh of nopayloadclient, as HTTP."""
    expect(api.get("globalTags"), 200)  # checkConnection
    expect(api.delete("deleteGlobalTag/cli_gt"), 404,
           {"detail": "GlobalTag cli_gt doesn't exist", "code": "global_tag_not_found"})
    # createGlobalTag: the statuses the client needs, then the GT.
    ensure_status(api, "unlocked", first_run=True)
    ensure_status(api, "locked", first_run=True)
    expect(api.post("gt", {"name": "cli_gt", "status": "unlocked", "author": "cli"}), 200)
    assert '"name":"cli_gt"' in api.get("globalTags").text
    assert expect(api.post("pt", {"name": "cli_pt"}), 200)["name"] == "cli_pt"
    assert "cli_pt" in [t["name"] for t in expect(api.get("pt"), 200)]
    done = client_insert(api, "cli_gt", "cli_pt", "f", (7, 0), (42, 69))
    rows = resolve(api, "cli_gt", (11, 0))
    assert rows == [row("cli_pt", "f", (7, 0), (42, 69))]
    # The type delete flow fails: the list holds an IOV.
    expect(api.delete(f"deletePayloadList/{done['list']}"), 409,
           {"detail": "PayloadList contains 1 PayloadIOVs", "code": "in_use"})
    expect(api.delete("deletePayloadIOV/cli_gt/cli_pt/7/0/42/69"), 200, {"detail": "PayloadIOV f deleted."})
    assert cli_delete_type(api, "cli_gt", "cli_pt") == [200, 200]
    assert "cli_pt" not in [t["name"] for t in expect(api.get("pt"), 200)]
    expect(api.put("gt_change_status/cli_gt/locked", **JSON_NULL), 200)
    expect(api.delete("deleteGlobalTag/cli_gt"), 409, {"detail": "Global Tag is locked.", "code": "gt_locked"})
    expect(api.put("gt_change_status/cli_gt/unlocked", **JSON_NULL), 200)
    expect(api.delete("deleteGlobalTag/cli_gt"), 200, {"detail": "Global tag cli_gt deleted."})
    assert "cli_gt" not in [g["name"] for g in expect(api.get("globalTags"), 200)]


def test_cli_sequence_twice(api):
    """Scenario 19/20: the CLI test passes when run a second time on the same database."""
    for _run in range(2):
        expect(api.get("globalTags"), 200)
        expect(api.delete("deleteGlobalTag/cli_gt"), 404)
        for name in ("unlocked", "locked"):
            if name not in [s["name"] for s in expect(api.get("gtstatus"), 200)]:
                expect(api.post("gtstatus", {"name": name}), 200)
        expect(api.post("gt", {"name": "cli_gt", "status": "unlocked", "author": "cli"}), 200)
        expect(api.post("pt", {"name": "cli_pt"}), 200)  # deleted at the end of the previous run
        client_insert(api, "cli_gt", "cli_pt", "f", (7, 0), (42, 69))
        assert [r[0] for r in resolve(api, "cli_gt", (11, 0))] == ["cli_pt"]
        expect(api.delete("deletePayloadIOV/cli_gt/cli_pt/7/0/42/69"), 200)
        assert cli_delete_type(api, "cli_gt", "cli_pt") == [200, 200]
        expect(api.put("gt_change_status/cli_gt/locked", **JSON_NULL), 200)
        expect(api.delete("deleteGlobalTag/cli_gt"), 409)
        expect(api.put("gt_change_status/cli_gt/unlocked", **JSON_NULL), 200)
        expect(api.delete("deleteGlobalTag/cli_gt"), 200)


def test_sphenix_run_pattern(base):
    """Scenario 20 (sPHENIX pattern): open-ended runs 10, 20, 30 in order; run 25 resolves to run 20,
    which now ends where run 30 starts."""
    for run in (10, 20, 30):
        client_insert(base, "GT1", "CEMC", f"run{run}.root", (0, run), OPEN)
    assert resolve(base, "GT1", (0, 25)) == [row("CEMC", "run20.root", (0, 20), (0, 30))]
    assert resolve(base, "GT1", (0, 10)) == [row("CEMC", "run10.root", (0, 10), (0, 20))]
    assert resolve(base, "GT1", (0, 31)) == [row("CEMC", "run30.root", (0, 30), OPEN)]
    assert resolve(base, "GT1", (0, 9)) == []


def test_sphenix_closed_insert(base):
    """Scenario 20 (sPHENIX pattern): a closed insert (0,run)-(0,end) inside an open-ended run splits it."""
    client_insert(base, "GT1", "CEMC", "open.root", (0, 10), OPEN)
    client_insert(base, "GT1", "CEMC", "closed.root", (0, 20), (0, 30))
    assert resolve(base, "GT1", (0, 19)) == [row("CEMC", "open.root", (0, 10), (0, 20))]
    assert resolve(base, "GT1", (0, 25)) == [row("CEMC", "closed.root", (0, 20), (0, 30))]
    assert resolve(base, "GT1", (0, 30)) == [row("CEMC", "open.root", (0, 30), OPEN)]
