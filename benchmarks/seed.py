"""Seeding benchmark: prints figures (not a test). Targets are in docs/PERFORMANCE.md.

    python benchmarks/seed.py                       # 100,000 members, SQLite and PostgreSQL
    python benchmarks/seed.py --quick               # 5,000 members
    python benchmarks/seed.py --postgres URL        # PostgreSQL database to use (emptied!)

One simulated community (scenario quality-vs-quantity, first strategy, seed 42) is simulated and
mapped to rows once; the same rows are then written into each database twice, by the bulk path
(COPY on PostgreSQL, driver executemany on SQLite: what `townsquare seed` uses) and by
SQLAlchemy's executemany (the baseline), each time into a freshly created schema, in one
transaction. Targets: 100,000 members and 1,000,000 engagements into SQLite in at most 60 s;
PostgreSQL at 100,000 rows/s or more. A write is the whole of `write_community` (inserts, then
rollups, orbits and influence); rows/s is rows written over its wall time; cpu is this
process's CPU (on SQLite that includes the database's own work, which runs in a thread here).
The last lines put the methods side by side per database, with the targets' verdicts and the
load average (other work on the machine inflates wall times).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import SQLModel

import domain.tables  # noqa: F401  (registers every table)
from domain.bulk import WriteMethod
from domain.db import Database
from domain.demo import CommunityRows, write_community
from domain.services.organizations import OrganizationService
from simulator.scenario import builtin_scenario
from simulator.seeding import SimulatedSeed, community_rows, simulate_community

METHODS: tuple[WriteMethod, ...] = ("bulk", "executemany")


def generate(members: int, days: int) -> CommunityRows:
    scenario = builtin_scenario("quality-vs-quantity").resized(members=members, days=days)
    spec = SimulatedSeed(scenario=scenario, strategy=scenario.strategies[0].name, seed=42)
    start = time.perf_counter()
    result = simulate_community(spec)
    simulated = time.perf_counter()
    rows = community_rows(result, scenario, seed=42, now=datetime.now(UTC))
    mapped = time.perf_counter()
    counts = rows.counts()
    print(f"generate: {members:,} members x {days} days: simulate {simulated - start:.1f} s, "
          f"map to rows {mapped - simulated:.1f} s; {sum(counts.values()):,} rows "
          f"({counts['members']:,} members, {counts['engagements']:,} engagements, "
          f"{counts['follows']:,} follows, {counts['contents']:,} contents)")  # fmt: skip
    return rows


class Phases:
    """Wall time of each step of a write, from its progress calls (a step ends when the next
    begins, the last runs to the end, commit included); "the rest" is what came before the
    first step."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, step: str, _done: int, _total: int) -> None:
        if not self.marks or self.marks[-1][0] != step:
            self.marks.append((step, time.perf_counter()))

    def seconds(self, start: float, end: float) -> dict[str, float]:
        # Inserts are every step before the rollups.
        spans: dict[str, float] = {}
        marks = [*self.marks, ("end", end)]
        for (step, at), (_, until) in itertools.pairwise(marks):
            phase = step if step in ("rollups", "orbits", "influence") else "inserts"
            spans[phase] = spans.get(phase, 0.0) + until - at
        spans["rest"] = end - start - sum(spans.values())
        return spans


LAST_PHASES: dict[str, float] = {}


async def write_once(url: str, rows: CommunityRows, method: WriteMethod) -> tuple[float, float]:
    """Seconds (wall, process CPU) to write `rows` into an empty schema at `url`."""
    database = Database(url, pool_size=1)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.drop_all)
            await connection.run_sync(SQLModel.metadata.create_all)
        async with database.session() as session:
            organization = await OrganizationService(session).create("bench", "Bench")
        assert organization.id is not None
        phases = Phases()
        wall, cpu = time.perf_counter(), time.process_time()
        async with database.engine.begin() as connection:
            await write_community(connection, organization.id, rows, phases, method=method)
        end = time.perf_counter()
        LAST_PHASES.clear()
        LAST_PHASES.update(phases.seconds(wall, end))
        return end - wall, time.process_time() - cpu
    finally:
        await database.dispose()


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


Figures = dict[str, tuple[float, float]]


def _summary(name: str, total: int, figures: Figures) -> str:
    cells = [
        f"{method} {wall:.1f} s, {total / wall:,.0f} rows/s, cpu {cpu:.1f} s"
        for method, (wall, cpu) in figures.items()
    ]
    if len(figures) == 2:
        ratio = figures["executemany"][0] / figures["bulk"][0]
        cells.append(f"bulk {ratio:.1f}x faster")
    return f"{name:<10} " + " | ".join(cells)


def _verdicts(members: int, engagements: int, total: int, results: dict[str, Figures]) -> None:
    if "bulk" in results.get("sqlite", {}):
        wall = results["sqlite"]["bulk"][0]
        full = members >= 100_000 and engagements >= 1_000_000
        verdict = ("met" if wall <= 60 else "missed") if full else "not the target's size"
        print(f"target sqlite: {members:,} members, {engagements:,} engagements written in "
              f"{wall:.1f} s (<= 60 s with >= 100,000 members, 1,000,000 engagements): "
              f"{verdict}")  # fmt: skip
    if "bulk" in results.get("postgresql", {}):
        rate = total / results["postgresql"]["bulk"][0]
        verdict = "met" if rate >= 100_000 else "missed"
        print(f"target postgresql: {rate:,.0f} rows/s (>= 100,000): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--quick", action="store_true", help="5,000 members x 90 days")
    parser.add_argument("--postgres", default=os.environ.get("TOWNSQUARE_BENCH_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--method", choices=METHODS)
    args = parser.parse_args()
    members, days = (5_000, 90) if args.quick else (args.members, args.days)
    print(f"load average before: {_loadavg()}")
    rows = generate(members, days)
    counts = rows.counts()
    total = sum(counts.values())
    targets: list[tuple[str, str]] = []
    folder = tempfile.mkdtemp(prefix="townsquare-seed-bench-")
    if args.only in (None, "sqlite"):
        targets.append(("sqlite", f"sqlite+aiosqlite:///{folder}/bench.db"))
    if args.only in (None, "postgresql") and args.postgres:
        targets.append(("postgresql", args.postgres))
    methods = [args.method] if args.method else list(METHODS)
    results: dict[str, Figures] = {}
    for name, url in targets:
        results[name] = {}
        for method in methods:
            wall, cpu = asyncio.run(write_once(url, rows, method))
            results[name][method] = (wall, cpu)
            spans = ", ".join(f"{phase} {sec:.1f} s" for phase, sec in LAST_PHASES.items())
            inserting = total / LAST_PHASES["inserts"]
            print(f"write {name} {method}: {total:,} rows in {wall:.1f} s "
                  f"({total / wall:,.0f} rows/s, cpu {cpu:.1f} s; {spans}; "
                  f"{inserting:,.0f} rows/s while inserting)", flush=True)  # fmt: skip
    print(f"side by side, {total:,} rows (load average after: {_loadavg()}):")
    for name, figures in results.items():
        print(_summary(name, total, figures))
    _verdicts(counts["members"], counts["engagements"], total, results)


if __name__ == "__main__":
    main()
