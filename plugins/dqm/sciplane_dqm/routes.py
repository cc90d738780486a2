"""The route table under ``/api/dqm`` (the playground namespace included, so no two mounts overlap)."""

from __future__ import annotations

from sciplane import Route

from .resources import catalog, files, histograms, playground
from .resources.base import Context

READ, REGISTER, DELETE, PARSE, DISCOVER = "dqm.read", "dqm.register", "dqm.delete", "dqm.parse", "dqm.discover"
TAGS = ("dqm",)


# Successes other than 200, for the OpenAPI document.
CREATED = {"post": {"responses": {"201": {"description": "Registered; Location names the file"}}}}
ACCEPTED = {method: {"responses": {"202": {"description": "The job, queued (Location names it)"}}}
            for method in ("get", "post")}
DELETED = {"delete": {"responses": {"204": {"description": "Deleted"}}}}
DISCOVERED = {"get": {"responses": {"202": {"description": "Files registered by discovery"}}}}


def route(path: str, resource, name: str, openapi: dict | None = None, *, head: bool | None = None,
          **actions: str) -> Route:
    """A dqm route; ``head=False`` where GET changes state (the reference's action routes), as HEAD must not."""
    return Route(path, resource, name=f"dqm-{name}", actions={"GET": READ, **actions}, tags=TAGS,
                 openapi=openapi or {}, head=head)


def build(c: Context, mount: str) -> list[Route]:
    start_parsing = files.StartParsing(c, jobs_path=f"{mount}/jobs")
    return [
        route("/parsers", catalog.Parsers(c), "parsers"),
        route("/files", files.Files(c), "files", CREATED, POST=REGISTER),
        route("/files/discover", files.Discover(c), "files-discover", POST=DISCOVER),
        route("/files/{file_id:uint(9)}", files.FileItem(), "file", DELETED, DELETE=DELETE),
        route("/files/{file_id:uint(9)}/start_parsing", start_parsing, "start-parsing", ACCEPTED, head=False,
              GET=PARSE, POST=PARSE),
        route("/jobs", files.Jobs(), "jobs"),
        route("/jobs/{job_id:uint(9)}", files.JobItem(), "job"),
        route("/histograms", histograms.Histograms(c), "histograms"),
        route("/histograms/count", histograms.HistogramCount(c), "histograms-count"),
        route("/histograms/export", histograms.Export(c), "histograms-export"),
        route("/histograms/stack", histograms.Stack(c), "histograms-stack"),
        route("/histograms/{histogram_id:uint(18)}", histograms.HistogramItem(c), "histogram"),
        route("/histograms/{histogram_id:uint(18)}/plot", histograms.HistogramPlot(c), "histogram-plot"),
        route("/runs", catalog.Runs(c), "runs"),
        route("/runs/count", catalog.RunCount(c), "runs-count"),
        route("/runs/{run_number:uint(9)}", catalog.RunItem(c), "run"),
        route("/lumisections", catalog.Lumisections(c), "lumisections"),
        route("/lumisections/count", catalog.LumisectionCount(c), "lumisections-count"),
        route("/titles", catalog.Titles(c), "titles"),
        *playground_routes(c, start_parsing),
    ]


def playground_routes(c: Context, start_parsing: files.StartParsing) -> list[Route]:
    p = "/playground"
    return [
        route(f"{p}/histogram_data_files", playground.DataFiles(c), "pg-files", CREATED, POST=REGISTER),
        route(f"{p}/histogram_data_files/discover", playground.Discover(c), "pg-discover", DISCOVERED,
              head=False, GET=DISCOVER),
        route(f"{p}/histogram_data_files/{{file_id:uint(9)}}", playground.DataFile(), "pg-file", DELETED,
              DELETE=DELETE),
        route(f"{p}/histogram_data_files/{{file_id:uint(9)}}/start_parsing", start_parsing, "pg-start-parsing",
              ACCEPTED, head=False, GET=PARSE, POST=PARSE),
        route(f"{p}/lumisection_histograms_1d", playground.LumisectionHistograms(c, 1), "pg-histograms-1d"),
        route(f"{p}/lumisection_histograms_1d/{{histogram_id:uint(18)}}", playground.LumisectionHistogram(c, 1),
              "pg-histogram-1d"),
        route(f"{p}/lumisection_histograms_2d", playground.LumisectionHistograms(c, 2), "pg-histograms-2d"),
        route(f"{p}/lumisection_histograms_2d/{{histogram_id:uint(18)}}", playground.LumisectionHistogram(c, 2),
              "pg-histogram-2d"),
        route(f"{p}/runs", playground.Runs(c), "pg-runs"),
        route(f"{p}/runs/{{run_number:uint(9)}}", playground.RunItem(c), "pg-run"),
        route(f"{p}/lumisections", playground.Lumisections(c), "pg-lumisections"),
    ]
