"""Scenarios C of the specification (§11, 21-26): statuses, types, global tags, lists and IOVs,
their creation, their validation and their shapes."""

from __future__ import annotations

import pytest

from sciplane_conditions.testing import MAX, OPEN, expect

MIN = -9223372036854775808
PIOV_KEYS = ["id", "payload_url", "checksum", "major_iov", "minor_iov", "comb_iov", "major_iov_end",
             "minor_iov_end", "payload_list", "inserted"]


def field_error(field: str, message: str, code: str = "validation_error") -> dict:
    return {field: [message], "code": code}


def mismatches(cases, answer) -> list[str]:
    """Run every case; list those whose (status, body) differ from the expected ones."""
    problems = []
    for case, expected in cases:
        result = answer(case)
        got = (result.status_code, result.json if result.content else None)
        if got != expected or (result.status_code >= 400 and result.headers.get("cache-control") != "no-store"):
            problems.append(f"{case!r}: expected {expected!r}, got {got!r}")
    return problems


def iov_body(url="a.dat", start=(0, 0), end=None, **extra) -> dict:
    body = {"payload_url": url, "checksum": "c" + url.split(".")[0], "major_iov": start[0], "minor_iov": start[1]}
    if end is not None:
        body.update(major_iov_end=end[0], minor_iov_end=end[1])
    body.update(extra)
    return body


# -- 21. Statuses ----------------------------------------------------------------------------------

def test_statuses_create_and_list(api):
    """Scenario 21: an empty start, three statuses with ascending ids, the alias lists the same."""
    assert expect(api.get("gtstatus"), 200) == []
    created = [expect(api.post("gtstatus", {"name": name}), 200) for name in ("unlocked", "locked", "frozen")]
    for status, name in zip(created, ("unlocked", "locked", "frozen"), strict=True):
        assert list(status) == ["id", "name", "created"]
        assert status["name"] == name
    ids = [s["id"] for s in created]
    assert ids == sorted(ids) and len(set(ids)) == 3
    listing = api.get("gtstatus")
    assert expect(listing, 200) == created
    alias = api.get("global-tags/statuses")
    expect(alias, 200)
    assert alias.content == listing.content


def test_status_duplicate(api):
    """Scenario 21: a duplicate status name."""
    api.status("unlocked")
    expect(api.post("gtstatus", {"name": "unlocked"}), 400,
           {"name": ["global tag status with this name already exists."], "code": "already_exists"})


def test_status_validation(api):
    """Scenario 21: missing, null, blank, too long, with a slash, not a string."""
    cases = [({}, "This field is required."), ({"name": None}, "This field may not be null."),
             ({"name": "  "}, "This field may not be blank."),
             ({"name": "x" * 81}, "Ensure this field has no more than 80 characters."),
             ({"name": "a/b"}, 'This field may not contain "/".'), ({"name": 5}, "Not a valid string.")]
    problems = mismatches([(body, (400, field_error("name", message))) for body, message in cases],
                          lambda body: api.post("gtstatus", body))
    assert not problems, "\n".join(problems)
    assert expect(api.get("gtstatus"), 200) == []


def test_status_description_ignored(api):
    """Scenario 21: ``description`` is accepted and not shown; 80 characters is still fine."""
    status = expect(api.post("gtstatus", {"name": "x", "description": "d"}), 200)
    assert list(status) == ["id", "name", "created"] and status["name"] == "x"
    assert expect(api.post("gtstatus", {"name": "y" * 80}), 200)["name"] == "y" * 80
    assert all("description" not in s for s in expect(api.get("gtstatus"), 200))


def test_status_name_stripped(api):
    """Scenario 21 (§2.3): status names are stripped as DRF does."""
    assert expect(api.post("gtstatus", {"name": "  spaced  "}), 200)["name"] == "spaced"
    expect(api.post("gtstatus", {"name": "spaced"}), 400,
           {"name": ["global tag status with this name already exists."], "code": "already_exists"})


# -- 22. Types -------------------------------------------------------------------------------------

