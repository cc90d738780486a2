"""Section 13.5: the facts the demo catalogue guarantees, and that loading it twice changes nothing."""

from __future__ import annotations

from sciplane_calcat.models import CalibrationConstantVersion
from sciplane_calcat.testing import expect


def test_demo_facts(demo, app):
    spb = demo.one("detectors", identifier="SPB_DET_AGIPD1M-1")
    now = expect(demo.get("physical_detector_units/get_all_by_detector", f"detector_id={spb['id']}"), 200)
    assert len(now) == 16 and now[7]["physical_name"] == "AGIPD_SIV1_AGIPDV11_M516"
    then = expect(demo.get("physical_detector_units/get_all_by_detector",
                           f"detector_id={spb['id']}&pdu_snapshot_at=2024-01-20"), 200)
    assert then[7]["physical_name"] == "AGIPD_SIV1_AGIPDV11_M507"
    r1 = demo.one("reports", name="dark_900001_r0010_r0011_r0012_240110_100000.pdf")
    assert len(expect(demo.get(f"reports/{r1['id']}"), 200)["calibration_constant_versions"]) == 64
    with app.sciplane.database.connection_context():
        count = CalibrationConstantVersion.select().count()
        assert count == 64 * 3 + 1 + 8 + 48 + 6 + 24 + 24
        from sciplane_calcat import demo as demo_data
        demo_data.load(app.sciplane, echo=lambda message: None)  # idempotent
        assert CalibrationConstantVersion.select().count() == count
