"""``sciplane serve`` (gunicorn, plus a job consumer on the embedded queue) and ``sciplane worker``."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import click

from .main import pass_app


def _refuse_unmigrated(ctx, migrate: bool) -> None:
    pending = ctx.pending_migrations()
    if not pending:
        return
    if migrate:
        applied = ctx.migrate()
        click.echo("applied " + ", ".join(f"{p}: {', '.join(n)}" for p, n in applied.items()), err=True)
        return
    listing = "; ".join(f"{plugin}: {', '.join(names)}" for plugin, names in pending.items())
    raise click.ClickException(
        f"the database has unapplied migrations ({listing}). "
        "Run `sciplane migrate` first, or start with `sciplane serve --migrate`.")


def redact(url: str) -> str:
    """A URL safe to print: the password replaced."""
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def run_gunicorn(options: dict, on_exit=None) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)
            if on_exit is not None:
                self.cfg.set("on_exit", lambda arbiter: on_exit())

        def load(self):
            # Runs in each worker after the fork: every worker builds its own
            # app and database pool, as `gunicorn sciplane.wsgi:app` does.
            from ..wsgi import app
            return app

    Server().run()


@click.command()
@click.option("--bind", help="HOST:PORT to listen on (default from [server] bind, 127.0.0.1:8000).")
@click.option("--workers", type=click.IntRange(1, 256), help="Number of gunicorn worker processes.")
@click.option("--migrate", "do_migrate", is_flag=True, help="Apply pending migrations before serving.")
@click.option("--consumer/--no-consumer", default=None,
              help="Run one job consumer beside the server (default: yes on the embedded SQLite queue).")
@pass_app
def serve(ctx, bind: str | None, workers: int | None, do_migrate: bool, consumer: bool | None) -> None:
    """Serve the API with gunicorn."""
    from ..logs import configure_logging
    configure_logging(ctx.settings.logging.level)
    _refuse_unmigrated(ctx, do_migrate)
    server = ctx.settings.server
    jobs = ctx.settings.jobs
    if consumer is None:
        consumer = server.consumer and jobs.url.startswith("sqlite:") and not jobs.immediate
    child = None
    if consumer and ctx.jobs.specs:
        child = subprocess.Popen([sys.executable, "-m", "sciplane", "worker"])

    def stop_consumer() -> None:
        if child is not None and child.poll() is None:
            # SIGINT lets huey finish running jobs; SIGTERM would interrupt them.
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=ctx.settings.server.timeout)
            except subprocess.TimeoutExpired:
                child.kill()

    options = {"bind": bind or server.bind, "workers": workers or server.workers,
               "worker_class": server.worker_class, "threads": server.threads, "timeout": server.timeout,
               "keepalive": server.keepalive, "proc_name": "sciplane",
               # gunicorn's control socket has one path per user: several
               # servers on one host would fight over it, and nothing uses it.
               "control_socket_disable": True}
    try:
        run_gunicorn(options, on_exit=stop_consumer)
    finally:
        stop_consumer()


@click.command()
@click.option("--workers", "-w", type=click.IntRange(1, 64), help="Consumer threads (default [jobs] workers).")
@click.option("--processes", is_flag=True, help="Use worker processes instead of threads.")
@pass_app
def worker(ctx, workers: int | None, processes: bool) -> None:
    """Run a job consumer for the configured queue."""
    from ..logs import configure_logging
    configure_logging(ctx.settings.logging.level)
    if ctx.pending_migrations():
        raise click.ClickException("the database is not migrated; run `sciplane migrate` first")
    consumer = ctx.jobs.consumer(workers=workers or ctx.settings.jobs.workers,
                                 worker_type="process" if processes else "thread")
    ctx.pm.hook.worker_started(ctx=ctx)
    click.echo(f"consuming {', '.join(sorted(ctx.jobs.specs)) or 'no jobs'} from {redact(ctx.settings.jobs.url)}",
               err=True)
    consumer.run()


COMMANDS = [serve, worker]
