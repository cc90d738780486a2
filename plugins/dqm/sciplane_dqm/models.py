"""The histogram store's tables (schema: migration 0001).

Runs and lumisections are dictionaries; histogram rows carry the run and
lumisection numbers denormalised, because ``(run_number, ls_number,
title_id)`` is at once the uniqueness rule, the list order and the keyset
cursor.  Titles are a dictionary too, so a histogram row holds an integer
instead of a path of up to 1024 characters.
"""

from __future__ import annotations

import peewee

from sciplane import BaseModel, JSONField, utcnow


class DqmFile(BaseModel):
    filepath = peewee.CharField(max_length=1024, unique=True)
    filetype = peewee.CharField(max_length=32, index=True)
    filesize = peewee.BigIntegerField()
    file_mtime = peewee.DoubleField()
    data_era = peewee.CharField(max_length=16, default="", index=True)
    created = peewee.DateTimeField(default=utcnow)
    modified = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "dqm_file"


class Run(BaseModel):
    run_number = peewee.IntegerField(primary_key=True)
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "dqm_run"


class Lumisection(BaseModel):
    id = peewee.BigAutoField()
    run_number = peewee.ForeignKeyField(Run, field=Run.run_number, column_name="run_number", on_delete="CASCADE")
    ls_number = peewee.IntegerField()  # 0: the run-level pseudo-lumisection
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "dqm_lumisection"
        indexes = ((("run_number", "ls_number"), True),)


class Title(BaseModel):
    title = peewee.CharField(max_length=1024)
    dim = peewee.SmallIntegerField()

    class Meta:
        table_name = "dqm_title"
        indexes = ((("title", "dim"), True),)


class Histogram(BaseModel):
    id = peewee.BigAutoField()
    # References to the append-only dictionaries carry no database constraint (see migration 0001).
    lumisection = peewee.ForeignKeyField(Lumisection)
    run_number = peewee.IntegerField()
    ls_number = peewee.IntegerField()
    title = peewee.ForeignKeyField(Title, column_name="title_id")
    dim = peewee.SmallIntegerField()
    type_code = peewee.SmallIntegerField(null=True)
    entries = peewee.BigIntegerField()
    x_min = peewee.DoubleField()
    x_max = peewee.DoubleField()
    x_bin = peewee.IntegerField()
    y_min = peewee.DoubleField(null=True)
    y_max = peewee.DoubleField(null=True)
    y_bin = peewee.IntegerField(null=True)
    x_edges = peewee.BlobField(null=True)
    y_edges = peewee.BlobField(null=True)
    dtype = peewee.CharField(max_length=2)
    data = peewee.BlobField()
    source_file = peewee.ForeignKeyField(DqmFile, null=True, on_delete="SET NULL")
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "dqm_histogram"


class ParseJob(BaseModel):
    file = peewee.ForeignKeyField(DqmFile, on_delete="CASCADE", backref="jobs")
    filetype = peewee.CharField(max_length=32)
    dimensionality = peewee.SmallIntegerField()
    granularity = peewee.CharField(max_length=3)
    parser = peewee.CharField(max_length=128)
    status = peewee.CharField(max_length=8)
    on_error = peewee.CharField(max_length=4, default="fail")
    entries_total = peewee.BigIntegerField(null=True)
    entries_processed = peewee.BigIntegerField(default=0)
    histograms_created = peewee.BigIntegerField(default=0)
    entries_duplicate = peewee.BigIntegerField(default=0)
    entries_skipped = peewee.BigIntegerField(default=0)
    entries_failed = peewee.BigIntegerField(default=0)
    chunks_committed = peewee.BigIntegerField(default=0)
    attempts = peewee.IntegerField(default=0)
    error = JSONField(null=True)
    errors = JSONField(default=list)
    file_size = peewee.BigIntegerField(null=True)
    file_mtime = peewee.DoubleField(null=True)
    worker = peewee.CharField(max_length=128, null=True)
    created = peewee.DateTimeField(default=utcnow)
    started = peewee.DateTimeField(null=True)
    finished = peewee.DateTimeField(null=True)
    heartbeat = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "dqm_parse_job"


class Meta(BaseModel):
    # Its rows (data_epoch, instance) are seeded by migrations 0001 and 0002: not a sign of data for
    # `demo --if-empty`.
    bookkeeping = True

    key = peewee.CharField(max_length=32, primary_key=True)
    value = peewee.BigIntegerField()

    class Meta:
        table_name = "dqm_meta"


MODELS = [DqmFile, Run, Lumisection, Title, Histogram, ParseJob, Meta]
