"""Demo data: an sPHENIX-style tag (major 0, minor = run number) with a few payload types.

Loaded through the plugin's services, so it exercises the same rules as the
API: attaches trim their predecessors, the clone copies, the lock holds.
"""

from __future__ import annotations

import hashlib

from sciplane import Identity

from .points import MAX
from .services import for_app
from .services.catalog import LOCKED, UNLOCKED, ensure_statuses

DEMO = Identity(username="demo", name="demo loader", provider="cli", is_superuser=True, via="cli")
TAG = "sPHENIX_demo_2026"

# (type, payload url, first run, last run or None for open-ended)
IOVS = [
    ("Beam", "beam/run1000_beamspot.root", 1000, None),
    ("Beam", "beam/run1100_beamspot.root", 1100, None),
    ("Beam", "beam/run1200_beamspot.root", 1200, None),
    ("CEMC", "cemc/calib_2026a.root", 1000, 1150),
    ("CEMC", "cemc/calib_2026b.root", 1150, None),
    ("ZDC", "zdc/mapping_v1.root", 900, None),
    ("ZDC", "zdc/mapping_v1_fix.root", 1050, 1060),
]


def load(ctx, echo) -> None:
    services = for_app(ctx, ctx.plugin_settings("conditions"))
    catalog, iovs = services.catalog, services.iovs
    ensure_statuses()
    catalog.create_global_tag(DEMO, TAG, UNLOCKED, "demo")
    lists: dict[str, str] = {}
    for type_name, url, first, last in IOVS:
        if type_name not in lists:
            catalog.create_type(DEMO, type_name)
            lists[type_name] = catalog.create_list(DEMO, type_name).name
            catalog.attach_list(DEMO, TAG, lists[type_name])
        end = (0, last) if last is not None else (MAX, MAX)
        iov = iovs.create(DEMO, {"payload_url": url, "checksum": hashlib.md5(url.encode()).hexdigest(), "size": None,
                                 "extra": None, "major_iov": 0, "minor_iov": first, "major_iov_end": end[0],
                                 "minor_iov_end": end[1]})
        iovs.attach(DEMO, lists[type_name], iov.id)
    catalog.clone(DEMO, TAG, TAG + "_next")
    catalog.change_status(DEMO, TAG, LOCKED)
    echo(f"conditions: tags {TAG} (locked) and {TAG}_next, {len(IOVS)} IOVs over runs 900-1200")
