"""Seeding benchmark: prints figures (not a test). Targets are in docs/PERFORMANCE.md.

    python benchmarks/seed.py                       # 100,000 members, SQLite and PostgreSQL
    python benchmarks/seed.py --quick               # 5,000 members
    python benchmarks/seed.py --postgres URL        # PostgreSQL database to use (emptied!)

One simulated community (scenario quality-vs-quantity, first strategy, seed 42) is simulated and
mapped to rows once; the same rows are then written into each database twice, by the bulk path
(COPY on PostgreSQL, driver executemany on SQLite: what `townsquare seed` uses) and by
SQLAlchemy's executemany (the baseline), each time into a freshly created schema, in one
transaction. Targets: 100,000 members and 1,000,000 engagements into SQLite in at most 60 s;
PostgreSQL at 100,000 rows/s or more.
"""

from __future__ import annotations

import argparse
import asyncio
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
        wall, cpu = time.perf_counter(), time.process_time()
        async with database.engine.begin() as connection:
            await write_community(connection, organization.id, rows, method=method)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await database.dispose()


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
    rows = generate(members, days)
    total = sum(rows.counts().values())
    targets: list[tuple[str, str]] = []
    folder = tempfile.mkdtemp(prefix="townsquare-seed-bench-")
    if args.only in (None, "sqlite"):
        targets.append(("sqlite", f"sqlite+aiosqlite:///{folder}/bench.db"))
    if args.only in (None, "postgresql") and args.postgres:
        targets.append(("postgresql", args.postgres))
    methods = [args.method] if args.method else list(METHODS)
    for name, url in targets:
        figures = []
        for method in methods:
            wall, cpu = asyncio.run(write_once(url, rows, method))
            figures.append(f"{method} {wall:.1f} s ({total / wall:,.0f} rows/s, cpu {cpu:.1f} s)")
        print(f"write {name}: {total:,} rows: " + " | ".join(figures))


if __name__ == "__main__":
    main()