def test_payload_types(api):
    """Scenario 22: creation shapes, a duplicate, order by id, the alias."""
    beam = expect(api.post("pt", {"name": "Beam"}), 200)
    cemc = expect(api.post("pt", {"name": "CEMC", "description": "calorimeter"}), 200)
    for created, name in ((beam, "Beam"), (cemc, "CEMC")):
        assert list(created) == ["id", "name", "created"]
        assert created["name"] == name
    assert cemc["id"] > beam["id"]
    expect(api.post("pt", {"name": "Beam"}), 400,
           {"name": ["payload type with this name already exists."], "code": "already_exists"})
    aaa = expect(api.post("pt", {"name": "AAA"}), 200)
    listing = api.get("pt")
    assert expect(listing, 200) == [beam, cemc, aaa]
    alias = api.get("payload-types")
    expect(alias, 200)
    assert alias.content == listing.content


def test_payload_type_validation(api):
    """Scenario 22 (§3.3): other field errors are reported as for statuses."""
    cases = [({}, "This field is required."), ({"name": ""}, "This field may not be blank."),
             ({"name": "x" * 81}, "Ensure this field has no more than 80 characters."),
             ({"name": "a/b"}, 'This field may not contain "/".'), ({"name": ["Beam"]}, "Not a valid string.")]
    problems = mismatches([(body, (400, field_error("name", message))) for body, message in cases],
                          lambda body: api.post("pt", body))
    assert not problems, "\n".join(problems)
    assert expect(api.get("pt"), 200) == []


# -- 23. GT create ---------------------------------------------------------------------------------

@pytest.fixture
def statuses(api):
    for name in ("unlocked", "locked", "frozen"):
        api.status(name)
    return api


def test_global_tag_create(statuses):
    """Scenario 23: with and without an author; the listing shows both."""
    api = statuses
    gt1 = expect(api.post("gt", {"name": "GT1", "status": "unlocked", "author": "me"}), 200)
    assert list(gt1) == ["id", "name", "author", "status", "created", "updated"]
    assert (gt1["name"], gt1["author"], gt1["status"]) == ("GT1", "me", "unlocked")
    gt2 = expect(api.post("gt", {"name": "GT2", "status": "locked"}), 200)
    assert gt2["author"] is None and gt2["status"] == "locked"
    gt3 = expect(api.post("gt", {"name": "GT3", "status": "unlocked", "author": None,
                                 "description": "ignored", "type": "ignored"}), 200)
    assert gt3["author"] is None
    rows = expect(api.get("globalTags"), 200)
    assert [(r["id"], r["name"], r["author"], r["status"]) for r in rows] == [
        (gt1["id"], "GT1", "me", "unlocked"), (gt2["id"], "GT2", None, "locked"), (gt3["id"], "GT3", None, "unlocked")]
    for r in rows:
        assert list(r) == ["id", "name", "author", "status", "payload_lists_count", "payload_iov_count",
                           "created", "updated"]
        assert r["payload_lists_count"] == 0 and r["payload_iov_count"] == 0


def test_global_tag_create_errors(statuses):
    """Scenario 23: duplicate, unknown status, missing status, missing name, non-string status."""
    api = statuses
    api.global_tag("GT1")
    expect(api.post("gt", {"name": "GT1", "status": "unlocked"}), 400,
           {"name": ["global tag with this name already exists."], "code": "already_exists"})
    expect(api.post("gt", {"name": "GT3", "status": "nosuch"}), 404,
           {"detail": "GlobalTagStatus not found.", "code": "status_not_found"})
    expect(api.post("gt", {"name": "GT4"}), 400, field_error("status", "This field is required."))
    expect(api.post("gt", {"status": "unlocked"}), 400, field_error("name", "This field is required."))
    expect(api.post("gt", {"name": "GT5", "status": 1}), 400, field_error("status", "Not a valid string."))
    expect(api.post("gt", {"name": "GT7", "status": "unlocked", "author": "a" * 81}), 400,
           field_error("author", "Ensure this field has no more than 80 characters."))
    expect(api.post("gt", {"name": "GT8", "status": "unlocked", "author": " "}), 400,
           field_error("author", "This field may not be blank."))
    expect(api.post("gt", {"name": "a/b", "status": "unlocked"}), 400,
           field_error("name", 'This field may not contain "/".'))
    assert [g["name"] for g in expect(api.get("globalTags"), 200)] == ["GT1"]


