"""Orbit levels and flow, influencers and retention cohorts over HTTP, and the jobs behind them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from api_harness import Api, Tenant, acme, api, api_db, counting_statements, http

from api.ids import encode_id
from domain.db import Database
from domain.enums import ContentKind, EngagementKind, MembershipRole, Platform, Visibility
from domain.influence import recompute
from domain.orbit import reevaluate
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import MemberDraft, MemberService, MembershipDraft
from domain.timeutil import utcnow

__all__ = ["acme", "api", "api_db", "http"]

INSIGHTS = """
query($id: ID!, $window: MetricsWindowInput!, $first: Int!) {
  node(id: $id) {
    ... on Community {
      orbitLevels { level count }
      orbitFlow(window: $window) { fromLevel toLevel count }
      influencers(first: $first) { rank reach engagementQuality score member { handle } }
      retention(cohort: WEEK, cohorts: 2) { firstDay lastDay size retained }
    }
  }
}
"""


class Town:
    """A community of four members driven through the services."""

    def __init__(self, database: Database, tenant: Tenant) -> None:
        self.database = database
        self.organization_id = tenant.organization_id
        self.members: list[int] = []
        self.contents: list[int] = []

    async def build(self) -> None:
        async with self.database.session() as session:
            community = await CommunityService(session, self.organization_id).create(
                CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
            )
            assert community.id is not None
            self.community_id = community.id
            service = MemberService(session, self.organization_id)
            for name in ("ann", "ben", "cat", "dan"):
                member = await service.create(MemberDraft(name, name.title()))
                assert member.id is not None
                self.members.append(member.id)
                await service.join(MembershipDraft(community.id, member.id, MembershipRole.MEMBER))

    async def publish(self, who: int, kind: ContentKind = ContentKind.ARTICLE) -> int:
        async with self.database.session() as session:
            content = await ContentService(session, self.organization_id).publish(
                ContentDraft(self.community_id, kind, "text", author_id=self.members[who])
            )
        assert content.id is not None
        self.contents.append(content.id)
        return content.id

    async def engage(self, who: int, content_id: int, kind: EngagementKind, times: int) -> None:
        async with self.database.session() as session:
            drafts = [EngagementDraft(content_id, self.members[who], kind)] * times
            await EngagementService(session, self.organization_id).ingest(drafts)

    async def follow(self, who: int, whom: int) -> None:
        async with self.database.session() as session:
            await MemberService(session, self.organization_id).follow(
                self.members[who], self.members[whom]
            )

    async def query(self, api: Api, first: int = 10, days_ahead: int = 0) -> dict[str, Any]:
        today = datetime.combine(utcnow().date(), datetime.min.time(), UTC)
        today += timedelta(days=days_ahead)
        window = {
            "from": today.isoformat().replace("+00:00", "Z"),
            "to": (today + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        }
        data = await api.data(
            INSIGHTS, id=encode_id("Community", self.community_id), window=window, first=first
        )
        node: dict[str, Any] = data["node"]
        return node


def levels(node: dict[str, Any]) -> dict[int, int]:
    return {row["level"]: row["count"] for row in node["orbitLevels"]}


async def test_a_member_is_promoted_as_soon_as_their_writes_earn_it(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    town = Town(api_db, acme)
    await town.build()

    for _ in range(3):
        await town.publish(0)  # three articles: 5 points each

    node = await town.query(api)
    assert levels(node) == {1: 1, 2: 0, 3: 0, 4: 3}
    assert node["orbitFlow"] == [
        {"fromLevel": 2, "toLevel": 1, "count": 1},
        {"fromLevel": 3, "toLevel": 2, "count": 1},
        {"fromLevel": 4, "toLevel": 3, "count": 1},
    ]


async def test_demotion_waits_for_the_reevaluation(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    town = Town(api_db, acme)
    await town.build()
    content = await town.publish(1)
    await town.engage(1, content, EngagementKind.SHARE, 8)  # 5 + 12 points: orbit 1
    assert levels(await town.query(api))[1] == 1

    async with api_db.session() as session:
        await ContentService(session, acme.organization_id).delete(content)
    assert levels(await town.query(api))[1] == 1, "a write never demotes"

    async with api_db.engine.begin() as connection:
        changed = await reevaluate(connection, town.community_id, now=utcnow() + timedelta(days=91))

    node = await town.query(api, days_ahead=91)
    assert changed == 1
    assert levels(node) == {1: 0, 2: 0, 3: 0, 4: 4}
    assert node["orbitFlow"] == [{"fromLevel": 1, "toLevel": 4, "count": 1}]


async def test_influencers_rank_reach_together_with_the_quality_they_bring(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    town = Town(api_db, acme)
    await town.build()
    for follower in (1, 2, 3):
        await town.follow(follower, 0)  # ann is followed by everyone
    await town.follow(0, 3)  # dan is followed by ann
    post = await town.publish(0, ContentKind.POST)
    await town.engage(2, post, EngagementKind.LIKE, 3)

    async with api_db.engine.begin() as connection:
        scored = await recompute(connection, acme.organization_id)
    node = await town.query(api, first=2)

    assert scored == 4
    ranked = node["influencers"]
    assert [i["member"]["handle"] for i in ranked] == ["ann", "dan"]
    assert [i["rank"] for i in ranked] == [1, 2]
    assert ranked[0]["engagementQuality"] > 0
    assert ranked[1]["engagementQuality"] == 0
    assert ranked[0]["score"] > ranked[1]["score"] > 0


async def test_more_than_a_hundred_influencers_is_a_clear_error(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    town = Town(api_db, acme)
    await town.build()

    body = await api.post(
        "query($id: ID!) { node(id: $id) { ... on Community {"
        " influencers(first: 101) { rank } } } }",
        id=encode_id("Community", town.community_id),
    )

    assert body["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"


async def test_this_weeks_cohort_counts_who_joined_and_who_engaged(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    town = Town(api_db, acme)
    await town.build()
    post = await town.publish(0, ContentKind.POST)
    await town.engage(1, post, EngagementKind.VIEW, 1)

    cohorts = (await town.query(api))["retention"]

    assert len(cohorts) == 2
    this_week = cohorts[-1]
    assert this_week["size"] == 4
    assert this_week["retained"] == [0.25]  # one of four engaged
    assert cohorts[0]["size"] == 0
    assert cohorts[0]["retained"] == [0.0, 0.0]


async def test_influencer_members_come_with_the_ranking_and_only_when_asked_for(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    town = Town(api_db, acme)
    await town.build()
    for follower in (1, 2, 3):
        await town.follow(follower, 0)
    async with api_db.engine.begin() as connection:
        await recompute(connection, acme.organization_id)
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use
    community = encode_id("Community", town.community_id)
    ask = "query($id: ID!) { node(id: $id) { ... on Community { influencers(first: 3) { %s } } } }"

    with counting_statements(api_db) as asked:
        members = await api.data(ask % "rank member { handle }", id=community)
    with counting_statements(api_db) as not_asked:
        ranks = await api.data(ask % "rank", id=community)

    ranked = members["node"]["influencers"]
    assert ranked[0]["member"] == {"handle": "ann"}
    assert all(i["member"]["handle"] for i in ranked)
    assert [i["rank"] for i in ranks["node"]["influencers"]] == [i["rank"] for i in ranked]
    # `FROM member` itself, not `FROM membership_influence`.
    assert len([s for s in asked if re.search(r"FROM member\b", s)]) == 1, asked
    assert not [s for s in not_asked if re.search(r"FROM member\b", s)], not_asked
