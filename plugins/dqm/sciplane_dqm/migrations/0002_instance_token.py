"""A random number for this database, part of every cached read's ETag.

The ETag's data version (chunks committed, ``data_epoch``) starts again at zero in a database that is built
anew, and two deployments can stand at the same counts: without something that names the database, a client
could revalidate a copy of other data with a 304.  A restored backup keeps its number, and its data.
"""

import secrets


def up(migrator, db):
    db.execute_sql(f"INSERT INTO dqm_meta (key, value) VALUES ('instance', {secrets.randbits(62)})")


def down(migrator, db):
    db.execute_sql("DELETE FROM dqm_meta WHERE key = 'instance'")
