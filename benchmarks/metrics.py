"""Metrics benchmark: prints figures (not a test). Target and results are in docs/PERFORMANCE.md.

    python benchmarks/metrics.py --database postgresql://postgres@127.0.0.1:5432/bench
    python benchmarks/metrics.py --database ... --members 20000 --requests 50   # quicker

Seeds a demo organization through the bulk writer (20,000 members at 50 engagements each, plus
a comment engagement per reply: about 1,000,000 engagements; `--reuse` keeps an existing seed),
then asks
`community.metrics` for the busiest community, 90 days at DAY granularity, over HTTP through
the ASGI app (one worker, in process), `--requests` times. Beside it, the baseline: the same
counts computed by scanning raw engagement for that community and window (what a dashboard
without rollups has to do), timed the same way. Then the one figure the bitmaps changed, side by
side: the window's distinct active members as a count(DISTINCT) over its member-days (before)
and as the union of its daily bitmaps (now). Target: p95 < 50 ms for the API.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import case, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.app import create_app
from api.ids import encode_id
from domain import demo
from domain.db import Database
from domain.demo import DemoSpec, seed_demo
from domain.entities import Engagement, Organization
from domain.enums import ApiKeyRole
from domain.metrics.report import STICKINESS_DAYS
from domain.metrics.window import Window
from domain.repositories.metrics import MetricsRepository, Scope
from domain.rollups.rebuild import day_expression
from domain.rollups.tables import MemberActivityDay
from domain.schema_version import upgrade
from domain.services.organizations import OrganizationService
from domain.timeutil import utcnow

ORG = "bench-metrics"
QUERY = """
query($id: ID!, $window: MetricsWindowInput!) {
  node(id: $id) { ... on Community { metrics(window: $window, granularity: DAY) {
    summary {
      audienceSize activeMembers stickiness posts engagements likes comments shares
      engagementRate amplificationRate conversationRate applauseRate qualityWeightedEngagement
      netSentiment responseRate medianFirstResponseSeconds joins churned churnRate love trust
      strategyAlignment conversions conversionValue roi
    }
    series { days { firstDay } posts views likes comments shares clicks engagements
             qualityWeightedEngagement activeMembers audienceSize engagementRate }
  } } }
}
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def timed(call: Callable[[], Awaitable[None]], runs: int) -> list[float]:
    await call()  # warm caches and pools; not counted
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - start)
    return seconds


