"""Scenarios 99-101: concurrent writers never overlap, lose an IOV, or break a counter."""

from __future__ import annotations

import itertools
import random
import threading

from sciplane_conditions.testing import OPEN

THREADS = 8


def run_threads(work) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:  # surfaced by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def attached_rows(api, payload_list: str) -> list[dict]:
    return api.ok(api.get("payload-iovs", f"page=1&page_size=1000&payload_list={payload_list}")).json["results"]


def test_concurrent_attaches_keep_the_list_consistent(base, sciplane_cli):
    """Scenario 99: 200 random open and closed attaches from each of 8 threads to one unlocked list."""
    payload_list = base.new_list("Beam", "GT1")
    succeeded: list[int] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        rng = random.Random(index)
        for n in range(200):
            start = (rng.randrange(0, 50), rng.randrange(0, 3))
            end = OPEN if rng.random() < 0.3 else (start[0] + rng.randrange(1, 6), rng.randrange(0, 3))
            iov_id = base.mk(f"t{index}_{n}.dat", start, end)
            resp = base.att(payload_list, iov_id)
            assert resp.status_code in (200, 409), (resp.status_code, resp.content)
            assert resp.headers["content-type"] == "application/json"
            if resp.status_code == 409:
                assert resp.json["code"] == "conflict"
            else:
                with lock:
                    succeeded.append(iov_id)

    run_threads(work)
    rows = sorted(attached_rows(base, payload_list), key=lambda r: (r["major_iov"], r["minor_iov"], r["id"]))
    for before, after in itertools.pairwise(rows):
        assert (before["major_iov_end"], before["minor_iov_end"]) <= (after["major_iov"], after["minor_iov"])
    assert base.ok(base.get(f"payload-lists/by-name/{payload_list}")).json["iov_count"] == len(rows)
    for iov_id in succeeded:  # attached or detached, never lost
        assert base.get(f"piov/{iov_id}").status_code == 200
    checked = sciplane_cli("conditions")("conditions", "check").output  # counts and overlaps: nothing to report
    assert checked.strip() == "all invariants hold", checked


def test_no_attach_is_lost(base):
    """Scenario 100: 1,000 disjoint IOVs attached from 8 threads are all attached at the end."""
    payload_list = base.new_list("Beam", "GT1")
    ids = [base.mk(f"d{i}.dat", (i, 0), (i + 1, 0)) for i in range(1000)]

    def work(index: int) -> None:
        for iov_id in ids[index::THREADS]:
            base.ok(base.att(payload_list, iov_id))

    run_threads(work)
    rows = attached_rows(base, payload_list)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert base.ok(base.get(f"payload-lists/by-name/{payload_list}")).json["iov_count"] == 1000


def test_concurrent_list_attaches(base):
    """Scenario 101: two Beam lists attached at once: both succeed, exactly one stays attached."""
    lists = [base.new_list("Beam"), base.new_list("Beam")]
    barrier = threading.Barrier(2)

    def work(index: int) -> None:
        if index < 2:
            barrier.wait()
            base.ok(base.put("pl_attach", {"global_tag": "GT1", "payload_list": lists[index]}))

    run_threads(work)
    attached = base.ok(base.get("gtPayloadLists/GT1")).json
    assert list(attached) == ["Beam"] and attached["Beam"] in lists