def test_global_tag_name_stripped(statuses):
    """Scenario 23: ``" GT6 "`` is created as ``GT6``, and reachable by that name."""
    created = expect(statuses.post("gt", {"name": " GT6 ", "status": "unlocked"}), 200)
    assert created["name"] == "GT6"
    assert expect(statuses.get("globalTag/GT6", "light"), 200)["name"] == "GT6"


# -- 24. List create -------------------------------------------------------------------------------

def test_list_create(base):
    """Scenario 24: a detached list named ``<type>_<id>``; extra keys are ignored."""
    created = expect(base.post("pl", {"payload_type": "Beam"}), 200)
    assert list(created) == ["id", "name", "global_tag", "payload_type", "created"]
    assert created["name"] == "Beam_" + str(created["id"])
    assert created["global_tag"] is None and created["payload_type"] == "Beam"
    other = expect(base.post("pl", {"payload_type": "CEMC", "name": "mine", "global_tag": "GT1",
                                    "id": 999, "description": "d"}), 200)
    assert other["name"] == "CEMC_" + str(other["id"]) and other["global_tag"] is None
    assert other["id"] != 999
    assert expect(base.get("gtPayloadLists/GT1"), 200) == {}


def test_list_create_errors(base):
    """Scenario 24: unknown type, missing or non-string type; no id is consumed by a failure."""
    first = expect(base.post("pl", {"payload_type": "Beam"}), 200)
    expect(base.post("pl", {"payload_type": "Nope"}), 404,
           {"detail": "PayloadType not found.", "code": "payload_type_not_found"})
    expect(base.post("pl", {}), 400, field_error("payload_type", "This field is required."))
    expect(base.post("pl", {"payload_type": 3}), 400, field_error("payload_type", "Not a valid string."))
    # Lookup keys are used exactly as given, without stripping (§2.3).
    expect(base.post("pl", {"payload_type": " Beam "}), 404,
           {"detail": "PayloadType not found.", "code": "payload_type_not_found"})
    second = expect(base.post("pl", {"payload_type": "Beam"}), 200)
    assert second["id"] == first["id"] + 1


def test_list_ids_never_reused(base):
    """Scenario 24: list ids strictly increase, and a deleted list's name does not come back."""
    names, ids = [], []
    for payload_type in ("Beam", "CEMC", "Beam"):
        created = expect(base.post("pl", {"payload_type": payload_type}), 200)
        names.append(created["name"])
        ids.append(created["id"])
    last = names[-1]
    expect(base.delete(f"deletePayloadList/{last}"), 200, {"detail": f"Payload Type {last} deleted."})
    for _ in range(3):
        created = expect(base.post("pl", {"payload_type": "Beam"}), 200)
        assert created["name"] not in names
        names.append(created["name"])
        ids.append(created["id"])
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


# -- 25. pl_attach ---------------------------------------------------------------------------------

