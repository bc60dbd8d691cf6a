"""Export benchmark: prints figures (not a test). Figures are kept in docs/PERFORMANCE.md.

    python benchmarks/exports.py                    # 20,000 demo members on SQLite
    python benchmarks/exports.py --members 2000     # quicker
    python benchmarks/exports.py --postgres URL     # also PostgreSQL (the database is emptied!)

One demo organization is seeded; then its engagement is exported as CSV twice, side by side:
by `domain.exports.export_stream` (keyset batches, what `GET /export` and `townsquare export`
use) and by the baseline a first version would write (read every row, then encode them all).
For each: rows/s (untraced run) and the peak Python memory of a second, traced run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import SQLModel

import domain.tables  # noqa: F401  (registers every table)
from domain.db import Database
from domain.demo import DemoSpec, seed_demo
from domain.exports import SPECS, ExportFormat, ExportKind, ExportRequest, export_stream

KIND = ExportKind.ENGAGEMENT


async def streamed(db: Database, organization_id: int) -> int:
    written = 0
    async with db.session() as session:
        request = ExportRequest(organization_id, KIND)
        async for chunk in export_stream(session, request, ExportFormat.CSV):
            written += chunk.count(b"\n")
    return written - 1


async def all_at_once(db: Database, organization_id: int) -> int:
    spec = SPECS[KIND]
    async with db.session() as session:
        query = spec.select_rows().where(spec.organization == organization_id).order_by(spec.key)
        rows = (await session.execute(query)).all()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([spec.column_names, *rows])
    return buffer.getvalue().encode().count(b"\n") - 1


async def measure(
    label: str, run: Callable[[Database, int], Awaitable[int]], db: Database, org: int
) -> None:
    # Timed without tracing (tracemalloc slows every allocation), then traced for the peak.
    start = time.perf_counter()
    rows = await run(db, org)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    await run(db, org)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  {label:<12} {rows:>10,} rows  {rows / seconds:>10,.0f} rows/s  "
          f"peak {peak / 2**20:>7.1f} MiB")  # fmt: skip


async def bench(url: str, members: int) -> None:
    db = Database(url, pool_size=2)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.drop_all)
            await connection.run_sync(SQLModel.metadata.create_all)
        report = await seed_demo(db, DemoSpec(seed=42, members=members, communities=8))
        print(f"{db.dialect}: {report.counts['engagements']:,} engagements "
              f"of {members:,} members")  # fmt: skip
        for label, run in (("streamed", streamed), ("all at once", all_at_once)):
            await measure(label, run, db, report.organization_id)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--postgres", help="PostgreSQL URL to use as well (emptied!)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(f"sqlite+aiosqlite:///{folder}/exports.db", args.members))
    if args.postgres:
        asyncio.run(bench(args.postgres, args.members))


if __name__ == "__main__":
    main()
