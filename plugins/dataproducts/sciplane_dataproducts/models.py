"""One data model behind both dialects: targets with names, groups and proposals with memberships, data
products (a file catalogue with lineage and promoted FITS header columns), reduced datums and grants.

The schema itself is migration 0001's (one DDL template for both engines). Users are core users,
referenced by id; grants name their object and grantee by kind and id, so one table serves targets and
products, users and groups.
"""

from __future__ import annotations

import peewee

from sciplane import BaseModel, JSONField, utcnow

OPEN, PUBLIC, PRIVATE = "OPEN", "PUBLIC", "PRIVATE"
PERMISSIONS = (OPEN, PUBLIC, PRIVATE)
GROUP, PROPOSAL = "group", "proposal"
PI, COLLABORATOR, MEMBER = "pi", "collaborator", "member"
VIEW, CHANGE, DELETE = "view", "change", "delete"
TARGET, PRODUCT, USER = "target", "product", "user"


def name_key(name: str) -> str:
    """Names of targets, aliases, groups and proposals are unique case-insensitively: this is their key."""
    return name.strip().casefold()


class Stamped(BaseModel):
    created = peewee.DateTimeField(default=utcnow)
    modified = peewee.DateTimeField(default=utcnow)


class Target(Stamped):
    name = peewee.CharField(max_length=100)
    type = peewee.CharField(max_length=20, default="SIDEREAL")
    permissions = peewee.CharField(max_length=10, default=PRIVATE)
    ra = peewee.DoubleField(null=True)
    dec = peewee.DoubleField(null=True)
    epoch = peewee.DoubleField(null=True)
    parallax = peewee.DoubleField(null=True)
    pm_ra = peewee.DoubleField(null=True)
    pm_dec = peewee.DoubleField(null=True)
    galactic_lng = peewee.DoubleField(null=True)
    galactic_lat = peewee.DoubleField(null=True)
    distance = peewee.DoubleField(null=True)
    distance_err = peewee.DoubleField(null=True)
    scheme = peewee.CharField(max_length=50, default="")
    elements = JSONField(null=True)
    created_by = peewee.IntegerField(null=True)

    class Meta:
        table_name = "dp_target"


class TargetName(BaseModel):
    """Primary names and aliases share one case-folded namespace."""

    target = peewee.ForeignKeyField(Target, backref="names", on_delete="CASCADE")
    name = peewee.CharField(max_length=100)
    name_key = peewee.CharField(max_length=100, unique=True)
    is_primary = peewee.BooleanField(default=False)

    class Meta:
        table_name = "dp_target_name"


class TargetExtra(BaseModel):
    target = peewee.ForeignKeyField(Target, backref="extras", on_delete="CASCADE")
    key = peewee.CharField(max_length=200)
    value = peewee.TextField()

    class Meta:
        table_name = "dp_target_extra"


class Group(Stamped):
    """A TOM group (``kind = group``) or a Goodman proposal (``kind = proposal``, ``name`` = SOAR id)."""

    kind = peewee.CharField(max_length=10, default=GROUP)
    name = peewee.CharField(max_length=150)
    name_key = peewee.CharField(max_length=150, unique=True)
    semester = peewee.CharField(max_length=10, null=True)
    title = peewee.CharField(max_length=300, default="")
    abstract = peewee.TextField(default="")
    pi_id = peewee.IntegerField(null=True)

    class Meta:
        table_name = "dp_group"


class Membership(BaseModel):
    group = peewee.ForeignKeyField(Group, backref="memberships", on_delete="CASCADE")
    user_id = peewee.IntegerField()
    role = peewee.CharField(max_length=12, default=MEMBER)
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "dp_membership"


class ObservationRecord(Stamped):
    target = peewee.ForeignKeyField(Target, on_delete="CASCADE")
    facility = peewee.CharField(max_length=50, index=True)
    observation_id = peewee.CharField(max_length=255)
    status = peewee.CharField(max_length=50, default="")
    parameters = JSONField(null=True)

    class Meta:
        table_name = "dp_observation_record"


# FITS-derived columns promoted from the Goodman header (text, then numbers).
HEADER_TEXT = ("obstype", "object", "filter", "filter_2", "grating", "slit", "roi", "wavmode", "camera", "binning",
               "technique")
HEADER_NUMBERS = ("cam_targ", "grt_targ", "gain", "rdnoise", "airmass", "exptime", "seeing")


