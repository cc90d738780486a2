"""Framework overhead: sciplane's ``GET /health/live`` against a bare Falcon app.

Both apps run under the same gunicorn settings in the same run and take the
same load in interleaved rounds (bare, sciplane, bare, ...).  The liveness
endpoint does no I/O, so the gap between them is the cost of sciplane's
request pipeline.  Target: the bare app is at most 1.5 times faster (bare
req/s / sciplane req/s <= 1.5), with no errors.  sciplane's latency
percentiles are also held to 1.5 times the bare app's, but only reported:
with a fixed number of connections the median follows throughput anyway,
and on a 2-core machine the tail is set by scheduling, not by sciplane."""

from __future__ import annotations

from bench.harness import Harness, Options, Result, Row, load_rows

PATH = "/health/live"
OVERHEAD_LIMIT = 1.5


def run(harness: Harness, options: Options) -> Result:
    with harness.server("bench.core.bare_app:app", ready_path=PATH) as bare_server, \
            harness.sciplane(plugins=()) as app:
        runs = harness.compare({"bare": (bare_server, [PATH]), "sciplane": (app.server, [PATH])})
    bare, sciplane = runs["bare"], runs["sciplane"]

    latency_targets = {p: value * OVERHEAD_LIMIT for p, value in bare.latency_ms.items()}
    rows = [*load_rows("bare", bare),
            *load_rows("sciplane", sciplane, throughput_target=bare.throughput / OVERHEAD_LIMIT,
                       latency_targets=latency_targets, latency_gate=False),
            Row("overhead", "bare/sciplane req/s", bare.throughput / max(sciplane.throughput, 1e-9), "x",
                OVERHEAD_LIMIT, higher_is_better=False)]
    return Result("core", f"framework overhead, GET {PATH}: sciplane (no plugins) vs bare Falcon",
                  rows, runs)
