"""An index for the proposal rule (P4) of the file lists: a proposal's bound files by reduction level, newest
first.  A member's list is then a range of this index, counted without reading the table on PostgreSQL
(where it also carries the columns the common Goodman filters test), instead of every file of the proposal
read and most of them discarded."""

import peewee

COLUMNS = "proposal_id, reduction_level, created DESC, id DESC"


def up(migrator, db):
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql(f"CREATE INDEX dp_product_bound ON dp_product ({COLUMNS}) "
                       "INCLUDE (is_fits, grating, slit, obstype, wavmode, camera) WHERE proposal_bound")
    else:
        db.execute_sql(f"CREATE INDEX dp_product_bound ON dp_product ({COLUMNS}) WHERE proposal_bound")


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS dp_product_bound")
