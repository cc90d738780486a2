import peewee

from sciplane import BaseModel, utcnow


class Note(BaseModel):
    text = peewee.TextField()
    author = peewee.CharField(max_length=150, default="")
    created = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "example_note"
