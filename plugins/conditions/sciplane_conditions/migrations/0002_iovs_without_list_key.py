"""Payload IOVs without a foreign key to their payload list.

``bulk_piov`` writes IOVs by the thousand, and PostgreSQL checked the key of every row (a trigger and a
lookup: about 5 µs of the roughly 12 µs an IOV costs the database).  The services already keep what the
key kept: every write locks the lists it touches first (``state.lock``), deleting a global tag deletes its
lists' IOVs, and a list that holds IOVs cannot be deleted.
"""

import peewee

from sciplane.db import rebuild_sqlite_table

RESOLVE_INDEX = """CREATE INDEX cond_piov_resolve ON cond_payload_iov
    (payload_list_id, major_iov DESC, minor_iov DESC, id DESC)"""


def _rebuild_sqlite(db, reference: str) -> None:
    rebuild_sqlite_table(db, "cond_payload_iov", f"""
        id INTEGER PRIMARY KEY AUTOINCREMENT, payload_url VARCHAR(255) NOT NULL,
        checksum VARCHAR(255) NOT NULL DEFAULT '', size INTEGER, major_iov INTEGER NOT NULL,
        minor_iov INTEGER NOT NULL, major_iov_end INTEGER NOT NULL, minor_iov_end INTEGER NOT NULL,
        extra VARCHAR(255), payload_list_id INTEGER {reference}, created DATETIME NOT NULL,
        updated DATETIME NOT NULL,
        CONSTRAINT cond_piov_range CHECK (major_iov_end > major_iov OR
                                          (major_iov_end = major_iov AND minor_iov_end >= minor_iov))""",
                         [RESOLVE_INDEX])


def up(migrator, db):
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("ALTER TABLE cond_payload_iov DROP CONSTRAINT IF EXISTS cond_payload_iov_payload_list_id_fkey")
    else:
        _rebuild_sqlite(db, "")


def down(migrator, db):
    reference = "REFERENCES cond_payload_list (id) ON DELETE CASCADE"
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql(f"ALTER TABLE cond_payload_iov ADD CONSTRAINT cond_payload_iov_payload_list_id_fkey "
                       f"FOREIGN KEY (payload_list_id) {reference}")
    else:
        _rebuild_sqlite(db, reference)
