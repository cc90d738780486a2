"""Property tests: random attaches on an unlocked tag against a simple model.

The model paints each attached IOV over ``[start, end)``: whatever it covers
belongs to it afterwards.  Resolution then returns, at any point, the payload
of the painted segment with the greatest start at or before the point; the
real lists must agree everywhere, stay free of overlaps, and keep their
``iov_count`` exact.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciplane_conditions.testing import MAX, OPEN

POINTS = st.tuples(st.integers(0, 12), st.integers(0, 2))


@st.composite
def iovs(draw):
    start = draw(POINTS)
    if draw(st.booleans()):
        return start, OPEN
    end = draw(POINTS.filter(lambda p: p > start))
    return start, end


def paint(segments: list[tuple], start, end, url) -> list[tuple]:
    """The model's attach: ``[start, end)`` belongs to ``url`` afterwards."""
    out = []
    for s, e, u in segments:
        if e <= start or s >= end:  # untouched
            out.append((s, e, u))
            continue
        if s < start:
            out.append((s, start, u))
        if e > end:
            out.append((end, e, u))
    out.append((start, end, url))
    return sorted(out)


def model_resolve(segments: list[tuple], point) -> str | None:
    candidates = [seg for seg in segments if seg[0] <= point]
    return max(candidates)[2] if candidates else None


counter = itertools.count()


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(iovs(), min_size=1, max_size=12), probes=st.lists(POINTS, min_size=5, max_size=15))
def test_attaches_match_the_painting_model(base, sequence, probes):
    api = base
    run = next(counter)
    gt = f"GTP{run}"
    api.global_tag(gt)
    payload_list = api.new_list("Beam", gt)
    segments: list[tuple] = []
    for index, (start, end) in enumerate(sequence):
        url = f"u{run}_{index}"
        api.ok(api.att(payload_list, api.mk(url, start, end)))
        segments = paint(segments, start, end, url)

    attached = sorted((row["major_iov"], row["minor_iov"], row["major_iov_end"], row["minor_iov_end"])
                      for row in _attached(api, payload_list))
    for (_, _, e0, e1), (n0, n1, _, _) in itertools.pairwise(attached):
        assert (e0, e1) <= (n0, n1), f"overlap in {attached}"
    assert all((s0, s1) < (e0, e1) for s0, s1, e0, e1 in attached), "zero-length IOV"
    assert api.ok(api.get(f"payload-lists/by-name/{payload_list}")).json["iov_count"] == len(attached)

    for point in [*probes, (MAX, MAX)]:
        rows = api.res(gt, *point)
        assert [row[1] for row in rows] == ([model_resolve(segments, point)] if model_resolve(segments, point)
                                           else []), f"at {point}: {segments}"


def _attached(api, payload_list: str) -> list[dict]:
    page = api.ok(api.get("payload-iovs", f"page=1&page_size=1000&payload_list={payload_list}")).json
    return page["results"]
