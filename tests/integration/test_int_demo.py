"""The demo seed on real databases: consistent rows, all or nothing, and one organization only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from domain.db import Database
from domain.demo import CommunityRows, DemoSpec, generate_demo, seed_demo, write_community
from domain.entities import Content, Follow, Member, Membership, Organization
from domain.errors import Conflict
from domain.pagination import PageRequest
from domain.repositories.communities import CommunityFilter
from domain.services.communities import CommunityService
from domain.services.organizations import OrganizationService

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SPEC = DemoSpec(seed=7, members=60, communities=3)


def test_the_same_seed_generates_the_same_rows_and_another_seed_does_not() -> None:
    first = generate_demo(SPEC, NOW)
    again = generate_demo(SPEC, NOW)
    other = generate_demo(DemoSpec(seed=8, members=60, communities=3), NOW)
    assert first == again
    assert [m["handle"] for m in first.members] != [m["handle"] for m in other.members]


def test_generated_rows_keep_the_domains_rules() -> None:
    rows = generate_demo(SPEC, NOW)
    handles = [m["handle"] for m in rows.members]
    assert len(set(handles)) == len(handles)
    weights: dict[int, float] = {}
    for interest in rows.member_interests:
        weights[interest["member_id"]] = weights.get(interest["member_id"], 0) + interest["weight"]
    assert max(weights.values()) <= 1.0
    assert all((f["follower_id"] != f["followee_id"]) for f in rows.follows)
    pairs = [(f["follower_id"], f["followee_id"]) for f in rows.follows]
    assert len(set(pairs)) == len(pairs)
    managers = {m["community_id"] for m in rows.memberships if m["role"] == "community_manager"}
    assert managers == set(range(SPEC.communities))
    for index, content in enumerate(rows.contents):
        assert content["parent_id"] is None or content["parent_id"] < index
        assert content["created_at"] <= NOW.replace(tzinfo=None)


async def _count(db: Database, entity: type, organization_id: int) -> int:
    async with db.session() as session:
        stmt = (
            select(func.count())
            .select_from(entity)
            .where(
                entity.organization_id == organization_id  # type: ignore[attr-defined]
            )
        )
        return int(await session.scalar(stmt) or 0)


async def test_seeding_writes_every_row_with_consistent_counters(db: Database) -> None:
    report = await seed_demo(db, SPEC, now=NOW)
    org = report.organization_id
    assert await _count(db, Member, org) == SPEC.members == report.counts["members"]
    assert await _count(db, Follow, org) == report.counts["follows"]
    assert await _count(db, Membership, org) == report.counts["memberships"]
    assert await _count(db, Content, org) == report.counts["contents"]
    async with db.session() as session:
        followers = await session.scalar(
            select(func.sum(Member.followers_count)).where(Member.organization_id == org)
        )
        replies = await session.scalar(
            select(func.sum(Content.reply_count)).where(Content.organization_id == org)
        )
        with_parent = await session.scalar(
            select(func.count()).where(
                Content.organization_id == org,
                Content.parent_id.is_not(None),  # type: ignore[union-attr]
            )
        )
        page = await CommunityService(session, org).list(CommunityFilter(), PageRequest())
    assert followers == report.counts["follows"]
    assert replies == with_parent
    assert len(page.items) == SPEC.communities


async def test_seeding_an_existing_organization_conflicts_unless_reset(db: Database) -> None:
    await seed_demo(db, SPEC, now=NOW)
    with pytest.raises(Conflict):
        await seed_demo(db, SPEC, now=NOW)
    await seed_demo(db, SPEC, now=NOW, reset=True)
    async with db.session() as session:
        organizations = (await session.scalars(select(Organization))).all()
    assert len(organizations) == 1
    async with db.session() as session:
        members = await session.scalar(select(func.count()).select_from(Member))
    assert members == SPEC.members


async def test_the_writer_adds_a_demo_beside_another_organization(db: Database) -> None:
    async with db.session() as session:
        other = await OrganizationService(session).create("other", "Other")
    report = await seed_demo(db, SPEC, now=NOW)
    assert report.organization_id != other.id
    assert await _count(db, Member, report.organization_id) == SPEC.members


async def test_a_failed_write_leaves_nothing_behind(db: Database) -> None:
    rows = generate_demo(SPEC, NOW)
    rows.contents[0]["parent_id"] = 5  # a parent after its reply: the writer refuses
    async with db.session() as session:
        organization = await OrganizationService(session).create("demo", "Demo")
    assert organization.id is not None
    with pytest.raises(ValueError, match="parent"):
        async with db.engine.begin() as connection:
            await write_community(connection, organization.id, rows)
    assert await _count(db, Member, organization.id) == 0


async def test_an_empty_set_of_rows_writes_nothing(db: Database) -> None:
    async with db.session() as session:
        organization = await OrganizationService(session).create("demo", "Demo")
    assert organization.id is not None
    async with db.engine.begin() as connection:
        counts = await write_community(connection, organization.id, CommunityRows())
    assert set(counts.values()) == {0}


async def test_a_seed_leaves_the_planner_statistics_of_what_it_wrote(db: Database) -> None:
    await seed_demo(db, SPEC, now=NOW)
    async with db.session() as session:
        if db.dialect == "postgresql":
            analysed = await session.scalar(
                text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'engagement'")
            )
            assert analysed is not None
        else:
            rows = await session.scalar(
                text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'engagement'")
            )
            assert rows