def test_list_attach(base):
    """Scenario 25: attach, replace, move between GTs; ids in ``pl/<pk>``, names in ``by-name``."""
    beam_a = base.new_list("Beam")
    cemc_b = base.new_list("CEMC")
    beam_c = base.new_list("Beam")
    types = {t["name"]: t["id"] for t in expect(base.get("pt"), 200)}
    gts = {g["name"]: g["id"] for g in expect(base.get("globalTags"), 200)}
    for name, type_name in ((beam_a, "Beam"), (cemc_b, "CEMC")):
        attached = expect(base.put("pl_attach", {"global_tag": "GT1", "payload_list": name}), 200)
        assert list(attached) == ["id", "name", "global_tag", "payload_type", "created"]
        assert (attached["name"], attached["global_tag"], attached["payload_type"]) == (name, "GT1", type_name)
    lists = base.get("gtPayloadLists/GT1")
    assert expect(lists, 200) == {"Beam": beam_a, "CEMC": cemc_b}
    assert lists.content == f'{{"Beam":"{beam_a}","CEMC":"{cemc_b}"}}'.encode()
    expect(base.put("pl_attach", {"global_tag": "GT1", "payload_list": beam_c}), 200)
    assert expect(base.get("gtPayloadLists/GT1"), 200) == {"Beam": beam_c, "CEMC": cemc_b}

    a_id = int(beam_a.rsplit("_", 1)[1])
    by_id = expect(base.get(f"pl/{a_id}"), 200)
    assert list(by_id) == ["id", "name", "global_tag", "payload_type", "created"]
    assert (by_id["id"], by_id["name"], by_id["global_tag"], by_id["payload_type"]) == \
        (a_id, beam_a, None, types["Beam"])
    c_id = int(beam_c.rsplit("_", 1)[1])
    assert expect(base.get(f"pl/{c_id}"), 200)["global_tag"] == gts["GT1"]
    by_name = expect(base.get(f"payload-lists/by-name/{beam_a}"), 200)
    assert list(by_name) == ["id", "name", "global_tag", "payload_type", "iov_count", "created"]
    assert (by_name["id"], by_name["global_tag"], by_name["payload_type"], by_name["iov_count"]) == \
        (a_id, None, "Beam", 0)

    moved = expect(base.put("pl_attach", {"global_tag": "GT2", "payload_list": beam_c}), 200)
    assert moved["global_tag"] == "GT2"
    assert expect(base.get("gtPayloadLists/GT1"), 200) == {"CEMC": cemc_b}
    assert expect(base.get("gtPayloadLists/GT2"), 200) == {"Beam": beam_c}
    counts = {g["name"]: g["payload_lists_count"] for g in expect(base.get("globalTags"), 200)}
    assert counts == {"GT1": 1, "GT2": 1}


