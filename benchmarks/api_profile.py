"""CPU time per API request, in process: where Townsquare spends its time on each operation.

    python benchmarks/api_profile.py --database postgresql://postgres@127.0.0.1:5432/bench
    python benchmarks/api_profile.py --database ... --profile thread        # cProfile's top
    python benchmarks/api_profile.py --database ... --baseline-tree /path/to/old/checkout

The application (`api.app:create_app`, access log and metrics on, as served) runs in this
process behind httpx's ASGI transport; requests go one after another, and the figure is the
process's CPU time (`time.process_time`) per request, not wall time, so the other engineers'
load on the shared box inflates it less than it inflates latencies. The client's share (httpx
building the request and reading the answer) is included and small next to the server's.

The database is seeded once by `benchmarks/api.py`'s seed (the same data as the throughput
benchmark) and the seed's ids and key are kept in a JSON file beside the database name, so
later runs reuse it (`--reseed` starts over). With `--baseline-tree`, each round runs the same
measurement in a subprocess importing the code of that checkout (an older commit), then this
one, alternately: the two columns are measured side by side under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import importlib.util
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent


def _benchmark_module() -> Any:
    """benchmarks/api.py (the seed and the request bodies), under a name that leaves the
    application's `api` package importable."""
    spec = importlib.util.spec_from_file_location("api_benchmark", HERE / "api.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_benchmark"] = module
    spec.loader.exec_module(module)
    # It puts benchmarks/ first on sys.path (for its client), where benchmarks/api.py would
    # shadow the application's package.
    while str(HERE) in sys.path:
        sys.path.remove(str(HERE))
    return module


bench = _benchmark_module()

OPERATIONS = ("thread", "dashboard", "inbox", "ingest")
# What every authenticated request costs before it reads anything (key check, row-level
# security, middleware, access log, metrics, GraphQL around an empty selection): with
# `--operations floor,thread,...` the fixed share of each operation is seen beside it.
FLOOR = orjson.dumps({"query": "query Floor { __typename }", "operationName": "Floor"})
BODIES = {**bench.BODIES, "floor": lambda seeded: lambda: FLOOR}


def seeded_for(url: str, reseed: bool) -> bench.Seeded:
    """The seed of `url`, made now or read back from the JSON file of an earlier run."""
    name = url.rsplit("/", 1)[-1]
    cache = Path(tempfile.gettempdir()) / f"townsquare-api-profile-{name}.json"
    if cache.exists() and not reseed:
        return bench.Seeded(**json.loads(cache.read_text()))
    seeded = asyncio.run(bench.seed(url))
    cache.write_text(json.dumps(dataclasses.asdict(seeded)))
    return seeded


async def cpu_per_request(
    url: str,
    seeded: bench.Seeded,
    operation: str,
    requests: int,
    warmup: int,
    profile: bool,
    concurrency: int = 1,
) -> float:
    """CPU milliseconds per request of `operation`, after `warmup` unmeasured ones."""
    import httpx

    from api.app import create_app
    from api.settings import TrustSettings
    from domain.db import Database

    os.environ.setdefault("TOWNSQUARE_DATABASE_URL", url)
    # A bucket that never empties: the rate limit is not what this measures.
    settings = TrustSettings(bucket_size=10**9, restore_rate=10**9)
    app = create_app(Database(url), settings, deliver_webhooks=False, publish_every=0)
    body = BODIES[operation](seeded)
    headers = {"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):

        async def send() -> None:
            answer = await client.post("/graphql", content=body(), headers=headers)
            if not bench.answered(answer.status_code, answer.content):
                raise SystemExit(f"{operation}: {answer.status_code} {answer.text[:500]}")

        async def sends(count: int) -> None:
            # `concurrency` clients at once, as the served benchmark's connections are.
            share = [count // concurrency + (i < count % concurrency) for i in range(concurrency)]
            await asyncio.gather(*(_repeat(send, n) for n in share))

        await sends(warmup)
        profiler = cProfile.Profile() if profile else None
        clock = GcClock()
        gc.callbacks.append(clock)
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        await sends(requests)
        if profiler is not None:
            profiler.disable()
        spent = time.process_time() - started
        gc.callbacks.remove(clock)
        print(f"{operation}: {clock.report(requests)}", file=sys.stderr)
    if profiler is not None:
        _print_profile(profiler, requests)
    return spent * 1000 / requests


class GcClock:
    """CPU time the cyclic garbage collector spends, by generation, while installed."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.runs = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds[info["generation"]] += time.process_time() - self._started
            self.runs[info["generation"]] += 1

    def report(self, requests: int) -> str:
        parts = [
            f"gen{g} {self.runs[g]} runs {self.seconds[g] * 1000 / requests:.2f} ms/req"
            for g in range(3)
        ]
        return "garbage collector: " + ", ".join(parts)


async def _repeat(call: Callable[[], Awaitable[None]], times: int) -> None:
    for _ in range(times):
        await call()


def _print_profile(profiler: cProfile.Profile, requests: int) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(40)
        print(f"--- top 40 by {order}, {requests} requests ---")
        print(out.getvalue())


def measure(args: argparse.Namespace) -> dict[str, float]:
    seeded = seeded_for(args.database, reseed=False)
    figures = {}
    for operation in args.operations:
        figures[operation] = asyncio.run(
            cpu_per_request(
                args.database,
                seeded,
                operation,
                args.requests,
                args.warmup,
                args.profile,
                args.concurrency,
            )
        )
    return figures


def in_tree(tree: str, args: argparse.Namespace) -> dict[str, float]:
    """The same measurement in a subprocess importing the code of checkout `tree`."""
    env = {**os.environ, "PYTHONPATH": tree}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--database",
        args.database,
        "--operations",
        ",".join(args.operations),
        "--requests",
        str(args.requests),
        "--warmup",
        str(args.warmup),
        "--concurrency",
        str(args.concurrency),
        "--json",
    ]
    out = subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True, text=True)
    figures: dict[str, float] = orjson.loads(out.stdout.strip().splitlines()[-1])
    return figures


def side_by_side(args: argparse.Namespace) -> None:
    trees = {"baseline": str(Path(args.baseline_tree).resolve()), "this": str(HERE.parent)}
    samples: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
    for _ in range(args.rounds):
        for label, tree in trees.items():
            for operation, value in in_tree(tree, args).items():
                samples[label].setdefault(operation, []).append(value)
    print(
        f"CPU ms per request, median of {args.rounds} rounds of {args.requests} "
        f"(baseline: {args.baseline_tree})"
    )
    for operation in args.operations:
        old = statistics.median(samples["baseline"][operation])
        new = statistics.median(samples["this"][operation])
        print(f"  {operation:<9} baseline {old:8.1f}   this {new:8.1f}   ratio {old / new:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        default=os.environ.get("TOWNSQUARE_BENCH_DATABASE_URL"),
        help="PostgreSQL (or SQLite) URL of a database the benchmark may wipe",
    )
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--baseline-tree", help="a checkout to measure alternately with this")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.database:
        parser.error("--database is required")
    args.operations = args.operations.split(",")
    if args.reseed or args.baseline_tree:
        seeded_for(args.database, reseed=args.reseed)
    if args.baseline_tree:
        side_by_side(args)
        return
    figures = measure(args)
    if args.json:
        print(orjson.dumps(figures).decode())
        return
    for operation, value in figures.items():
        print(f"{operation:<9} {value:8.1f} CPU ms per request ({args.requests} requests)")


if __name__ == "__main__":
    main()
