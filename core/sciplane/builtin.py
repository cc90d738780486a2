"""The core's internal plugin: its tables, endpoints and default behaviour.

Default behaviour is ``trylast``, so an installed plugin can take over
authentication or add permission rules without the core knowing about it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .auth.authenticator import resolve_core_credentials
from .auth.identity import Action
from .auth.models import MODELS as ACCOUNT_MODELS
from .auth.oauth import TokenEndpoint
from .endpoints.docs import DocsPage, OpenAPIDocument
from .endpoints.health import Health, Liveness
from .endpoints.index import ApiIndex
from .endpoints.jobs import JobItem
from .hookspecs import hookimpl
from .jobs import Job
from .routing import EndpointGroup, Route
from .storage import local_store_factory

audit_log = logging.getLogger("sciplane.audit")


@hookimpl
def register_models():
    return [*ACCOUNT_MODELS, Job]


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def register_actions():
    return [Action("core.jobs.read", "Read the status of any background job")]


@hookimpl
def register_endpoint_groups(ctx):
    return [EndpointGroup(
        name="core", mount="", description="Health, API index, jobs, OpenAPI and documentation",
        routes=[
            Route("/health", Health(ctx), name="health", public=True, tags=("core",)),
            Route("/health/live", Liveness(), name="liveness", public=True, tags=("core",)),
            Route("/api", ApiIndex(ctx), name="api", public=True, tags=("core",)),
            Route("/api/jobs/{job_id}", JobItem(ctx), name="job", tags=("core",)),
            Route("/openapi.json", OpenAPIDocument(ctx), name="openapi", public=True, tags=("core",)),
            Route("/docs", DocsPage(), name="docs", public=True, tags=("core",)),
            Route("/oauth/token", TokenEndpoint(ctx.accounts), name="oauth-token", public=True, tags=("auth",),
                  openapi=TokenEndpoint.OPENAPI),
        ])]


@hookimpl(trylast=True)
def authenticate(credentials, ctx):
    return resolve_core_credentials(credentials, ctx.accounts, ctx.settings.auth.jwt_secret)


@hookimpl(trylast=True)
def permission_allowed(identity, action, ctx):
    if identity.is_superuser:
        return True
    return True if ctx.grants.allows(identity, action) else None


@hookimpl(trylast=True)
def register_blob_stores():
    return {"local": local_store_factory}


@hookimpl(trylast=True)
def on_event(event):
    audit_log.info("%s by %s %s", event.name, event.identity.username or "anonymous", dict(event.data))
