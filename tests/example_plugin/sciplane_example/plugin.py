"""Hook implementations of the example plugin."""

from pathlib import Path

import click
from marshmallow import Schema, fields, validate

from sciplane import Action, EndpointGroup, ParserSpec, Route, hookimpl, write_transaction

from .models import Note
from .parser import JsonLinesParser


class ExampleSettings(Schema):
    greeting = fields.String(load_default="hello")


class NoteCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class NoteSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    author = fields.String()


class Hello:
    def __init__(self, greeting):
        self.greeting = greeting

    def on_get(self, req, resp):
        """A public greeting."""
        resp.media = {"message": self.greeting}


class Notes:
    def __init__(self, ctx):
        self.ctx = ctx

    def on_get(self, req, resp):
        """List notes."""
        resp.media = [{"id": n.id, "text": n.text, "author": n.author} for n in Note.select().order_by(Note.id)]

    def on_post(self, req, resp):
        """Add a note; the text is checked against permission rules."""
        text = NoteCreateSchema().load(req.get_media())["text"]  # invalid input → 422
        self.ctx.authorizer.check(req.identity, "example.write", {"text": text})
        with write_transaction():
            note = Note.create(text=text, author=req.identity.username)
        resp.status = 201
        resp.media = {"id": note.id, "text": note.text, "author": note.author}


@hookimpl
def config_schema():
    return ExampleSettings


@hookimpl
def register_models():
    return [Note]


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def register_actions():
    return [Action("example.read", "List notes"), Action("example.write", "Add notes")]


@hookimpl
def register_endpoint_groups(ctx):
    settings = ctx.plugin_settings("example")
    return [EndpointGroup("example", "/example", slashes="tolerant", routes=[
        Route("/hello", Hello(settings.greeting), public=True),
        Route("/notes", Notes(ctx), actions={"GET": "example.read"}, openapi={
            "get": {"responses": {"200": {"description": "Notes", "content": {
                "application/json": {"schema": {"type": "array", "items": NoteSchema}}}}}},
            "post": {"requestBody": {"required": True, "content": {"application/json": {"schema": NoteCreateSchema}}},
                     "responses": {"201": {"description": "Created", "content": {
                         "application/json": {"schema": NoteSchema}}}}},
        }),
    ])]


@hookimpl
def register_parsers():
    return [ParserSpec("jsonl", 1, "lum", JsonLinesParser())]


@hookimpl
def permission_allowed(identity, action, resource):
    if action == "example.read":
        return True
    if action == "example.write":
        # A veto that even superusers cannot pass.
        if resource and "forbidden" in resource.get("text", ""):
            return False
        return True if "example-writer" in identity.roles else None
    return None


@hookimpl
def register_commands():
    @click.command("example-greet")
    @click.argument("name")
    def greet(name):
        """Greet NAME (a command contributed by the example plugin)."""
        click.echo(f"hello, {name}")

    return [greet]


@hookimpl
def worker_started(ctx):
    # Leaves a mark the test suite can see: the consumer called the hook before taking jobs.
    from pathlib import Path
    Path(ctx.settings.data_dir, "example-worker-started").write_text("yes")


@hookimpl
def load_demo(ctx, echo):
    with write_transaction():
        Note.create(text="first note", author="demo")
    echo("example: 1 note")
