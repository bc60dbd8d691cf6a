"""Scheduler benchmark: prints figures (not a test). Figures are kept in docs/PERFORMANCE.md.

    python benchmarks/scheduler.py                  # 2,000 due posts on SQLite
    python benchmarks/scheduler.py --posts 500      # quicker
    python benchmarks/scheduler.py --postgres URL   # also PostgreSQL (the database is emptied!)

Twice, on a fresh database each time, one organization with one community gets `--posts`
approved posts scheduled in the past; then every one of them is published side by side by
`domain.services.scheduling.publish_due` as the server and `townsquare publish-due` run it
(batches of 100: one claim, one event per item and one summed rollup write per batch) and by
the baseline of one transaction per item (`batch_size=1`: a claim and a rollup write each).
For each: seconds, posts/s, and a check that every post was published exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlmodel import SQLModel, col

import domain.tables  # noqa: F401  (registers every table)
from domain.db import Database
from domain.entities import Community, Content
from domain.enums import ContentKind, ContentStatus
from domain.events import CONTENT_PUBLISHED, DomainEvent
from domain.services.organizations import OrganizationService
from domain.services.scheduling import BATCH_SIZE, publish_due
from domain.timeutil import utcnow

RUNS = (("batched", BATCH_SIZE), ("per item", 1))


async def fresh(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.run_sync(SQLModel.metadata.create_all)


async def schedule_posts(db: Database, posts: int) -> None:
    """One organization, one community, `posts` approved posts that fell due a minute ago."""
    due = utcnow() - timedelta(minutes=1)
    async with db.session(cross_tenant=True) as session:
        organization = await OrganizationService(session).create("bench", "Bench")
        assert organization.id is not None
        community = Community(
            organization_id=organization.id, name="Town", platform="forum", visibility="public"
        )
        session.add(community)
        await session.flush()
        assert community.id is not None
        session.add_all(
            Content(
                organization_id=organization.id,
                community_id=community.id,
                kind=ContentKind.POST.value,
                title=f"post {index}",
                body="Scheduled for the benchmark.",
                status=ContentStatus.SCHEDULED.value,
                scheduled_at=due + timedelta(microseconds=index),
            )
            for index in range(posts)
        )
        await session.commit()


async def published_once(db: Database, posts: int) -> bool:
    async with db.session(cross_tenant=True) as session:
        published = await session.scalar(
            select(func.count()).where(col(Content.status) == ContentStatus.PUBLISHED.value)
        )
        events = await session.scalar(
            select(func.count(func.distinct(DomainEvent.subject_id))).where(
                DomainEvent.name == CONTENT_PUBLISHED
            )
        )
    return published == posts and events == posts


async def bench(url: str, posts: int) -> None:
    db = Database(url, pool_size=2)
    figures: dict[str, float] = {}
    try:
        for label, batch_size in RUNS:
            await fresh(db)
            await schedule_posts(db, posts)
            start = time.perf_counter()
            published = await publish_due(db, batch_size=batch_size)
            seconds = time.perf_counter() - start
            exact = await published_once(db, posts)
            figures[label] = seconds
            print(f"  {db.dialect:<10} {label:<9} {published:>6,} posts  {seconds:>7.2f} s  "
                  f"{published / seconds:>8,.0f} posts/s  each once: {exact}")  # fmt: skip
        ratio = figures["per item"] / figures["batched"]
        print(f"  {db.dialect:<10} batched is {ratio:.1f}x faster than one transaction per item")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--postgres", help="PostgreSQL URL to use as well (emptied!)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(f"sqlite+aiosqlite:///{folder}/scheduler.db", args.posts))
    if args.postgres:
        asyncio.run(bench(args.postgres, args.posts))


if __name__ == "__main__":
    main()
