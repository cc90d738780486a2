"""``sciplane conditions …``: operator commands, all through the plugin's services."""

from __future__ import annotations

import csv
import datetime as dt

import click

from sciplane import Identity
from sciplane.cli import pass_app, run_in_database

from .points import MAX
from .services import check as checks
from .services import for_app, reads, resolution
from .services.catalog import LOCKED, UNLOCKED, ensure_statuses

# Commands act as the operator: whoever can run them can reach the database anyway.
OPERATOR = Identity(username="cli", name="command line", provider="cli", is_superuser=True, via="cli")
BULK_CHUNK = 5000


def _services(ctx):
    return for_app(ctx, ctx.plugin_settings("conditions"))


def _run(ctx, func):
    return run_in_database(ctx, func, describe=lambda exc: f"{exc.description} ({exc.code})"
                           + (f" {exc.errors}" if exc.errors else ""))


@click.group("conditions")
def conditions() -> None:
    """Conditions database: tags, IOVs, resolution, maintenance."""


@conditions.command("create-tag")
@click.argument("name")
@click.option("--author", default=None)
@click.option("--status", default=UNLOCKED, show_default=True)
@pass_app
def create_tag(ctx, name, author, status) -> None:
    """Create a global tag (the standard statuses are created when missing)."""
    def create():
        ensure_statuses()
        return _services(ctx).catalog.create_global_tag(OPERATOR, name, status, author)
    gt = _run(ctx, create)
    click.echo(f"created global tag {gt.name} (id {gt.id}, {status})")


