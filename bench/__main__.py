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

from .harness import Harness, Options, Result, describe_settings, format_machine, format_result, write_result

BENCH_DIR = Path(__file__).resolve().parent
QUICK = {"duration": 2.0, "warmup": 0.5, "rounds": 1}


def _worker_class(value: str) -> str:
    if value not in ("gthread", "sync"):
        raise argparse.ArgumentTypeError("gthread or sync")
    return value


# Option flag -> (Options field, type, help); the default shown comes from Options.
FLAGS = {
    "--duration": ("duration", float, "measured seconds of each load run"),
    "--warmup": ("warmup", float, "unmeasured warm-up seconds before each load run"),
    "--connections": ("connections", int, "concurrent keep-alive connections"),
    "--driver-processes": ("processes", int, "load driver processes sharing the connections"),
    "--max-requests": ("max_requests", int, "end a load run after this many responses"),
    "--rounds": ("rounds", int, "interleaved rounds of a comparison between servers"),
    "--worker-class": ("worker_class", _worker_class, "gunicorn worker class: gthread or sync"),
    "--workers": ("workers", int, "gunicorn worker processes"),
    "--threads": ("threads", int, "threads per gthread worker"),
}


def discover() -> list[str]:
    """Every ``bench/<name>/bench.py``: adding a benchmark needs no registration."""
    return sorted(path.parent.name for path in BENCH_DIR.glob("*/bench.py"))


def parse_args(argv: list[str]) -> tuple[list[str], Options]:
    defaults = Options()
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available)})")
    for flag, (dest, kind, text) in FLAGS.items():
        parser.add_argument(flag, dest=dest, type=kind, help=f"{text} (default {getattr(defaults, dest)})")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK['duration']:g} s measured after {QUICK['warmup']:g} s warm-up, "
                             "one round (explicit options still win); not for comparing numbers")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
    overrides = {**(QUICK if args.quick else {}), "quick": args.quick}
    overrides.update({dest: getattr(args, dest) for dest, *_ in FLAGS.values() if getattr(args, dest) is not None})
    try:
        return args.names or available, replace(defaults, **overrides)
    except ValueError as exc:
        parser.error(str(exc))


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
    print("terminated: stopping servers and dropping databases", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    names, options = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    settings = describe_settings(options)
    print(format_machine(settings), flush=True)
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
