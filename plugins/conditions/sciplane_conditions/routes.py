"""The route table: every legacy path with its v5 alias, and their trailing-slash rules."""

from __future__ import annotations

from sciplane import Route

from .openapi import operations
from .resources import catalog, iovs, resolution, settings
from .resources.base import Context

READS = frozenset({"GET", "HEAD"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def build(c: Context) -> list[Route]:
    """Routes for one app; auth policy from ``read_auth`` / ``write_auth``."""
    s = c.settings
    public = (frozenset() if s.read_auth else READS) | (frozenset() if s.write_auth else WRITES)
    identified = (READS if s.read_auth else frozenset()) | (WRITES if s.write_auth else frozenset())
    documented = operations(s)

    def pair(legacy: str | None, alias: str | None, resource, name: str,
             alias_constraints: dict[str, str] | None = None) -> list[Route]:
        # Every route declares its operations: a route without them is a bug here.
        openapi = documented[name]
        out = []
        for path in (legacy, alias):
            if path is not None:
                out.append(Route("/" + path, resource, name=f"{name}{'-alias' if path == alias else ''}",
                                 public=public, require_identity=identified, tags=("conditions",),
                                 openapi=openapi, alias_of="/" + legacy if legacy and path == alias else None,
                                 constraints=(alias_constraints or {}) if path == alias else {}))
        return out

    gt_item = catalog.GlobalTagItem(c)
    list_item = catalog.PayloadListItem(c)
    iov_item = iovs.PayloadIOVItem(c)
    delete_iov = iovs.DeleteIOV(c)
    table = [
        *pair("gtstatus", "global-tags/statuses", catalog.Statuses(c), "statuses"),
        *pair("globalTags", "global-tags", catalog.GlobalTags(c), "global-tags"),
        *pair("gt", None, catalog.GlobalTagCollection(c), "gt"),
        *pair("gt/{pk:uint}", None, gt_item, "gt-by-id"),
        *pair("globalTag/{name}", "global-tags/{name}", gt_item, "global-tag"),
        *pair("gtPayloadLists/{name}", "global-tags/{name}/payload-lists", catalog.GlobalTagPayloadLists(c),
              "global-tag-lists"),
        *pair("cloneGlobalTag/{name}/{dst}", "global-tags/{name}/clone/{dst}", catalog.Clone(c), "clone"),
        *pair("gt_change_status/{name}/{status}", "global-tags/{name}/change-status/{status}",
              catalog.ChangeStatus(c), "change-status"),
        *pair("deleteGlobalTag/{name}", "global-tags/{name}/delete", catalog.DeleteGlobalTag(c), "delete-gt"),
        *pair("pt", "payload-types", catalog.PayloadTypes(c), "payload-types"),
        *pair("deletePayloadType/{name}", "payload-types/{name}/delete", catalog.DeletePayloadType(c),
              "delete-payload-type"),
        *pair("pl", "payload-lists", catalog.PayloadLists(c), "payload-lists"),
        # The aliases share their field with sibling routes (Falcon needs one name per position),
        # so the id's digits are a routing constraint there.
        *pair("pl/{pk:uint}", "payload-lists/{name}", list_item, "payload-list", {"name": "[0-9]+"}),
        *pair(None, "payload-lists/by-name/{name}", catalog.PayloadListByName(c), "payload-list-by-name"),
        *pair("pl_attach", "payload-lists/attach", catalog.AttachList(c), "attach-list"),
        *pair("deletePayloadList/{name}", "payload-lists/{name}/delete", catalog.DeletePayloadList(c),
              "delete-payload-list"),
        *pair("piov", "payload-iovs", iovs.PayloadIOVs(c), "payload-iovs"),
        *pair("piov/{pk:uint}", "payload-iovs/{gt}", iov_item, "payload-iov", {"gt": "[0-9]+"}),
        *pair("bulk_piov", "payload-iovs/bulk", iovs.BulkIOVs(c), "bulk"),
        *pair("piov_attach", "payload-iovs/attach", iovs.AttachIOV(c), "attach-iov"),
        *pair("deletePayloadIOV/{gt}/{payload_type}/{major:sint}/{minor:sint}",
              "payload-iovs/{gt}/{payload_type}/{major:sint}/{minor:sint}/delete", delete_iov, "delete-iov"),
        *pair("deletePayloadIOV/{gt}/{payload_type}/{major:sint}/{minor:sint}/{major_end:sint}/{minor_end:sint}",
              "payload-iovs/{gt}/{payload_type}/{major:sint}/{minor:sint}/{major_end:sint}/{minor_end:sint}/delete",
              delete_iov, "delete-iov-range"),
        *pair("payloadiovs/", "payload-iovs/query/", resolution.Resolve(c), "resolve"),
        *pair("user_settings/{name}/", "settings/{name}/", settings.Setting(c), "setting"),
        *pair("timeout", None, settings.Timeout(c), "timeout"),
    ]
    if s.serve_orm_routes:
        objects = resolution.ResolveObjects(c)
        table += [*pair("payloadiovs_orm_orderby/", None, objects, "resolve-orm-orderby"),
                  *pair("payloadiovs_orm_max/", None, objects, "resolve-orm-max")]
    return table