class Product(Stamped):
    product_id = peewee.CharField(max_length=255, null=True, unique=True)
    target = peewee.ForeignKeyField(Target, null=True, backref="products", on_delete="CASCADE")
    observation_record = peewee.ForeignKeyField(ObservationRecord, null=True, on_delete="SET NULL")
    facility = peewee.CharField(max_length=50, null=True)
    data_product_type = peewee.CharField(max_length=50)
    extra_data = peewee.TextField(default="")
    file_name = peewee.CharField(max_length=255)
    directory_name = peewee.CharField(max_length=500, null=True)
    blob_key = peewee.CharField(max_length=1024, unique=True)
    token = peewee.CharField(max_length=32, unique=True)
    size = peewee.BigIntegerField()
    sha256 = peewee.CharField(max_length=64)
    mimetype = peewee.CharField(max_length=100, default="application/octet-stream")
    is_fits = peewee.BooleanField(default=False)
    instrument = peewee.CharField(max_length=50, null=True)
    obstype = peewee.CharField(max_length=80, null=True)
    object = peewee.CharField(max_length=80, null=True)
    filter = peewee.CharField(max_length=80, null=True)
    filter_2 = peewee.CharField(max_length=80, null=True)
    grating = peewee.CharField(max_length=80, null=True)
    slit = peewee.CharField(max_length=80, null=True)
    roi = peewee.CharField(max_length=80, null=True)
    wavmode = peewee.CharField(max_length=80, null=True)
    camera = peewee.CharField(max_length=80, null=True)
    binning = peewee.CharField(max_length=80, null=True)
    technique = peewee.CharField(max_length=80, null=True)
    obsra = peewee.CharField(max_length=20, null=True)
    obsdec = peewee.CharField(max_length=20, null=True)
    cam_targ = peewee.DoubleField(null=True)
    grt_targ = peewee.DoubleField(null=True)
    gain = peewee.DoubleField(null=True)
    rdnoise = peewee.DoubleField(null=True)
    airmass = peewee.DoubleField(null=True)
    exptime = peewee.DoubleField(null=True)
    seeing = peewee.DoubleField(null=True)
    card_text = JSONField(null=True)
    lamps = JSONField(null=True)
    proposal_id = peewee.CharField(max_length=150, null=True)
    proposal_bound = peewee.BooleanField(default=False)
    observation_id = peewee.BigIntegerField(null=True)
    configuration_id = peewee.BigIntegerField(null=True)
    block_id = peewee.BigIntegerField(null=True)
    image_id = peewee.BigIntegerField(null=True)
    date = peewee.DateField(null=True)
    date_time = peewee.DateTimeField(null=True)
    reduction_level = peewee.SmallIntegerField(null=True)  # the Goodman wire's data_type: 0 raw … 5
    normalized = peewee.BooleanField(default=False)
    is_usable = peewee.BooleanField(default=True)
    saturation_value = peewee.IntegerField(null=True)
    original_file = peewee.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="derived")
    original_file_name = peewee.CharField(max_length=255, null=True)
    parent_file = peewee.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="children")
    parent_file_name = peewee.CharField(max_length=255, null=True)
    extra_metadata = JSONField(null=True)
    created_by = peewee.IntegerField(null=True)
    datum_count = peewee.BigIntegerField(default=0)  # kept by the services in the datums' transactions (0004)

    class Meta:
        table_name = "dp_product"


class ProductHeader(BaseModel):
    """The full primary header, kept apart so that catalogue scans stay narrow."""

    product = peewee.ForeignKeyField(Product, primary_key=True, on_delete="CASCADE")
    cards = JSONField()  # [[keyword, value, comment, value_text], …] in header order

    class Meta:
        table_name = "dp_product_header"


class Datum(BaseModel):
    id = peewee.BigAutoField()
    # References without database constraints (migration 0003): ingest holds the rows it refers to, and the
    # services delete a product's or a target's datums with it.
    target = peewee.ForeignKeyField(Target)
    data_product = peewee.ForeignKeyField(Product, null=True, backref="datums")
    data_type = peewee.CharField(max_length=100)
    source_name = peewee.CharField(max_length=100, default="")
    source_location = peewee.CharField(max_length=200, default="")
    timestamp_us = peewee.BigIntegerField()
    value = JSONField()
    value_hash = peewee.BlobField()
    created_by = peewee.IntegerField(null=True)
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "dp_datum"


class Grant(BaseModel):
    """``perm`` on a target or product, to a user or a group."""

    object_type = peewee.CharField(max_length=10)
    object_id = peewee.BigIntegerField()
    grantee_type = peewee.CharField(max_length=5)
    grantee_id = peewee.IntegerField()
    perm = peewee.CharField(max_length=10)

    class Meta:
        table_name = "dp_grant"


MODELS = [Target, TargetName, TargetExtra, Group, Membership, ObservationRecord, Product, ProductHeader, Datum,
          Grant]
