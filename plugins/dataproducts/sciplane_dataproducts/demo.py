"""Demo data, through the real services: an observer (the PI of a Goodman proposal) and a student (its
collaborator), two open targets with aliases, a photometry light curve, and a night of generated Goodman
files (raw science and arc frames, a master flat, reduced and extracted spectra)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .catalogue import Catalogue
from .fits.header import read_header
from .models import COLLABORATOR, OPEN, PI, PROPOSAL, Group, Membership, Product, Target
from .samples import goodman_fits
from .services import product_forms, targets, uploads

NAME = "dataproducts"
PROPOSAL_ID = "SOAR2021B-001"
TARGETS = [{"name": "SN2021aefx", "type": "SIDEREAL", "ra": 64.9725, "dec": -54.9478, "permissions": OPEN,
            "aliases": [{"name": "ATLAS21bidw"}, {"name": "ZTF21acmxxjd"}]},
           {"name": "J0220-7022", "type": "SIDEREAL", "ra": 35.0375, "dec": -70.375, "permissions": OPEN,
            "aliases": [{"name": "Gaia DR3 4695573066478081536"}]}]


def light_curve(rows: int = 60) -> bytes:
    """A few weeks of a fading supernova in three filters (TOM's photometry layout)."""
    lines = ["time,filter,magnitude,error"]
    for day in range(rows // 3):
        for band, offset in (("g", 0.0), ("r", -0.35), ("i", -0.5)):
            lines.append(f"{59530.1 + day:.2f},{band},{12.1 + offset + 0.045 * day:.3f},{0.01 + 0.001 * day:.3f}")
    return ("\n".join(lines) + "\n").encode()


def load(ctx, echo) -> None:
    if Target.select().exists() or Product.select().exists():
        echo("dataproducts: data present, demo skipped")
        return
    cat = Catalogue.build(ctx, ctx.plugin_settings(NAME))
    accounts = ctx.accounts
    observer = accounts.find_user("observer") or accounts.create_user("observer", email="observer@observatory.cl")
    student = accounts.find_user("student") or accounts.create_user("student", email="student@university.edu")
    me = accounts.identity_for(observer, via="demo")
    proposal = Group.create(kind=PROPOSAL, name=PROPOSAL_ID, name_key=PROPOSAL_ID.casefold(), semester="2021B",
                            title="Spectroscopy of young supernovae", pi_id=observer.id)
    Membership.create(group=proposal, user_id=observer.id, role=PI)
    Membership.create(group=proposal, user_id=student.id, role=COLLABORATOR)
    made = [targets.create(me, body, cat.settings) for body in TARGETS]

    def tom(form, partial):
        return product_forms.tom(me, form, cat.settings, cat.types, partial=partial)

    def goodman(form, partial):
        return product_forms.goodman(me, form, cat.settings, cat.types, cat.visible_products(me), partial=partial)

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        curve = directory / "sn2021aefx_lc.csv"
        curve.write_bytes(light_curve())
        outcome = uploads.upload_file(cat, me, curve, {"target": made[0].id, "data_product_type": "photometry",
                                                      "product_id": "sn2021aefx-lc"}, tom)
        echo(f"dataproducts: light curve of {made[0].name}: {outcome.created} datums")
        files = [(goodman_fits("Red", extra_cards={"PROPID": PROPOSAL_ID}), "0308_J0220-7022_06-09-2021.fits"),
                 (goodman_fits("Red", extra_cards={"PROPID": PROPOSAL_ID, "OBSTYPE": "COMP", "OBJECT": "HgArNe",
                                                   "LAMP_HGA": "TRUE"}), "0309_HgArNe_06-09-2021.fits"),
                 (goodman_fits("Red", level="combined", extra_cards={"PROPID": PROPOSAL_ID}), None),
                 (goodman_fits("Red", level=2, extra_cards={"PROPID": PROPOSAL_ID}), None),
                 (goodman_fits("Red", level=3, extra_cards={"PROPID": PROPOSAL_ID}), None),
                 (goodman_fits("Blue", seed=7, realistic=True), None)]
        for content, name in files:
            path = directory / (name or _file_name(content))
            path.write_bytes(content)
            uploads.upload_file(cat, me, path, {}, goodman)
        echo(f"dataproducts: {len(files)} Goodman files of {PROPOSAL_ID} (PI observer, collaborator student); "
             "tokens: sciplane tokens create observer")


def _file_name(content: bytes) -> str:
    header = read_header(content)
    return header.value("GSP_FNAM") or f"{header.value('DATE-OBS', 'raw')[:10]}_{header.value('OBJECT')}.fits"
