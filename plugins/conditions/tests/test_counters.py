"""Scenario 104: counts and ETags stay exact through 500 random operations.

After every operation the test recomputes the truth with its own SQL and
compares: ``globalTags`` counts, light-view counts and every list's
``iov_count``.  It also records each GT's ETag before and after, and the
set of GTs whose ETag changed must be exactly the set the operation touched
(computed from the database state before it; a refused operation touches
nothing).
"""

from __future__ import annotations

import random
from collections import Counter

import peewee

from sciplane_conditions.models import GlobalTag, PayloadIOV, PayloadList
from sciplane_conditions.testing import Api

OPERATIONS = 500
MAX_GTS = 8  # clones stop here, so every operation can check every GT
TYPES = ("Beam", "CEMC", "MBD")
STATUSES = ("unlocked", "unlocked", "locked", "frozen")  # frozen is sticky: keep it rare


class Truth:
    """The database as the test's own SQL sees it."""

    def __init__(self, api: Api):
        self.api = api
        with api.client.app.sciplane.database.connection_context():
            self.gts = {gt.name: gt.status.name for gt in GlobalTag.select()}
            rows = (PayloadList.select(PayloadList.name, PayloadList.payload_type, GlobalTag.name.alias("gt"))
                    .join(GlobalTag, peewee.JOIN.LEFT_OUTER).dicts())
            self.lists = {row["name"]: row["gt"] for row in rows}
            self.iovs = Counter(name for (name,) in PayloadIOV.select(PayloadList.name).join(PayloadList).tuples())
            self.attached = list(PayloadIOV.select(GlobalTag.name, PayloadList.name, PayloadIOV.major_iov,
                                                   PayloadIOV.minor_iov, PayloadIOV.major_iov_end,
                                                   PayloadIOV.minor_iov_end)
                                 .join(PayloadList).join(GlobalTag).tuples())

    def gt_counts(self, gt: str) -> tuple[int, int]:
        lists = [name for name, owner in self.lists.items() if owner == gt]
        return len(lists), sum(self.iovs[name] for name in lists)


def light_views(api: Api, gts) -> dict[str, tuple[str, tuple[int, int]]]:
    """Each GT's ETag and light-view counts."""
    views = {}
    for gt in gts:
        result = api.ok(api.get(f"globalTag/{gt}", "light"))
        views[gt] = result.headers["etag"], (result.json["payload_lists_count"], result.json["payload_iov_count"])
    return views


def check_counts(api: Api, truth: Truth, views) -> None:
    rows = {row["name"]: row for row in api.ok(api.get("globalTags")).json}
    assert set(rows) == set(truth.gts) == set(views)
    for gt, row in rows.items():
        assert (row["payload_lists_count"], row["payload_iov_count"]) == truth.gt_counts(gt) == views[gt][1], gt
    listed = api.ok(api.get("payload-lists", "page=1&page_size=1000")).json["results"]
    assert {row["name"]: row["iov_count"] for row in listed} == {name: truth.iovs[name] for name in truth.lists}
    for name in truth.lists:  # by-name is a query of its own
        assert api.ok(api.get(f"payload-lists/by-name/{name}")).json["iov_count"] == truth.iovs[name], name


def span(rng: random.Random) -> dict:
    major = rng.randrange(0, 30)
    body = {"major_iov": major, "minor_iov": rng.randrange(0, 3)}
    if rng.random() < 0.7:
        body.update(major_iov_end=major + rng.randrange(1, 6), minor_iov_end=rng.randrange(0, 3))
    return body


def operate(api: Api, rng: random.Random, truth: Truth, step: int) -> tuple[object, set[str]]:
    """One random operation: ``(response, GTs it touches when it succeeds)``."""
    kind = rng.choices(["attach", "pl_attach", "bulk", "delete", "delete_range", "clone", "status", "new_list"],
                       weights=[30, 8, 10, 8, 5, 3, 8, 4])[0]
    lists = sorted(truth.lists)
    gts = sorted(truth.gts)
    if kind == "new_list" or not lists:
        name = api.ok(api.post("pl", {"payload_type": rng.choice(TYPES)})).json["name"]
        gt = rng.choice(gts)
        return api.put("pl_attach", {"global_tag": gt, "payload_list": name}), {gt}
    if kind == "attach":
        target = rng.choice(lists)
        iov_id = api.ok(api.post("piov", {"payload_url": f"s{step}.dat", "checksum": "c", **span(rng)})).json["id"]
        return api.att(target, iov_id), {truth.lists[target]}
    if kind == "pl_attach":
        name, gt = rng.choice(lists), rng.choice(gts)
        if truth.lists[name] == gt:
            return None, set()
        return api.put("pl_attach", {"global_tag": gt, "payload_list": name}), {gt, truth.lists[name]}
    if kind == "bulk":
        targets = rng.sample(lists, min(len(lists), 2))
        items = [{"payload_list": rng.choice(targets), "payload_url": f"b{step}_{i}.dat", **span(rng)}
                 for i in range(rng.randrange(1, 5))]
        return api.post("bulk_piov", items), {truth.lists[item["payload_list"]] for item in items}
    if kind in ("delete", "delete_range"):
        if not truth.attached:
            return None, set()
        gt, name, *where = rng.choice(truth.attached)
        payload_type = name.split("_")[0]
        where = where if kind == "delete_range" else where[:2]
        return api.delete(f"deletePayloadIOV/{gt}/{payload_type}/{'/'.join(map(str, where))}"), {gt}
    if kind == "clone":
        if len(gts) >= MAX_GTS:
            return None, set()
        return api.post(f"cloneGlobalTag/{rng.choice(gts)}/C{step}"), set()
    gt = rng.choice(gts)
    status = rng.choice([s for s in STATUSES if s != truth.gts[gt]])
    return api.put(f"gt_change_status/{gt}/{status}"), {gt}


def test_104_counts_and_etags_through_random_operations(base):
    """104: 500 random operations; counts equal fresh SQL, ETags change exactly for touched GTs."""
    for status in ("locked", "frozen"):
        base.global_tag(f"GT_{status}", status=status)
    base.payload_type("MBD")
    rng = random.Random(104)
    truth = Truth(base)
    before = light_views(base, truth.gts)
    outcomes: Counter = Counter()
    for step in range(OPERATIONS):
        response, touched = operate(base, rng, truth, step)
        if response is None:
            continue
        assert response.status_code < 500, response.content
        assert response.headers.get("content-type", "application/json").startswith("application/json")
        succeeded = response.status_code == 200
        outcomes[succeeded] += 1
        truth = Truth(base)
        after = light_views(base, truth.gts)
        changed = {gt for gt in before if gt in after and before[gt][0] != after[gt][0]}
        expected = {gt for gt in touched if gt is not None and gt in after} if succeeded else set()
        assert changed == expected, f"step {step}: {response.status_code} {response.content[:200]}"
        check_counts(base, truth, after)
        before = after
    assert outcomes[True] > OPERATIONS / 2 and outcomes[False] > 0, outcomes  # both paths were exercised