def test_list_attach_errors(base):
    """Scenario 25: unknown list or GT, missing keys, POST, and an unknown GT's lists."""
    beam = base.new_list("Beam")
    expect(base.put("pl_attach", {"global_tag": "GT1", "payload_list": "Nope_1"}), 404,
           {"detail": "PayloadList not found.", "code": "payload_list_not_found"})
    expect(base.put("pl_attach", {"global_tag": "NoGT", "payload_list": beam}), 404,
           {"detail": "GlobalTag not found.", "code": "global_tag_not_found"})
    expect(base.put("pl_attach", {}), 400, {"global_tag": ["This field is required."],
                                            "payload_list": ["This field is required."],
                                            "code": "validation_error"})
    expect(base.put("pl_attach", {"global_tag": " GT1", "payload_list": beam}), 404,
           {"detail": "GlobalTag not found.", "code": "global_tag_not_found"})
    expect(base.put("pl_attach", {"global_tag": 1, "payload_list": beam}), 400,
           field_error("global_tag", "Not a valid string."))
    expect(base.post("pl_attach", {"global_tag": "GT1", "payload_list": beam}), 405,
           {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"})
    expect(base.get("gtPayloadLists/NoGT"), 200, {})
    assert expect(base.get("gtPayloadLists/GT1"), 200) == {}


# -- 26. piov create -------------------------------------------------------------------------------

def test_iov_create_defaults(api):
    """Scenario 26: omitted ends are open; each end component defaults on its own."""
    open_iov = expect(api.post("piov", iov_body("a.dat", (0, 0))), 200)
    assert list(open_iov) == PIOV_KEYS
    assert open_iov["payload_list"] is None
    assert (open_iov["major_iov_end"], open_iov["minor_iov_end"]) == OPEN
    assert open_iov["comb_iov"] == "0.0000000000000000000"
    half = expect(api.post("piov", {**iov_body("b.dat", (1, 0)), "major_iov_end": 5}), 200)
    assert (half["major_iov_end"], half["minor_iov_end"]) == (5, MAX)
    minor_only = expect(api.post("piov", {**iov_body("c.dat", (1, 0)), "minor_iov_end": 7}), 200)
    assert (minor_only["major_iov_end"], minor_only["minor_iov_end"]) == (MAX, 7)
    assert api.piov(half["id"]) == half


def test_comb_iov(api):
    """Scenario 26 (§5.3): ``comb_iov`` is the reference's exact decimal string."""
    cases = [((0, 0), "0.0000000000000000000"), ((10, 0), "10.0000000000000000000"),
             ((1, 9223372036854775806), "1.9223372036854775806"), ((-1, 0), "-1.0000000000000000000"),
             ((1, -5), "0.9999999999999999995"), ((100, 200), "100.0000000000000000200"),
             ((MIN, MIN), "-9223372036854775808.9223372036854775808")]
    got = []
    for start, _ in cases:
        created = expect(api.post("piov", iov_body("a.dat", start)), 200)
        got.append((start, created["comb_iov"], api.piov(created["id"])["comb_iov"]))
    assert got == [(start, comb, comb) for start, comb in cases]


def test_iov_create_ignored_keys(api):
    """Scenario 26: ``payload_list``, ``comb_iov``, ``description`` and ``id`` have no effect."""
    api.status("unlocked")
    api.payload_type("Beam")
    name = api.new_list("Beam")
    created = expect(api.post("piov", {**iov_body("a.dat", (3, 4)), "payload_list": name, "comb_iov": "9.5",
                                       "description": "d", "id": 777, "inserted": "2000-01-01T00:00:00.000000"}),
                     200)
    assert created["payload_list"] is None
    assert created["comb_iov"] == "3.0000000000000000004"
    assert created["id"] != 777 and created["inserted"] != "2000-01-01T00:00:00.000000"
    assert expect(api.get(f"payload-lists/by-name/{name}"), 200)["iov_count"] == 0


def test_iov_size_and_extra(base):
    """Scenario 26: ``size`` and ``extra`` are stored, absent from ``<piov>``, and shown by resolution."""
    name = base.new_list("Beam", "GT1")
    created = expect(base.post("piov", iov_body("a.dat", (0, 0), size=123, extra="rev1")), 200)
    assert list(created) == PIOV_KEYS
    expect(base.put("piov_attach", {"payload_list": name, "piov_id": created["id"]}), 200)
    assert list(base.piov(created["id"])) == PIOV_KEYS
    assert base.res("GT1", 5, 0) == [["Beam", "a.dat", "ca", 123, 0, 0, *OPEN]]
    assert base.res("GT1", 5, 0, "revision=1") == [["Beam", "a.dat", "ca", 123, 0, 0, *OPEN, "rev1"]]
    nested = expect(base.get("globalTag/GT1"), 200)
    assert list(nested["payload_lists"][0]["payload_iov"][0]) == PIOV_KEYS


def test_iov_range_errors(api):
    """Scenario 26 (§4.2): end before start, and a zero-length IOV in continuous mode."""
    expect(api.post("piov", iov_body("x.dat", (5, 0), (4, 0))), 400, {
        "detail": "x.dat PayloadIOV ending IOVs should be greater or equal than starting. Provided end IOVs: "
                  "major_iov: 5 major_iov_end: 4 minor_iov: 0 minor_iov_end: 0",
        "code": "invalid_iov_range"})
    expect(api.post("piov", iov_body("y.dat", (3, 7), (3, 7))), 400, {
        "detail": "y.dat PayloadIOV ending IOVs should be greater or equal than starting. Provided end IOVs: "
                  "major_iov: 3 major_iov_end: 3 minor_iov: 7 minor_iov_end: 7",
        "code": "invalid_iov_range"})
    expect(api.post("piov", iov_body("z.dat", (3, 7), (3, 6))), 400, {
        "detail": "z.dat PayloadIOV ending IOVs should be greater or equal than starting. Provided end IOVs: "
                  "major_iov: 3 major_iov_end: 3 minor_iov: 7 minor_iov_end: 6",
        "code": "invalid_iov_range"})
    # Negative values are accepted, as in the reference.
    negative = expect(api.post("piov", iov_body("n.dat", (-5, -3), (-5, -2))), 200)
    assert (negative["major_iov"], negative["minor_iov"]) == (-5, -3)
    assert [i["payload_url"] for i in expect(api.get("piov"), 200)] == ["n.dat"]


def test_iov_create_missing_fields(api):
    """Scenario 26: missing or invalid string fields, all reported together."""
    ok = {"payload_url": "a.dat", "checksum": "ca", "major_iov": 0, "minor_iov": 0}
    cases = [
        ({**ok, "checksum": ...}, {"checksum": ["This field is required."]}),
        ({**ok, "major_iov": ...}, {"major_iov": ["This field is required."]}),
        ({**ok, "minor_iov": ...}, {"minor_iov": ["This field is required."]}),
        ({**ok, "payload_url": ...}, {"payload_url": ["This field is required."]}),
        ({**ok, "payload_url": " "}, {"payload_url": ["This field may not be blank."]}),
        ({**ok, "payload_url": "a" * 256}, {"payload_url": ["Ensure this field has no more than 255 characters."]}),
        ({**ok, "checksum": None}, {"checksum": ["This field may not be null."]}),
        ({**ok, "checksum": 5}, {"checksum": ["Not a valid string."]}),
        ({**ok, "size": -1}, {"size": ["Ensure this value is greater than or equal to 0."]}),
        ({**ok, "extra": "e" * 256}, {"extra": ["Ensure this field has no more than 255 characters."]}),
        ({}, {"payload_url": ["This field is required."], "checksum": ["This field is required."],
              "major_iov": ["This field is required."], "minor_iov": ["This field is required."]}),
    ]
    cases = [({k: v for k, v in body.items() if v is not ...}, (400, {**errors, "code": "validation_error"}))
             for body, errors in cases]
    problems = mismatches(cases, lambda body: api.post("piov", body))
    assert not problems, "\n".join(problems)
    assert expect(api.get("piov"), 200) == []


def test_iov_integer_coercion(api):
    """Scenario 26 (§2.3): digit strings and integral floats are integers."""
    for value, stored in [("60", 60), (5.0, 5), ("-3", -3), (MAX - 1, MAX - 1), (-1e3, -1000)]:
        created = expect(api.post("piov", {**iov_body("a.dat"), "major_iov": value}), 200)
        assert created["major_iov"] == stored and type(created["major_iov"]) is int, (value, created)


def test_iov_integer_rejections(api):
    """Scenario 26 (§2.3): booleans, fractions, other strings and values outside int64 are refused."""
    above = "Ensure this value is less than or equal to 9223372036854775807."
    below = "Ensure this value is greater than or equal to -9223372036854775808."
    invalid = "A valid integer is required."
    cases = [("5.5", invalid), ("true", invalid), ("false", invalid), ('"abc"', invalid), ('"1.5"', invalid),
             ("[1]", invalid), ("9223372036854775808", above), ("100000000000000000000", above),
             ('"9223372036854775808"', above), ("-9223372036854775809", below), ('"-9223372036854775809"', below),
             ("-100000000000000000000", below)]

    def post(raw):
        body = '{"payload_url":"a.dat","checksum":"ca","major_iov":' + raw + ',"minor_iov":0}'
        return api.post("piov", body=body, headers={"Content-Type": "application/json"})

    problems = mismatches([(raw, (400, field_error("major_iov", message))) for raw, message in cases], post)
    assert not problems, "\n".join(problems)
    assert expect(api.get("piov"), 200) == []


def test_iov_integer_bounds_accepted(api):
    """Scenario 26 (§2.3): both int64 bounds themselves are accepted."""
    created = expect(api.post("piov", {**iov_body("a.dat", (MIN, MIN))}), 200)
    assert (created["major_iov"], created["minor_iov"]) == (MIN, MIN)
    assert created["comb_iov"] == "-9223372036854775808.9223372036854775808"


def test_iov_unknown_id(api):
    """Scenario 26: an unknown IOV id."""
    expect(api.get("piov/999999"), 404, {"detail": "Not found.", "code": "not_found"})
    expect(api.get("payload-iovs/999999"), 404, {"detail": "Not found.", "code": "not_found"})
    expect(api.get("piov/9223372036854775808"), 404, {"detail": "Not found.", "code": "not_found"})


def test_nul_characters_are_refused_not_crashed(base):
    """PostgreSQL cannot store NUL: refused as DRF does, never a 500."""
    resp = base.post("pt", {"name": "bad\u0000name"})
    assert resp.status_code == 400 and resp.json == {"name": ["Null characters are not allowed."],
                                                     "code": "validation_error"}
    assert base.put("pl_attach", {"global_tag": "GT\u0000", "payload_list": "x"}).status_code == 400
    assert base.get("payloadiovs/", "gtName=%00&majorIOV=0&minorIOV=0").status_code == 400
    assert base.get("globalTag/a%00b").status_code == 404
    assert base.ok(base.get("payload-types", "page=1&search=%00")).json["count"] == 0
