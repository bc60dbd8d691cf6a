"""Rollups kept by every write equal a recomputation from raw rows, on SQLite and PostgreSQL.

The rollups compared are the daily counters, the member-days and the daily active-member
bitmaps.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from domain.db import Database
from domain.demo import DemoSpec, seed_demo
from domain.entities import Engagement
from domain.enums import (
    ContentKind,
    EngagementKind,
    MembershipRole,
    MembershipState,
    Platform,
    Visibility,
)
from domain.rollups.bitmaps import unpack
from domain.rollups.daily import COUNTERS
from domain.rollups.rebuild import community_ids, rebuild_communities
from domain.rollups.tables import ActiveMembersDay, CommunityDaily, MemberActivityDay
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentChanges, ContentDraft, ContentService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import (
    Interest,
    MemberDraft,
    MemberService,
    MembershipChanges,
    MembershipDraft,
)
from domain.services.organizations import OrganizationService, TopicDraft
from domain.timeutil import utcnow

SLUGS = itertools.count()
PEOPLE = 3

people = st.integers(0, PEOPLE - 1)
states = st.sampled_from(list(MembershipState))
roles = st.sampled_from([MembershipRole.MEMBER, MembershipRole.COMMUNITY_MANAGER])
sentiments = st.floats(-1.0, 1.0)
operations = st.one_of(
    st.tuples(st.just("join"), people, states, roles),
    st.tuples(st.just("change"), people, states, roles),
    st.tuples(
        st.just("publish"),
        people,
        st.sampled_from(list(ContentKind)),
        st.integers(0, 5),
        sentiments,
    ),
    st.tuples(st.just("edit"), st.integers(0, 5), sentiments),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(
        st.just("engage"),
        st.lists(
            st.tuples(people, st.integers(0, 5), st.sampled_from(list(EngagementKind)),
                      st.integers(0, 4)),
            min_size=1, max_size=6,
        ),
    ),
    st.tuples(st.just("follow"), people, people),
)  # fmt: skip


class Scene:
    """One fresh organization with a community and a few members, driven through the services."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.members: list[int] = []
        self.memberships: dict[int, int] = {}
        self.contents: list[int] = []

    async def start(self) -> None:
        async with self.database.session() as session:
            organizations = OrganizationService(session)
            organization = await organizations.create(f"org-{next(SLUGS)}", "Org")
            assert organization.id is not None
            self.organization_id = organization.id
            topic = await organizations.add_topic(organization.id, TopicDraft("repair", "Repair"))
            assert topic.id is not None
            self.topic_id = topic.id
            community = await CommunityService(session, organization.id).create(
                CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
            )
            assert community.id is not None
            self.community_id = community.id
            service = MemberService(session, organization.id)
            for index in range(PEOPLE):
                interests = (Interest(topic.id, 0.3 * index),) if index else ()
                member = await service.create(MemberDraft(f"m{index}", "M", interests=interests))
                assert member.id is not None
                self.members.append(member.id)

    async def run(self, operation: tuple[Any, ...]) -> None:
        async with self.database.session() as session:
            try:
                await getattr(self, "_" + operation[0])(session, *operation[1:])
            except Exception as error:  # a refused write (bad parent, duplicate) writes nothing
                if type(error).__module__ != "domain.errors":
                    raise

    async def _join(self, session: Any, who: int, state: Any, role: Any) -> None:
        service = MemberService(session, self.organization_id)
        draft = MembershipDraft(self.community_id, self.members[who], role, state)
        membership = await service.join(draft)
        assert membership.id is not None
        self.memberships[who] = membership.id

    async def _change(self, session: Any, who: int, state: Any, role: Any) -> None:
        if who in self.memberships:
            service = MemberService(session, self.organization_id)
            await service.change_membership(self.memberships[who], MembershipChanges(role, state))

    async def _publish(
        self, session: Any, who: int, kind: ContentKind, parent: int, sentiment: float
    ) -> None:
        parent_id = self.contents[parent] if parent < len(self.contents) else None
        draft = ContentDraft(
            self.community_id, kind, "text", author_id=self.members[who], parent_id=parent_id,
            topic_ids=(self.topic_id,) if parent % 2 else (), sentiment=sentiment,
        )  # fmt: skip
        content = await ContentService(session, self.organization_id).publish(draft)
        assert content.id is not None
        self.contents.append(content.id)

    async def _edit(self, session: Any, index: int, sentiment: float) -> None:
        if index < len(self.contents):
            service = ContentService(session, self.organization_id)
            await service.update(self.contents[index], ContentChanges(sentiment=sentiment))

    async def _delete(self, session: Any, index: int) -> None:
        if index < len(self.contents):
            await ContentService(session, self.organization_id).delete(self.contents[index])

    async def _engage(self, session: Any, items: list[tuple[int, int, Any, int]]) -> None:
        drafts = [
            EngagementDraft(
                self.contents[content], self.members[who], kind,
                utcnow() - timedelta(days=days, minutes=1),
            )
            for who, content, kind, days in items
            if content < len(self.contents)
        ]  # fmt: skip
        if drafts:
            await EngagementService(session, self.organization_id).ingest(drafts)

    async def _follow(self, session: Any, who: int, whom: int) -> None:
        service = MemberService(session, self.organization_id)
        await service.follow(self.members[who], self.members[whom])


