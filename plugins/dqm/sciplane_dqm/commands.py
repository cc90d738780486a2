"""``sciplane dqm …``: register, discover, parse, status, export, purge-file, reconcile and worker.

Every command goes through the same services as the API, so the checks and
errors are the API's; they act as the operator.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import click
import numpy as np

from sciplane.cli import pass_app, run_in_database

from .models import DqmFile, ParseJob
from .query import parse
from .resources.views import file_view, job_view
from .services import export, files, histograms, ingest, parsing

NAME = "dqm"


def _run(ctx, func):
    return run_in_database(ctx, func)


def _settings(ctx):
    return ctx.plugin_settings(NAME)


@click.group("dqm")
def dqm() -> None:
    """DQM histogram store: files, parse jobs, exports, the worker."""


@dqm.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--filetype", help="Filetype (default: from the extension).")
@click.option("--era", "data_era", default="", help="Data era, such as 2018A.")
@pass_app
def register(ctx, paths: tuple[str, ...], filetype: str | None, data_era: str) -> None:
    """Register files by path (they must lie under a data root)."""
    for path in paths:
        file = _run(ctx, lambda path=path: files.register(ctx, _settings(ctx).data_roots, str(Path(path).resolve()),
                                                           filetype, data_era))
        click.echo(f"{file.id}\t{file.filetype}\t{file.filepath}")


@dqm.command()
@pass_app
def discover(ctx) -> None:
    """Register every new .csv and .root file under the data roots."""
    result = _run(ctx, lambda: files.discover(ctx, _settings(ctx).data_roots))
    click.echo(json.dumps(result))


@dqm.command("parse")
@click.argument("file_id", type=int)
@click.option("--dim", "dimensionality", type=click.Choice(["1", "2"]), required=True)
@click.option("--granularity", type=click.Choice(["lum", "run"]), default="lum", show_default=True)
@click.option("--force", is_flag=True, help="Parse again from the start.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True)
@click.option("--inline", is_flag=True, help="Run the job in this process instead of queueing it.")
@pass_app
def parse_file(ctx, file_id: int, dimensionality: str, granularity: str, force: bool, on_error: str,
               inline: bool) -> None:
    """Create or reset the parse job of a file for one key, like start_parsing."""
    request = parsing.ParseRequest(int(dimensionality), granularity, None, force, on_error)
    job = _run(ctx, lambda: parsing.start(ctx, file_id, request, enqueue=not inline))
    if not inline:
        click.echo(f"job {job.id} queued")
        return
    with click.progressbar(length=1, label=f"parsing file {file_id}") as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)
        _run(ctx, lambda: ingest.run_job(ctx, job.id, progress))
    finished = _run(ctx, lambda: ParseJob.get_by_id(job.id))
    click.echo(json.dumps(job_view(finished), default=str))
    if finished.status != ingest.DONE:
        raise SystemExit(1)


@dqm.command()
@click.argument("file_id", type=int, required=False)
@pass_app
def status(ctx, file_id: int | None) -> None:
    """Files with their jobs' progress (one file, or all)."""
    def collect():
        chosen = [files.get(file_id)] if file_id is not None else list(DqmFile.select().order_by(DqmFile.id))
        jobs = files.jobs_of(chosen)
        return [file_view(file, jobs[file.id]) for file in chosen]
    for view in _run(ctx, collect):
        click.echo(f"{view['id']}\t{view['status']}\t{view['percentage_processed']:.1f}%\t{view['filepath']}")
        for job in view["jobs"]:
            error = f"\t{job['error']['code']}: {job['error']['message']}" if job["error"] else ""
            click.echo(f"  job {job['id']} ({job['dimensionality']}D {job['granularity']}): {job['status']} "
                       f"{job['entries_processed']}/{job['entries_total']}{error}")


@dqm.command("export")
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
@click.option("--where", default="", help="Filters in the API's query syntax, e.g. 'dim=1&run_number=357538'.")
@click.option("--format", "kind", type=click.Choice(["npy", "npz"]), default=None,
              help="Default: from the output's extension.")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True)
@pass_app
def export_selection(ctx, output: str, where: str, kind: str | None, dtype: str) -> None:
    """Write a selection of histograms as one stacked array."""
    kind = kind or ("npz" if output.endswith(".npz") else "npy")
    values = _run(ctx, lambda: parse(parse_qs(where, keep_blank_values=True), histograms.FILTERS))
    selection = _run(ctx, lambda: export.select(values, _settings(ctx), itemsize=np.dtype(dtype).itemsize))
    chunks = export.npy_chunks(selection, dtype) if kind == "npy" else export.npz_chunks(selection, dtype)
    with open(output, "wb") as sink, click.progressbar(length=selection.count, label="exporting") as bar:
        def write():
            for chunk in chunks:
                sink.write(chunk)
                bar.update(min(export.BATCH, selection.count - bar.pos))
        _run(ctx, write)
    click.echo(f"{selection.count} histogram(s) written to {output}")


@dqm.command("purge-file")
@click.argument("file_id", type=int)
@pass_app
def purge_file(ctx, file_id: int) -> None:
    """Delete a file's histograms in batches (they are kept when the file is deleted)."""
    with click.progressbar(length=0, label=f"purging file {file_id}") as bar:
        deleted = _run(ctx, lambda: files.purge(file_id, progress=bar.update))
    click.echo(f"{deleted} histogram(s) deleted")


@dqm.command()
@pass_app
def reconcile(ctx) -> None:
    """Queue again the jobs of dead workers and lost enqueues, once."""
    ids = _run(ctx, lambda: parsing.reconcile(ctx, _settings(ctx).stale_after_s))
    click.echo(f"re-queued {len(ids)} job(s)" + (f": {', '.join(map(str, ids))}" if ids else ""))


@dqm.command()
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes.")
@click.pass_context
def worker(click_ctx, workers: int) -> None:
    """The job consumer (``sciplane worker``: every plugin's jobs, with the dqm reconciler beside it)."""
    from sciplane.cli.server import worker as core_worker
    click_ctx.invoke(core_worker, workers=workers, processes=workers > 1)


COMMANDS = [dqm]
