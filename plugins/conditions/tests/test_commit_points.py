"""Scenarios 88 and 103: reads and clones see one commit point while writers run.

One writer thread applies a known sequence of attaches to GT1 (appends and
same-start replacements, alternating between two lists of several keyset
chunks each).  Every attach bumps GT1's change counter once, so the state
after ``k`` attaches is known exactly; whatever a concurrent reader gets
must be one of those states, whole.
"""

from __future__ import annotations

import random
import re
import threading

from sciplane_conditions.services.reads import CHUNK
from sciplane_conditions.testing import Api

PREFILL = CHUNK + 500  # IOVs per list: a streamed list spans two keyset chunks
WRITES = 160
PACE_S = 0.1  # between samples, so a few of them spread over the writes
ETAG = re.compile(r'^"gt-\d+-(\d+)-[0-9a-f]{8}"$')

State = dict[str, dict[int, str]]  # list name -> {major of an [m, m+1) IOV: url}


class Writer:
    """The known write sequence, run in a thread, with the model state after each step."""

    def __init__(self, api: Api):
        self.api = api
        self.lists = [api.new_list("Beam", "GT1"), api.new_list("CEMC", "GT1")]
        self.base: State = {name: {m: f"{name}-base-{m}.dat" for m in range(PREFILL)} for name in self.lists}
        for name, iovs in self.base.items():
            api.ok(api.post("bulk_piov", [{"payload_list": name, "payload_url": url, "major_iov": m, "minor_iov": 0,
                                           "major_iov_end": m + 1, "minor_iov_end": 0} for m, url in iovs.items()]))
        rng = random.Random(88)
        self.steps: list[tuple[str, int, str]] = []  # (list, major, url), in order
        for step in range(WRITES):
            name = self.lists[step % 2]
            major = PREFILL + step // 2 if step % 3 == 0 else rng.randrange(PREFILL)  # append, or replace
            self.steps.append((name, major, f"{name}-w{step}.dat"))
        self.start_counter = counter(api, "GT1")
        self.thread = threading.Thread(target=self.run)
        self.failure: BaseException | None = None
        self.samples = 0

    def run(self) -> None:
        try:
            for name, major, url in self.steps:
                self.api.ok(self.api.att(name, self.api.mk(url, (major, 0), (major + 1, 0))))
        except BaseException as exc:  # reported by the test thread
            self.failure = exc

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.thread.join()
        assert self.failure is None, self.failure
        # The premise of every check: one attach, one counter step.
        assert counter(self.api, "GT1") == self.start_counter + WRITES

    def paced(self, limit: int = 8) -> bool:
        """Whether to take another sample: spread at most ``limit`` over the writes, and at least one."""
        self.samples += 1
        if self.samples > 1:
            self.thread.join(timeout=PACE_S)
        return self.samples == 1 or (self.thread.is_alive() and self.samples <= limit)

    def states(self):
        """``(k, state after k writes)`` for k = 0 .. WRITES (one state object, updated in place)."""
        state = {name: dict(iovs) for name, iovs in self.base.items()}
        yield 0, state
        for k, (name, major, url) in enumerate(self.steps, start=1):
            state[name][major] = url
            yield k, state

    def state_at(self, k: int) -> State:
        for step, state in self.states():
            if step == k:
                return state
        raise AssertionError(f"no state after {k} writes")


def counter(api: Api, gt: str) -> int:
    return int(ETAG.match(api.ok(api.get(f"globalTag/{gt}", "light")).headers["etag"]).group(1))


def contents(nested: dict) -> State:
    """A nested GT's lists as a state; every IOV must be a whole [m, m+1) and appear once."""
    seen: set[int] = set()
    out: State = {}
    for payload_list in nested["payload_lists"]:
        iovs = out[payload_list["name"]] = {}
        for iov in payload_list["payload_iov"]:
            assert iov["id"] not in seen, f"IOV {iov['id']} appears twice"
            seen.add(iov["id"])
            assert (iov["minor_iov"], iov["major_iov_end"], iov["minor_iov_end"]) == (0, iov["major_iov"] + 1, 0)
            assert iov["major_iov"] not in iovs, f"two IOVs start at {iov['major_iov']} in {payload_list['name']}"
            iovs[iov["major_iov"]] = iov["payload_url"]
    return out


def test_88_streamed_gt_is_one_commit_point(base):
    """88: a streamed ``globalTag/GT1`` read during attaches is the state its ETag names, whole: each list holds
    exactly the IOVs, and so the count, that the writes up to that counter left in it (the stored ``iov_count``
    follows the same writes: scenario 104)."""
    writer = Writer(base)
    reads: list[tuple[int, State]] = []
    with writer:
        while writer.paced():
            result = base.ok(base.get("globalTag/GT1"))
            k = int(ETAG.match(result.headers["etag"]).group(1)) - writer.start_counter
            reads.append((k, contents(result.json)))
    assert len({k for k, _ in reads}) > 1, "the reads did not overlap the writes"
    for k, seen in reads:
        expected = writer.state_at(k)
        assert seen == expected, f"the body is not the state after {k} writes"


def test_103_clone_under_writes_is_one_commit_point(base):
    """103: each clone taken during attaches equals GT1 after some number of writes, whole."""
    writer = Writer(base)
    clones: list[str] = []
    with writer:
        while writer.paced():
            clones.append(f"CL{len(clones)}")
            base.ok(base.post(f"cloneGlobalTag/GT1/{clones[-1]}"))
    assert len(clones) > 1
    probes = random.Random(103).sample(range(PREFILL + WRITES // 6), 12)
    matched = set()
    for clone in clones:
        copied = contents(base.ok(base.get(f"globalTag/{clone}")).json)
        by_type = {name.split("_")[0]: iovs for name, iovs in copied.items()}
        match = next((k for k, state in writer.states()
                      if {name.split("_")[0]: iovs for name, iovs in state.items()} == by_type), None)
        assert match is not None, f"{clone} is not GT1 at any commit point"
        matched.add(match)
        expected = writer.state_at(match)
        light = base.ok(base.get(f"globalTag/{clone}", "light")).json
        assert light["payload_iov_count"] == sum(len(iovs) for iovs in expected.values())
        for major in probes:
            resolved = {row[0]: row[1] for row in base.res(clone, major, 0)}
            want = {name.split("_")[0]: iovs[max(m for m in iovs if m <= major)] for name, iovs in expected.items()}
            assert resolved == want, f"{clone} at {major}"
    assert len(matched) > 1, "the clones did not overlap the writes"