async def rollups(database: Database, community_id: int) -> tuple[list[Any], list[Any], list[Any]]:
    """The community's daily rows (all-zero rows dropped), activity days, and the members of
    each day's active-member bitmap."""
    daily, activity = CommunityDaily.__table__, MemberActivityDay.__table__  # type: ignore[attr-defined]
    packed = ActiveMembersDay.__table__  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(daily).where(daily.c.community_id == community_id).order_by(daily.c.day)
            )
        ).mappings()
        days = [
            {k: (round(v, 9) if isinstance(v, float) else v) for k, v in row.items()}
            for row in rows
            if any(row[name] for name in COUNTERS)
        ]
        active = (
            await connection.execute(
                select(activity.c.member_id, activity.c.day)
                .where(activity.c.community_id == community_id)
                .order_by(activity.c.member_id, activity.c.day)
            )
        ).all()
        bitmaps = (
            await connection.execute(
                select(packed.c.day, packed.c.members)
                .where(packed.c.community_id == community_id)
                .order_by(packed.c.day)
            )
        ).all()
    members = [(day, sorted(unpack(blob))) for day, blob in bitmaps]
    return days, [tuple(a) for a in active], members


async def rebuilt(database: Database, community_id: int) -> tuple[list[Any], list[Any], list[Any]]:
    async with database.engine.begin() as connection:
        await rebuild_communities(connection, [community_id])
    return await rollups(database, community_id)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations, min_size=1, max_size=14))
async def test_rollups_kept_by_writes_equal_a_rebuild_from_raw_rows(
    db: Database, script: list[tuple[Any, ...]]
) -> None:
    scene = Scene(db)
    await scene.start()
    for operation in script:
        await scene.run(operation)

    kept = await rollups(db, scene.community_id)

    assert kept == await rebuilt(db, scene.community_id)


async def test_a_liked_post_shows_in_the_day_of_the_like_with_one_active_member(
    db: Database,
) -> None:
    scene = Scene(db)
    await scene.start()
    await scene.run(("join", 0, MembershipState.ACTIVE, MembershipRole.MEMBER))
    await scene.run(("publish", 0, ContentKind.POST, 9, 0.0))
    likes = [(1, 0, EngagementKind.LIKE, 2), (1, 0, EngagementKind.VIEW, 2)]
    await scene.run(("engage", likes))

    days, active, bitmaps = await rollups(db, scene.community_id)

    liked = [d for d in days if d["likes"]]
    assert len(liked) == 1
    assert liked[0]["likes"] == 1
    assert liked[0]["views"] == 1
    assert liked[0]["active_members"] == 1
    assert liked[0]["day"] == (utcnow() - timedelta(days=2, minutes=1)).date()
    assert active == [(scene.members[1], liked[0]["day"])]
    assert bitmaps == [(liked[0]["day"], [scene.members[1]])]
    posted = [d for d in days if d["posts"]]
    assert posted[0]["joins"] == 1
    assert posted[0]["audience_delta"] == 1


async def test_the_seeded_demo_has_rollups_that_count_every_engagement(db: Database) -> None:
    report = await seed_demo(db, DemoSpec(members=60, communities=3, organization_slug="demo"))

    daily = CommunityDaily.__table__  # type: ignore[attr-defined]
    counted = sum(daily.c[k] for k in ("views", "likes", "comments", "shares", "clicks"))
    async with db.engine.connect() as connection:
        in_rollups = await connection.scalar(select(func.sum(counted)))
        raw = await connection.scalar(select(func.count()).select_from(Engagement))
        weights = await connection.scalar(select(func.sum(daily.c.quality_weighted)))
        ids = await community_ids(connection, report.organization_id)

    assert in_rollups == raw == report.counts["engagements"]
    assert weights is not None
    assert weights > 0
    for community_id in ids:
        assert await rollups(db, community_id) == await rebuilt(db, community_id)


@pytest.mark.postgres
async def test_concurrent_ingests_into_one_day_lose_no_increment(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    scene = Scene(db)
    await scene.start()
    await scene.run(("publish", 0, ContentKind.POST, 9, 0.0))
    at = utcnow() - timedelta(hours=1)

    async def ingest(who: int) -> None:
        async with db.session() as session:
            service = EngagementService(session, scene.organization_id)
            drafts = [
                EngagementDraft(scene.contents[0], scene.members[who], EngagementKind.LIKE, at)
                for _ in range(20)
            ]
            await service.ingest(drafts)

    await asyncio.gather(*(ingest(i % PEOPLE) for i in range(12)))

    days, active, bitmaps = await rollups(db, scene.community_id)
    liked = [d for d in days if d["likes"]]
    assert liked[0]["likes"] == 12 * 20
    assert liked[0]["active_members"] == PEOPLE == len(active) == len(bitmaps[0][1])
    assert (days, active, bitmaps) == await rebuilt(db, scene.community_id)
