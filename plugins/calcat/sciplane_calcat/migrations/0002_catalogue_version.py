"""The catalogue version: one counter that every change of a catalogue table bumps, in the database.

Lookup answers are cached per worker under this version (``cached.py``).
Triggers rather than service code keep it: no write can forget it, whether
it comes from the API, the CLI, a bulk load or plain SQL.  The bump is part
of the writing transaction, so a reader sees the new version exactly when it
sees the new rows.  PostgreSQL bumps once per statement; SQLite (whose
triggers are per row) once per row.
"""

import peewee

STATE = "CREATE TABLE calcat_state (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)"
BUMP = "UPDATE calcat_state SET version = version + 1 WHERE id = 1"
POSTGRES_FUNCTION = f"""CREATE FUNCTION calcat_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {BUMP};
    RETURN NULL;
END $$"""
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def catalogue_tables(db) -> list[str]:
    return sorted(t for t in db.get_tables() if t.startswith("calcat_") and t != "calcat_state")


def up(migrator, db):
    postgres = isinstance(db, peewee.PostgresqlDatabase)
    db.execute_sql(STATE)
    db.execute_sql("INSERT INTO calcat_state (id, version) VALUES (1, 0)")
    if postgres:
        db.execute_sql(POSTGRES_FUNCTION)
    for table in catalogue_tables(db):
        if postgres:
            db.execute_sql(f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                           "FOR EACH STATEMENT EXECUTE FUNCTION calcat_bump_version()")
            continue
        for operation in OPERATIONS:
            db.execute_sql(f"CREATE TRIGGER {table}_version_{operation.lower()} AFTER {operation} ON {table} "
                           f"BEGIN {BUMP}; END")


def down(migrator, db):
    postgres = isinstance(db, peewee.PostgresqlDatabase)
    for table in catalogue_tables(db):
        if postgres:
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        else:
            for operation in OPERATIONS:
                db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_version_{operation.lower()}")
    if postgres:
        db.execute_sql("DROP FUNCTION IF EXISTS calcat_bump_version()")
    db.execute_sql("DROP TABLE IF EXISTS calcat_state")