async def seeded(database: Database, members: int, density: float, reuse: bool) -> int:
    await upgrade(database)
    async with database.session() as session:
        found = await session.scalar(select(Organization.id).where(Organization.slug == ORG))
    if found is not None and reuse:
        return int(found)
    start = time.perf_counter()
    # Denser engagement than the demo's default reaches a million rows with fewer members,
    # which the seed generates (names, interests, follows) far more slowly than engagement.
    demo.ENGAGEMENTS_PER_MEMBER = density
    spec = DemoSpec(seed=7, members=members, communities=8, organization_slug=ORG)
    report = await seed_demo(database, spec, reset=True)
    await vacuum(database)
    print(f"seeded {report.counts['engagements']:,} engagements ({report.rows:,} rows) in "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    return report.organization_id


async def vacuum(database: Database) -> None:
    """VACUUM ANALYZE, as autovacuum would soon after a bulk load: until the visibility map is
    set, index-only scans (content topics, rollups) still visit every heap page."""
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM ANALYZE")


async def backend_seconds(database: Database) -> dict[int, float]:
    """CPU seconds each server process of this database has used (a local server only)."""
    async with database.engine.connect() as connection:
        pids = (
            await connection.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        ).all()
    return {int(pid): seconds for pid in pids if (seconds := process_seconds(pid)) is not None}


def process_seconds(pid: int) -> float | None:
    """User and system CPU seconds of a local process (fields 14 and 15 of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_per_request(  # type: ignore[no-untyped-def]
    database: Database, call: Callable[[], Awaitable[None]], runs: int
):
    """CPU milliseconds per call, this process's and the database server's: what a call costs
    whatever else the machine runs (wall time on a shared machine mostly measures the others).
    """
    before, started = await backend_seconds(database), time.process_time()
    for _ in range(runs):
        await call()
    python = time.process_time() - started
    after = await backend_seconds(database)
    server = sum(used - before.get(pid, 0.0) for pid, used in after.items())
    return 1000 * python / runs, 1000 * server / runs


async def busiest(database: Database, organization_id: int) -> tuple[int, int]:
    async with database.session() as session:
        total = await session.scalar(
            select(func.count()).where(Engagement.organization_id == organization_id)
        )
        row = (
            await session.execute(
                select(Engagement.community_id, func.count())
                .where(Engagement.organization_id == organization_id)
                .group_by(Engagement.community_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).one()
    print(f"organization: {total:,} engagements; busiest community {row[0]}: {row[1]:,}")
    return int(row[0]), int(total or 0)


def baseline(database: Database, community_id: int, start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    """The window's daily counts by kind and distinct engagers, scanned from raw engagement."""
    day = day_expression(database.dialect, Engagement.occurred_at)  # type: ignore[arg-type]
    in_window = (
        Engagement.community_id == community_id,
        Engagement.occurred_at >= start,
        Engagement.occurred_at < end,
    )
    by_day = (
        select(day, Engagement.kind, func.count(), func.sum(Engagement.quality_weight))
        .where(*in_window)
        .group_by(day, Engagement.kind)
    )
    daily_active = (
        select(day, func.count(Engagement.member_id.distinct())).where(*in_window).group_by(day)  # type: ignore[attr-defined]
    )
    active = select(func.count(Engagement.member_id.distinct())).where(*in_window)  # type: ignore[attr-defined]

    async def run() -> None:
        async with database.session() as session:
            for statement in (by_day, daily_active, active):
                (await session.execute(statement)).all()

    return run


def distinct_actives(  # type: ignore[no-untyped-def]
    database: Database, organization_id: int, community_id: int, start: datetime, end: datetime
):
    """The window's distinct active members (and its trailing 30 days'): before, a
    count(DISTINCT) over its member-days; now, the union of its daily bitmaps."""
    window = Window(start.date(), (end - timedelta(days=1)).date())
    trailing = window.trailing(STICKINESS_DAYS)
    activity = MemberActivityDay.__table__  # type: ignore[attr-defined]
    late = case((activity.c.day >= trailing.first, activity.c.member_id), else_=None)
    counted = select(
        func.count(activity.c.member_id.distinct()), func.count(late.distinct())
    ).where(
        activity.c.organization_id == organization_id,
        activity.c.community_id == community_id,
        activity.c.day.between(window.first, window.last),
    )

    async def member_days() -> None:
        async with database.session() as session:
            (await session.execute(counted)).all()

    async def bitmaps() -> None:
        async with database.session() as session:
            repo = MetricsRepository(session, organization_id)
            await repo.distinct_active(Scope.COMMUNITY, [community_id], window, trailing)

    return member_days, bitmaps


async def main(arguments: argparse.Namespace) -> None:
    database = Database(arguments.database, pool_size=4)
    try:
        organization_id = await seeded(
            database, arguments.members, arguments.engagements_per_member, arguments.reuse
        )
        community_id, total = await busiest(database, organization_id)
        async with database.session() as session:
            key = await OrganizationService(session).issue_key(organization_id, ApiKeyRole.ANALYST)
        async with database.engine.connect() as connection:
            version = await connection.scalar(text("SELECT version()"))
        end = datetime.combine(utcnow().date() + timedelta(days=1), datetime.min.time(), UTC)
        start = end - timedelta(days=90)
        window = {"from": start.isoformat(), "to": end.isoformat()}
        app = create_app(database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def ask() -> None:
                response = await client.post(
                    "/graphql",
                    json={"query": QUERY, "variables": {
                        "id": encode_id("Community", community_id), "window": window}},
                    headers={"Authorization": f"Bearer {key.secret}"},
                )  # fmt: skip
                body = response.json()
                if response.status_code != 200 or "errors" in body:
                    raise RuntimeError(f"the metrics query failed: {body}")

            api = await timed(ask, arguments.requests)
            python_ms, server_ms = await cpu_per_request(database, ask, arguments.requests)
        raw = await timed(baseline(database, community_id, start, end), arguments.requests)
        member_days, bitmaps = distinct_actives(database, organization_id, community_id, start, end)
        before = await timed(member_days, arguments.requests)
        after = await timed(bitmaps, arguments.requests)
        print(
            f"python {platform.python_version()}, {str(version).split(',')[0]}, "
            f"{total:,} engagements, community.metrics 90 days x DAY, {arguments.requests} runs"
        )
        for name, values in (
            ("API, rollups (HTTP/ASGI)", api),
            ("baseline, raw scan (SQL)", raw),
            ("actives, count(DISTINCT)", before),
            ("actives, bitmap union", after),
        ):
            print(f"{name:<26} p50 {1000 * statistics.median(values):7.1f} ms   "
                  f"p95 {1000 * percentile(values, 0.95):7.1f} ms   "
                  f"max {1000 * max(values):7.1f} ms")  # fmt: skip
        print(f"API CPU per request: Python {python_ms:.1f} ms + PostgreSQL {server_ms:.1f} ms "
              f"(another {arguments.requests} requests)")  # fmt: skip
    finally:
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="PostgreSQL URL (a scratch database)")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument(
        "--engagements-per-member", type=float, default=50.0,
        help="demo engagement density (the demo's own default is 5)",
    )  # fmt: skip
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep an existing seed")
    asyncio.run(main(parser.parse_args()))