def _rows(path: str):
    """Lines ``payload_url,checksum,major,minor[,major_end,minor_end]`` (``#`` starts a comment)."""
    with open(path, newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or row[0].startswith("#"):
                continue
            if len(row) not in (4, 6):
                raise click.ClickException(f"{path}:{number}: expected 4 or 6 fields, got {len(row)}")
            try:
                values = [int(v) for v in row[2:]]
            except ValueError:
                raise click.ClickException(f"{path}:{number}: IOV bounds must be integers") from None
            end = tuple(values[2:]) if len(values) == 4 else (MAX, MAX)
            yield {"payload_url": row[0].strip(), "checksum": row[1].strip(), "major_iov": values[0],
                   "minor_iov": values[1], "major_iov_end": end[0], "minor_iov_end": end[1], "size": None,
                   "extra": None}


@conditions.command("insert")
@click.argument("gt")
@click.argument("payload_type")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_app
def insert(ctx, gt, payload_type, path) -> None:
    """Insert the IOVs listed in a CSV file into GT's list of PAYLOAD_TYPE, one attach each.

    Each line is ``payload_url,checksum,major,minor[,major_end,minor_end]``;
    attaches follow the tag's rules (trimming on unlocked tags, append-only
    on locked ones), exactly as the clients' inserts do.
    """
    services = _services(ctx)
    rows = list(_rows(path))

    def prepare() -> str:
        lists = reads.gt_payload_lists(_gt_id(gt))
        if payload_type in lists:
            return lists[payload_type]
        if reads.payload_type_by_name(payload_type) is None:
            services.catalog.create_type(OPERATOR, payload_type)
        created = services.catalog.create_list(OPERATOR, payload_type)
        services.catalog.attach_list(OPERATOR, gt, created.name)
        return created.name

    list_name = _run(ctx, prepare)
    with click.progressbar(rows, label=f"inserting into {list_name}") as bar:
        for row in bar:
            _run(ctx, lambda row=row: services.iovs.attach(OPERATOR, list_name,
                                                            services.iovs.create(OPERATOR, row).id))
    click.echo(f"inserted {len(rows)} IOV(s) into {gt}/{payload_type}")


def _gt_id(name: str) -> int:
    gt = reads.global_tag(name=name)
    if gt is None:
        raise click.ClickException(f"no global tag {name!r}")
    return gt.id


@conditions.command("resolve")
@click.argument("gt")
@click.argument("run", type=int)
@click.option("--major", type=int, default=0, show_default=True,
              help="Major IOV; sPHENIX uses 0 with the run number as the minor.")
@pass_app
def resolve(ctx, gt, run, major) -> None:
    """Print the payload of every type valid at RUN in GT."""
    rows = _run(ctx, lambda: resolution.resolve(_gt_id(gt), major, run))
    for name, url, checksum, _size, *bounds, _extra in rows:
        click.echo(f"{name}\t{url}\t{checksum}\t[{bounds[0]},{bounds[1]}) .. ({bounds[2]},{bounds[3]})")
    if not rows:
        click.echo("no payload valid at this point")


def _set_status(ctx, gt: str, status: str) -> None:
    _run(ctx, lambda: _services(ctx).catalog.change_status(OPERATOR, gt, status))
    click.echo(f"{gt} is {status}")


@conditions.command("lock")
@click.argument("gt")
@pass_app
def lock(ctx, gt) -> None:
    """Lock a global tag (append-only)."""
    _set_status(ctx, gt, LOCKED)


@conditions.command("unlock")
@click.argument("gt")
@pass_app
def unlock(ctx, gt) -> None:
    """Unlock a global tag."""
    _set_status(ctx, gt, UNLOCKED)


@conditions.command("clone")
@click.argument("source")
@click.argument("target")
@pass_app
def clone(ctx, source, target) -> None:
    """Copy a global tag with its lists and IOVs (the copy is unlocked)."""
    gt = _run(ctx, lambda: _services(ctx).catalog.clone(OPERATOR, source, target))
    click.echo(f"cloned {source} to {gt.name} (id {gt.id})")


@conditions.command("check")
@click.option("--fix", is_flag=True, help="Repair wrong IOV counts (overlaps are only reported).")
@pass_app
def check(ctx, fix) -> None:
    """Recompute the counters and check the invariants; exit 1 on a problem."""
    report = _run(ctx, lambda: checks.check(fix_counts=fix))
    for name, stored, actual in report.count_mismatches:
        click.echo(f"list {name}: iov_count {stored}, actually {actual}" + (" (fixed)" if fix else ""))
    for name, pairs in report.overlaps:
        click.echo(f"note: list {name} has {pairs} overlapping IOV pair(s) (bulk-loaded; attaches never overlap)")
    if report.ok or fix:
        click.echo("all invariants hold" if report.ok else "counts repaired")
    else:
        raise SystemExit(1)


@conditions.command("load-benchmark")
@click.option("--types", "types", type=click.IntRange(1), required=True, help="Payload types (one list each).")
@click.option("--iovs", type=click.IntRange(1), required=True, help="IOVs per list.")
@click.option("--gt", "gt", required=True, help="Name of the global tag to create.")
@pass_app
def load_benchmark(ctx, types, iovs, gt) -> None:
    """Build a benchmark tag through the bulk service: IOV i of each list starts at (i, 0), open-ended."""
    services = _services(ctx)

    def prepare() -> list[str]:
        ensure_statuses()
        services.catalog.create_global_tag(OPERATOR, gt, UNLOCKED, "benchmark")
        names = []
        for index in range(types):
            type_name = f"bench_type_{index:04d}"
            if reads.payload_type_by_name(type_name) is None:
                services.catalog.create_type(OPERATOR, type_name)
            created = services.catalog.create_list(OPERATOR, type_name)
            services.catalog.attach_list(OPERATOR, gt, created.name)
            names.append(created.name)
        return names

    names = _run(ctx, prepare)
    items = ({"payload_url": f"{gt}/{name}/{i}.dat", "checksum": f"{i:08x}", "size": None, "extra": None,
              "major_iov": i, "minor_iov": 0, "major_iov_end": MAX, "minor_iov_end": MAX, "payload_list": name}
             for name in names for i in range(iovs))
    total = types * iovs
    with click.progressbar(length=total, label=f"loading {gt}") as bar:
        batch = []
        for item in items:
            batch.append(item)
            if len(batch) == BULK_CHUNK:
                _run(ctx, lambda batch=batch: services.iovs.bulk(OPERATOR, batch))
                bar.update(len(batch))
                batch = []
        if batch:
            _run(ctx, lambda: services.iovs.bulk(OPERATOR, batch))
            bar.update(len(batch))
    click.echo(f"loaded {gt}: {types} lists x {iovs} IOVs")


@conditions.command("prune-detached")
@click.option("--older-than", "days", type=click.IntRange(0), required=True, help="Age in days.")
@click.confirmation_option(prompt="Detached IOVs are the only history. Delete them?")
@pass_app
def prune_detached(ctx, days) -> None:
    """Delete detached IOVs not changed for DAYS days (never run automatically)."""
    cutoff = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days)
    deleted = _run(ctx, lambda: _services(ctx).iovs.prune_detached(cutoff))
    click.echo(f"deleted {deleted} detached IOV(s)")


COMMANDS = [conditions]
