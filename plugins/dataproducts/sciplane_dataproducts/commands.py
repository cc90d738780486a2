"""``sciplane dp …`` (also ``sciplane dataproducts …``): upload files with a progress bar, list products,
remove orphaned blobs.

Uploads go through the same checks, processors and transaction as the API; ``--user`` names the account
they are made as (without it, the operator acts as staff and owns nothing).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import click

from sciplane import Identity
from sciplane.cli import pass_app, run_in_database

from .catalogue import Catalogue
from .models import Product
from .services import product_forms, uploads

NAME = "dataproducts"
TOKEN = re.compile(r"[0-9a-f]{32}")
OPERATOR = Identity(username="operator", name="operator", is_staff=True, provider="cli", via="cli")


def _catalogue(ctx) -> Catalogue:
    return Catalogue.build(ctx, ctx.plugin_settings(NAME))


def _identity(ctx, username: str | None) -> Identity:
    if username is None:
        return OPERATOR
    user = ctx.accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return ctx.accounts.identity_for(user, via="cli")


def _run(ctx, func):
    return run_in_database(ctx, func)


@click.group("dp")
def dp() -> None:
    """Data products: upload, list, collect orphaned blobs."""


@dp.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", help="Upload as this user (default: the operator, as staff).")
@click.option("--dialect", type=click.Choice(["tom", "gsp"]), default="tom", show_default=True,
              help="tom: a product of a target; gsp: a Goodman FITS file.")
@click.option("--target", type=int, help="Target id (required by the TOM dialect).")
@click.option("--type", "data_product_type", help="Data product type (TOM: required; GSP: fits_file).")
@click.option("--product-id", help="Product id (one file only).")
@click.option("--group", "groups", multiple=True, help="Group allowed to view and delete (repeatable).")
@click.option("--data-type", type=click.IntRange(0, 5), help="GSP reduction level, overriding the header's.")
@click.option("--proposal-id", help="GSP proposal (SOAR id), overriding PROPID.")
@click.option("--directory", help="GSP directory name, overriding GSP_PATH.")
@pass_app
def upload(ctx, paths: tuple[Path, ...], username, dialect, target, data_product_type, product_id, groups,
           data_type, proposal_id, directory) -> None:
    """Upload files as the API would, one product each, with a progress bar."""
    if product_id and len(paths) > 1:
        raise click.UsageError("--product-id names one product: give one file")
    cat = _catalogue(ctx)
    fields = {name: value for name, value in {
        "target": target, "data_product_type": data_product_type, "product_id": product_id,
        "groups": list(groups) or None, "data_type": data_type, "proposal_id": proposal_id,
        "directory_name": directory}.items() if value is not None}
    with ctx.database.connection_context():
        identity = _identity(ctx, username)

    def check(form, partial: bool):
        if dialect == "tom":
            return product_forms.tom(identity, form, cat.settings, cat.types, partial=partial)
        return product_forms.goodman(identity, form, cat.settings, cat.types, cat.visible_products(identity),
                                     partial=partial)

    for path in paths:
        with click.progressbar(length=path.stat().st_size, label=path.name, file=sys.stderr,
                               show_pos=True) as bar:
            outcome = _run(ctx, lambda path=path, bar=bar: uploads.upload_file(cat, identity, path, fields, check,
                                                                               bar.update))
        click.echo(f"{outcome.product.id}\t{outcome.product.file_name}\t{outcome.product.data_product_type}\t"
                   f"{outcome.created} datums ({outcome.skipped} duplicates skipped)")


@dp.command("list")
@click.option("--user", "username", help="List what this user may see (default: everything).")
@click.option("--target", type=int, help="Only this target's products.")
@click.option("--fits", is_flag=True, help="Only FITS files (what the Goodman dialect lists).")
@click.option("--limit", type=int, default=50, show_default=True)
@pass_app
def list_products(ctx, username, target, fits, limit) -> None:
    """Products, newest first: id, type, target, reduction level, size, file name."""
    cat = _catalogue(ctx)

    def rows():
        query = Product.select().where(cat.visible_products(_identity(ctx, username)))
        if target is not None:
            query = query.where(Product.target == target)
        if fits:
            query = query.where(Product.is_fits)
        return list(query.order_by(Product.created.desc(), Product.id.desc()).limit(limit))

    for p in _run(ctx, rows):
        level = "-" if p.reduction_level is None else p.reduction_level
        click.echo(f"{p.id}\t{p.data_product_type}\t{p.target_id or '-'}\t{level}\t{p.size}\t{p.file_name}")


@dp.command()
@click.option("--dry-run", is_flag=True, help="Only list the orphaned keys.")
@click.option("--min-age", type=int, default=3600, show_default=True,
              help="Seconds a blob must have existed: younger ones may belong to an upload still in progress. "
                   "A store that cannot tell a blob's age is only collected with --min-age 0.")
@pass_app
def gc(ctx, dry_run: bool, min_age: int) -> None:
    """Delete blobs of uploads that never became products (a crash between the write and the commit).

    Only keys in the upload layout (a 32-hex token segment) are considered, so files a pipeline wrote for a
    later registration are never touched; each key is looked up again just before it is deleted."""
    cat = _catalogue(ctx)
    cutoff = time.time() - min_age
    found = 0
    with ctx.database.connection_context():
        for key in cat.store.keys():
            if not _uploaded(key) or not _older(cat.store, key, cutoff, min_age):
                continue
            if Product.select().where(Product.blob_key == key).exists():
                continue
            found += 1
            if not dry_run:
                cat.store.delete(key)
            click.echo(key)
    click.echo(f"{found} orphaned blob(s) {'found' if dry_run else 'deleted'}", err=True)


def _uploaded(key: str) -> bool:
    """Whether the key has the upload layout's token segment (``…/<32 hex>/<file name>``)."""
    parts = key.split("/")
    return len(parts) >= 2 and TOKEN.fullmatch(parts[-2]) is not None


def _older(store, key: str, cutoff: float, min_age: int) -> bool:
    """Whether the blob was written before ``cutoff``; a remote store's blobs, whose age is unknown, only when
    no minimum age is asked for."""
    path = store.local_path(key)
    if path is None:
        return min_age == 0
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


# The specification calls the group by the plugin's name; both names work.
dataproducts = click.Group("dataproducts", commands=dp.commands, help=dp.help)
COMMANDS = [dp, dataproducts]
