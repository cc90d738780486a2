"""Datums without per-row foreign-key checks, and two indexes fewer to maintain per row.

A light curve arrives as a million rows in one upload.  PostgreSQL checked both foreign keys of every row
(a trigger and a lookup each: about 4 µs a row, a third of the ingest), so the references to the target
and the product are plain columns now: the services lock the target once per upload and delete a
product's or target's datums with it.  The unique key leads with (target, timestamp), so it also serves
a target's datums in time order, which ``dp_datum_target`` did; ``source_name`` is indexed only where
it is set (a photometry table's rows have none).
"""

import peewee

from sciplane.db import rebuild_sqlite_table

TYPES = {"sqlite": {"bigpk": "INTEGER PRIMARY KEY AUTOINCREMENT", "int": "INTEGER", "big": "INTEGER",
                    "time": "DATETIME", "blob": "BLOB"}}
INDEXES = [
    "CREATE UNIQUE INDEX dp_datum_key ON dp_datum (target_id, timestamp_us, data_type, value_hash)",
    "CREATE INDEX dp_datum_product ON dp_datum (data_product_id, timestamp_us, id)",
    "CREATE INDEX dp_datum_source ON dp_datum (source_name) WHERE source_name <> ''",
    "CREATE INDEX dp_datum_type ON dp_datum (data_type, id)",
]


PREVIOUS_INDEXES = [
    "CREATE UNIQUE INDEX dp_datum_key ON dp_datum (target_id, data_type, timestamp_us, value_hash)",
    "CREATE INDEX dp_datum_target ON dp_datum (target_id, timestamp_us, id)",
    "CREATE INDEX dp_datum_product ON dp_datum (data_product_id, timestamp_us, id)",
    "CREATE INDEX dp_datum_source ON dp_datum (source_name)",
    "CREATE INDEX dp_datum_type ON dp_datum (data_type, id)",
]
REFERENCES = {"target": "REFERENCES dp_target (id) ON DELETE CASCADE",
              "product": "REFERENCES dp_product (id) ON DELETE CASCADE"}


def _rebuild_sqlite(db, indexes: list[str], references: dict[str, str]) -> None:
    types = TYPES["sqlite"]
    rebuild_sqlite_table(db, "dp_datum", f"""
        id {types['bigpk']}, target_id {types['int']} NOT NULL {references.get('target', '')},
        data_product_id {types['int']} {references.get('product', '')}, data_type VARCHAR(100) NOT NULL,
        source_name VARCHAR(100) NOT NULL DEFAULT '', source_location VARCHAR(200) NOT NULL DEFAULT '',
        timestamp_us {types['big']} NOT NULL, value TEXT NOT NULL, value_hash {types['blob']} NOT NULL,
        created_by {types['int']}, created {types['time']} NOT NULL""", indexes)


def _indexes(db, drop: list[str], create: list[str]) -> None:
    for name in drop:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    for statement in create:
        db.execute_sql(statement)


def up(migrator, db):
    if not isinstance(db, peewee.PostgresqlDatabase):
        _rebuild_sqlite(db, INDEXES, {})
        return
    db.execute_sql("ALTER TABLE dp_datum DROP CONSTRAINT IF EXISTS dp_datum_target_id_fkey")
    db.execute_sql("ALTER TABLE dp_datum DROP CONSTRAINT IF EXISTS dp_datum_data_product_id_fkey")
    _indexes(db, ["dp_datum_key", "dp_datum_target", "dp_datum_product", "dp_datum_source", "dp_datum_type"],
             INDEXES)


def down(migrator, db):
    if not isinstance(db, peewee.PostgresqlDatabase):
        _rebuild_sqlite(db, PREVIOUS_INDEXES, REFERENCES)
        return
    db.execute_sql(f"ALTER TABLE dp_datum ADD CONSTRAINT dp_datum_target_id_fkey FOREIGN KEY (target_id) "
                   f"{REFERENCES['target']}")
    db.execute_sql(f"ALTER TABLE dp_datum ADD CONSTRAINT dp_datum_data_product_id_fkey FOREIGN KEY "
                   f"(data_product_id) {REFERENCES['product']}")
    _indexes(db, ["dp_datum_key", "dp_datum_product", "dp_datum_source", "dp_datum_type"], PREVIOUS_INDEXES)
