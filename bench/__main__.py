"""``python -m bench [names...]``: run benchmarks, print their tables, write ``bench/results/<name>.json``.

Exit status: 0 when every figure meets its target, 1 when one misses it
(or a run saw errors), 2 when a benchmark could not run at all.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from .harness import Harness, Options, Result, describe_settings, format_result, write_result

BENCH_DIR = Path(__file__).resolve().parent
QUICK = {"duration": 2.0, "warmup": 0.5, "rounds": 1}


def discover() -> list[str]:
    """Every ``bench/<name>/bench.py``: adding a benchmark needs no registration."""
    return sorted(path.parent.name for path in BENCH_DIR.glob("*/bench.py"))


def parse_args(argv: list[str]) -> tuple[list[str], Options]:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(discover())})")
    parser.add_argument("--duration", type=float, help=f"measured seconds per load run ({defaults.duration})")
    parser.add_argument("--warmup", type=float, help=f"unmeasured warm-up seconds ({defaults.warmup})")
    parser.add_argument("--connections", type=int, help=f"concurrent keep-alive connections ({defaults.connections})")
    parser.add_argument("--driver-processes", dest="processes", type=int,
                        help=f"load driver processes sharing the connections ({defaults.processes})")
    parser.add_argument("--max-requests", type=int, help=f"stop a run after this many responses ({defaults.max_requests})")
    parser.add_argument("--worker-class", choices=("gthread", "sync"), help=f"gunicorn worker class ({defaults.worker_class})")
    parser.add_argument("--workers", type=int, help=f"gunicorn worker processes ({defaults.workers})")
    parser.add_argument("--threads", type=int, help=f"threads per gthread worker ({defaults.threads})")
    parser.add_argument("--rounds", type=int, help=f"interleaved rounds of a comparison ({defaults.rounds})")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK['duration']:g} s measured after {QUICK['warmup']:g} s warm-up, "
                             "one round (explicit options still win); not for comparing numbers")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(discover()))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(discover())}")
    overrides = {**(QUICK if args.quick else {}), "quick": args.quick}
    for key in ("duration", "warmup", "connections", "processes", "max_requests", "worker_class", "workers", "threads",
                "rounds"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    return args.names or discover(), replace(defaults, **overrides)


def run_one(name: str, options: Options) -> Result:
    """Import ``bench.<name>.bench`` and call its ``run(harness, options)`` with a harness of its own."""
    module = importlib.import_module(f"bench.{name}.bench")
    harness = Harness(options)
    try:
        result = module.run(harness, options)
    finally:
        harness.close()
    if not isinstance(result, Result):
        raise TypeError(f"bench/{name}/bench.py: run() must return a bench.harness.Result")
    return result


def _terminate(signum, frame) -> None:
    """Turn SIGTERM into an exception so servers and databases are cleaned up on the way out."""
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    names, options = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    settings = describe_settings(options)
    status = 0
    for name in names:
        started = datetime.now(UTC)
        print(f"== {name} ==", flush=True)
        try:
            result = run_one(name, options)
        except Exception:
            traceback.print_exc()
            print(f"{name}: ERROR (benchmark did not complete)\n", flush=True)
            status = 2
            continue
        path = write_result(result, settings, started)
        print(format_result(result))
        print(f"{name}: {'PASS' if result.passed else 'FAIL'} (written {path.relative_to(BENCH_DIR.parent)})\n",
              flush=True)
        if not result.passed:
            status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
