"""Tables of the conditions plugin (``cond_*``).

IOV starts and ends are four BIGINT columns; there is no derived
``comb_iov`` column to keep in sync.  The tables themselves are created by
``migrations/0001_initial.py`` (AUTOINCREMENT keys, the list-id sequence and
the DESC resolution index need explicit DDL).
"""

from __future__ import annotations

import peewee

from sciplane import BaseModel, utcnow


class GTStatus(BaseModel):
    id = peewee.BigAutoField()
    name = peewee.CharField(max_length=80, unique=True)
    description = peewee.CharField(max_length=255, null=True)
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "cond_gt_status"


class GlobalTag(BaseModel):
    id = peewee.BigAutoField()
    name = peewee.CharField(max_length=80, unique=True)
    author = peewee.CharField(max_length=80, null=True)
    description = peewee.CharField(max_length=255, null=True)
    status = peewee.ForeignKeyField(GTStatus, on_delete="RESTRICT", backref="global_tags")
    created = peewee.DateTimeField(default=utcnow)
    updated = peewee.DateTimeField(default=utcnow)
    change_counter = peewee.BigIntegerField(default=1)
    changed_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "cond_global_tag"


class PayloadType(BaseModel):
    id = peewee.BigAutoField()
    name = peewee.CharField(max_length=80, unique=True)
    description = peewee.CharField(max_length=255, null=True)
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "cond_payload_type"


class PayloadList(BaseModel):
    # Allocated from a sequence after validation, so the name <type>_<id>
    # is known before the insert and no id is burnt by a failed request.
    id = peewee.BigIntegerField(primary_key=True)
    name = peewee.CharField(max_length=255, unique=True)
    description = peewee.CharField(max_length=255, null=True)
    global_tag = peewee.ForeignKeyField(GlobalTag, null=True, on_delete="CASCADE", backref="payload_lists",
                                        index=False)
    payload_type = peewee.ForeignKeyField(PayloadType, on_delete="RESTRICT", backref="payload_lists")
    iov_count = peewee.BigIntegerField(default=0)
    created = peewee.DateTimeField(default=utcnow)
    updated = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "cond_payload_list"


class PayloadIOV(BaseModel):
    id = peewee.BigAutoField()
    payload_url = peewee.CharField(max_length=255)
    checksum = peewee.CharField(max_length=255, default="")
    size = peewee.BigIntegerField(null=True)
    major_iov = peewee.BigIntegerField()
    minor_iov = peewee.BigIntegerField()
    major_iov_end = peewee.BigIntegerField()
    minor_iov_end = peewee.BigIntegerField()
    extra = peewee.CharField(max_length=255, null=True)
    # No database constraint (migration 0002): writers lock the list first, and the services delete a
    # tag's IOVs with its lists and refuse to delete a list that holds any.
    payload_list = peewee.ForeignKeyField(PayloadList, null=True, backref="iovs", index=False)
    created = peewee.DateTimeField(default=utcnow)
    updated = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "cond_payload_iov"

    @property
    def start(self) -> tuple[int, int]:
        return (self.major_iov, self.minor_iov)

    @property
    def end(self) -> tuple[int, int]:
        return (self.major_iov_end, self.minor_iov_end)


class State(BaseModel):
    """One row: the database version that validates every response not scoped to one GT."""

    bookkeeping = True  # not data: an empty database still has this row

    id = peewee.SmallIntegerField(primary_key=True)
    version = peewee.BigIntegerField()
    changed_at = peewee.DateTimeField()

    class Meta:
        table_name = "cond_state"


MODELS = [GTStatus, GlobalTag, PayloadType, PayloadList, PayloadIOV, State]
