"""The scheduler on real databases: due content is published once, even by racing workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from domain.campaigns.workflow import ContentWorkflow, PlannedContent
from domain.db import Database
from domain.entities import Community, Content
from domain.enums import ContentKind
from domain.events import CONTENT_PUBLISHED, DomainEvent
from domain.rollups.tables import CommunityDaily
from domain.services.content import ContentService
from domain.services.organizations import OrganizationService
from domain.services.scheduling import publish_due
from domain.timeutil import utcnow

ITEMS = 24


async def _scheduled(db: Database, hours: list[float]) -> tuple[int, list[int]]:
    """An organization with one scheduled post per entry of `hours` (from now)."""
    async with db.session() as session:
        organization = await OrganizationService(session).create("acme", "Acme")
        assert organization.id is not None
        community = Community(
            organization_id=organization.id, name="Town", platform="forum", visibility="public"
        )
        session.add(community)
        await session.commit()
        assert community.id is not None
        workflow = ContentWorkflow(session, organization.id, None)
        ids = []
        for index, offset in enumerate(hours):
            planned = PlannedContent(community.id, ContentKind.POST, "Hello", f"post {index}")
            content = await workflow.create(planned)
            assert content.id is not None
            ids.append(content.id)
            await workflow.submit(content.id)
            await workflow.approve(content.id)
            await workflow.schedule(content.id, utcnow() + timedelta(hours=offset))
    return community.id, ids


async def _published_events(db: Database) -> Counter[int | None]:
    async with db.session() as session:
        subjects = await session.scalars(
            select(DomainEvent.subject_id).where(DomainEvent.name == CONTENT_PUBLISHED)
        )
        return Counter(subjects.all())


async def test_two_racing_publishers_publish_each_due_item_exactly_once(
    db: Database, database_url: str
) -> None:
    community_id, ids = await _scheduled(db, [1.0] * ITEMS)
    later = utcnow() + timedelta(hours=2)
    other = Database(database_url, pool_size=3)
    try:
        counts = await asyncio.gather(
            publish_due(db, later, batch_size=3),
            publish_due(other, later, batch_size=3),
            publish_due(db, later, batch_size=5),
        )
    finally:
        await other.dispose()
    assert sum(counts) == ITEMS
    assert await _published_events(db) == Counter(dict.fromkeys(ids, 1))
    async with db.session() as session:
        statuses = await session.scalars(select(Content.status).where(col(Content.id).in_(ids)))
        posts = await session.scalar(
            select(func.sum(CommunityDaily.posts)).where(
                CommunityDaily.community_id == community_id
            )
        )
    assert set(statuses.all()) == {"published"}
    assert posts == ITEMS
    assert await publish_due(db, later) == 0


async def test_only_due_and_live_items_are_published_and_at_the_time_of_the_pass(
    db: Database,
) -> None:
    _, [soon, late, removed] = await _scheduled(db, [1.0, 5.0, 1.0])
    async with db.session() as session:
        row = await session.get(Content, removed)
        assert row is not None
        organization_id = row.organization_id
        await ContentService(session, organization_id).delete(removed)
    moment = utcnow() + timedelta(hours=2)
    assert await publish_due(db, moment) == 1
    async with db.session() as session:
        rows = {
            row.id: row
            for row in (await session.scalars(select(Content).order_by(Content.id))).all()
        }
    assert (rows[soon].status, rows[soon].published_at) == ("published", moment)
    assert (rows[late].status, rows[late].published_at) == ("scheduled", None)
    assert (rows[removed].status, rows[removed].published_at) == ("scheduled", None)
    assert await _published_events(db) == Counter({soon: 1})
