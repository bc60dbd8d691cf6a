"""Distinct active members from the daily bitmaps equal count(DISTINCT) over raw engagement,
on SQLite and PostgreSQL; concurrent writers of one day lose no member."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from domain.db import Database
from domain.entities import Engagement
from domain.enums import ContentKind, EngagementKind, Platform, Visibility
from domain.metrics.window import Granularity, Window
from domain.repositories.metrics import MetricsRepository, Scope
from domain.rollups.bitmaps import pack, unpack
from domain.rollups.daily import engagements_added
from domain.rollups.tables import ActiveMembersDay
from domain.schema_version import upgrade
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import MemberDraft, MemberService
from domain.services.organizations import OrganizationService
from domain.timeutil import utcnow

SLUGS = itertools.count()
MEMBERS = 5
COMMUNITIES = 2
HORIZON = 40  # days back that engagements fall in

engagement = st.tuples(
    st.integers(0, COMMUNITIES - 1), st.integers(0, MEMBERS - 1), st.integers(0, HORIZON)
)
batches = st.lists(st.lists(engagement, min_size=1, max_size=8), min_size=1, max_size=5)
windows = st.tuples(st.integers(0, HORIZON + 5), st.integers(1, HORIZON + 5), st.integers(1, 10))


class Organization:
    """A fresh organization with communities, a post in each, and members, made by services."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.communities: list[int] = []
        self.posts: list[int] = []
        self.members: list[int] = []

    async def start(self) -> Organization:
        async with self.database.session() as session:
            organization = await OrganizationService(session).create(f"o-{next(SLUGS)}", "O")
            assert organization.id is not None
            self.id = organization.id
            for index in range(MEMBERS):
                member = await MemberService(session, self.id).create(MemberDraft(f"m{index}", "M"))
                assert member.id is not None
                self.members.append(member.id)
            for index in range(COMMUNITIES):
                community = await CommunityService(session, self.id).create(
                    CommunityDraft(f"C{index}", Platform.FORUM, Visibility.PUBLIC)
                )
                assert community.id is not None
                self.communities.append(community.id)
                post = await ContentService(session, self.id).publish(
                    ContentDraft(community.id, ContentKind.POST, "hello", author_id=self.members[0])
                )
                assert post.id is not None
                self.posts.append(post.id)
        return self

    async def engage(self, batch: list[tuple[int, int, int]]) -> None:
        now = utcnow()
        drafts = [
            EngagementDraft(
                self.posts[c], self.members[m], EngagementKind.LIKE, now - timedelta(days=d)
            )
            for c, m, d in batch
        ]
        async with self.database.session() as session:
            await EngagementService(session, self.id).ingest(drafts)

    async def raw_distinct(self, scope: Scope, key: int, window: Window) -> int:
        """count(DISTINCT member_id) over the raw engagement of `key` in `window`."""
        column = Engagement.community_id if scope is Scope.COMMUNITY else Engagement.organization_id
        async with self.database.session() as session:
            found = await session.scalar(
                select(func.count(Engagement.member_id.distinct())).where(  # type: ignore[attr-defined]
                    column == key,
                    Engagement.occurred_at >= _midnight(window.first),
                    Engagement.occurred_at < _midnight(window.last + timedelta(days=1)),
                )
            )
        return int(found or 0)

    def keys(self, scope: Scope) -> list[int]:
        return self.communities if scope is Scope.COMMUNITY else [self.id]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _window(ago: int, days: int) -> Window:
    last = utcnow().date() - timedelta(days=ago)
    return Window(last - timedelta(days=days - 1), last)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches, st.lists(windows, min_size=1, max_size=4))
