"""The example_note table."""

from peewee import CharField, DateTimeField, Model, TextField


def up(migrator, db):
    class Note(Model):
        text = TextField()
        author = CharField(max_length=150, default="")
        created = DateTimeField()

        class Meta:
            database = db
            table_name = "example_note"

    db.create_tables([Note])


def down(migrator, db):
    db.execute_sql('DROP TABLE "example_note"')