async def test_distinct_actives_from_bitmaps_equal_count_distinct_over_raw_engagement(
    db: Database, script: list[list[tuple[int, int, int]]], asked: list[tuple[int, int, int]]
) -> None:
    organization = await Organization(db).start()
    for batch in script:
        await organization.engage(batch)

    for ago, days, trailing_days in asked:
        window = _window(ago, days)
        trailing = window.trailing(trailing_days)
        buckets = window.buckets(Granularity.WEEK)
        for scope in Scope:
            keys = organization.keys(scope)
            async with db.session() as session:
                repo = MetricsRepository(session, organization.id)
                active = await repo.distinct_active(scope, keys, window, trailing)
                by_bucket = await repo.active_by_bucket(scope, keys, buckets)
            for key in keys:
                expected = (
                    await organization.raw_distinct(scope, key, window),
                    await organization.raw_distinct(scope, key, trailing),
                )
                assert active.get(key, (0, 0)) == expected
                assert [by_bucket.get(key, {}).get(i, 0) for i in range(len(buckets))] == [
                    await organization.raw_distinct(scope, key, bucket) for bucket in buckets
                ]


async def test_a_window_without_activity_has_no_active_members(db: Database) -> None:
    organization = await Organization(db).start()
    await organization.engage([(0, 1, 20)])
    window = _window(0, 7)

    async with db.session() as session:
        repo = MetricsRepository(session, organization.id)
        active = await repo.distinct_active(
            Scope.COMMUNITY, organization.communities, window, window
        )
        by_bucket = await repo.active_by_bucket(Scope.COMMUNITY, organization.communities, [window])

    assert active == {}
    assert by_bucket == {}


async def test_the_migration_fills_the_bitmaps_from_the_member_days_already_there(
    db: Database,
) -> None:
    organization = await Organization(db).start()
    await organization.engage([(0, 0, 3), (0, 1, 3), (1, 1, 3), (0, 2, 5)])
    kept = [await _bitmap(db, community) for community in organization.communities]
    async with db.engine.begin() as connection:  # as the database stood at revision 0010
        await connection.exec_driver_sql("DROP TABLE active_members_day")
        await connection.exec_driver_sql("DROP INDEX ix_content_community_published")
        await connection.exec_driver_sql("DROP INDEX ix_content_community_kind_published")
        await connection.exec_driver_sql(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"
        )
        await connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('0010')")

    await upgrade(db)

    assert [await _bitmap(db, community) for community in organization.communities] == kept
    assert [len(members) for _day, members in kept[0]] == [1, 2]


def test_a_packed_bitmap_unpacks_to_the_same_member_ids_beyond_32_bits() -> None:
    ids = [1, 7, 65_536, 2**33 + 5]

    assert sorted(unpack(pack(ids))) == ids
    assert len(unpack(pack(()))) == 0


async def _bitmap(database: Database, community_id: int) -> list[tuple[date, list[int]]]:
    table = ActiveMembersDay.__table__  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(table.c.day, table.c.members).where(table.c.community_id == community_id)
        )
        return sorted((day, sorted(unpack(blob))) for day, blob in rows.all())


async def _waiting_on_a_lock(database: Database) -> None:
    """Return once some other transaction of this database waits on a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        async with database.engine.connect() as connection:
            if await connection.scalar(query):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the second writer never waited on the first")


def _row(organization: Organization, member: int, at: datetime) -> dict[str, Any]:
    return {
        "community_id": organization.communities[0],
        "member_id": organization.members[member],
        "kind": EngagementKind.LIKE.value,
        "occurred_at": at,
        "quality_weight": 0.5,
    }


@pytest.mark.postgres
async def test_two_writers_adding_members_to_one_day_lose_neither(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    organization = await Organization(db).start()
    at = utcnow() - timedelta(hours=1)
    async with db.session() as session:  # the day's bitmap exists before the race
        await engagements_added(session, organization.id, [_row(organization, 0, at)])
        await session.commit()

    async def second() -> None:
        async with db.session() as session:
            await engagements_added(session, organization.id, [_row(organization, 2, at)])
            await session.commit()

    # The first writer holds its transaction open until the second has read, or tried to read,
    # the day's bitmap; without the row lock the second would overwrite the first's member.
    async with db.session() as session:
        await engagements_added(session, organization.id, [_row(organization, 1, at)])
        racing = asyncio.create_task(second())
        await _waiting_on_a_lock(db)
        await session.commit()
    await racing

    day = at.date()
    assert await _bitmap(db, organization.communities[0]) == [
        (day, sorted(organization.members[:3]))
    ]
