"""community.metrics and organization.metrics over HTTP: KPIs, series, comparison, batching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_harness import Api, Tenant, acme, api, api_db, counting_statements, http

from api.ids import encode_id
from domain.db import Database
from domain.enums import (
    ApiKeyRole,
    ContentKind,
    EngagementKind,
    MembershipRole,
    MembershipState,
    Platform,
    Visibility,
)
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService
from domain.timeutil import utcnow

__all__ = ["acme", "api", "api_db", "http"]

METRICS = """
query Metrics($id: ID!, $window: MetricsWindowInput!, $granularity: MetricsGranularity!,
              $compare: MetricsWindowInput) {
  node(id: $id) {
    ... on Community {
      metrics(window: $window, granularity: $granularity, compareTo: $compare) {
        days { firstDay lastDay }
        summary {
          audienceSize activeMembers stickiness posts engagements likes comments shares
          engagementRate amplificationRate conversationRate applauseRate
          qualityWeightedEngagement netSentiment responseRate medianFirstResponseSeconds
          joins churned churnRate love trust strategyAlignment conversions conversionValue roi
        }
        series { days { firstDay lastDay } posts likes activeMembers audienceSize engagementRate }
        comparison {
          days { firstDay } summary { likes }
          changes { kpi current previous delta relativeChange }
        }
      }
    }
  }
}
"""

TODAY = utcnow().date()


def window(days_back: int, days: int) -> dict[str, str]:
    start = datetime.combine(TODAY - timedelta(days=days_back), datetime.min.time(), UTC)
    return {
        "from": start.isoformat().replace("+00:00", "Z"),
        "to": (start + timedelta(days=days)).isoformat().replace("+00:00", "Z"),
    }


async def community_with_activity(database: Database, tenant: Tenant, name: str) -> str:
    """Four members (one a manager), a post and a question, likes yesterday and today."""
    organization_id = tenant.organization_id
    async with database.session() as session:
        community = await CommunityService(session, organization_id).create(
            CommunityDraft(name, Platform.FORUM, Visibility.PUBLIC)
        )
        assert community.id is not None
        members = MemberService(session, organization_id)
        ids = []
        for index in range(4):
            member = await members.create(MemberDraft(f"{name.lower()}-{index}", f"M{index}"))
            assert member.id is not None
            ids.append(member.id)
            role = MembershipRole.COMMUNITY_MANAGER if index == 0 else MembershipRole.MEMBER
            state = MembershipState.CHURNED if index == 3 else MembershipState.ACTIVE
            await members.join(MembershipDraft(community.id, member.id, role, state))
        content = ContentService(session, organization_id)
        post = await content.publish(
            ContentDraft(community.id, ContentKind.POST, "hello", author_id=ids[1])
        )
        question = await content.publish(
            ContentDraft(community.id, ContentKind.QUESTION, "how?", author_id=ids[2])
        )
        await content.publish(
            ContentDraft(community.id, ContentKind.ANSWER, "so", author_id=ids[0],
                         parent_id=question.id)
        )  # fmt: skip
        await content.publish(
            ContentDraft(community.id, ContentKind.COMMENT, "great", author_id=ids[2],
                         parent_id=post.id, sentiment=0.8)
        )  # fmt: skip
        assert post.id is not None
        yesterday = utcnow() - timedelta(days=1)
        drafts = [
            EngagementDraft(post.id, ids[1], EngagementKind.LIKE, yesterday),
            EngagementDraft(post.id, ids[2], EngagementKind.LIKE, yesterday),
            EngagementDraft(post.id, ids[2], EngagementKind.SHARE),
            EngagementDraft(post.id, ids[2], EngagementKind.LIKE),
        ]
        await EngagementService(session, organization_id).ingest(drafts)
    return encode_id("Community", community.id)


async def test_a_community_reports_every_kpi_by_the_shared_formulas(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    community = await community_with_activity(api_db, acme, "Forum")

    data = await api.data(
        METRICS, id=community, window=window(6, 7), granularity="DAY", compare=None
    )

    metrics = data["node"]["metrics"]
    summary = metrics["summary"]
    assert metrics["days"] == {
        "firstDay": (TODAY - timedelta(days=6)).isoformat(),
        "lastDay": TODAY.isoformat(),
    }
    assert summary["audienceSize"] == 3  # four joined, one churned
    assert summary["joins"] == 4
    assert summary["churned"] == 1
    assert summary["posts"] == 2
    assert summary["likes"] == 3
    assert summary["shares"] == 1
    assert summary["activeMembers"] == 2
    assert summary["engagementRate"] == (3 + 0 + 1) / 3
    assert summary["applauseRate"] == 3 / 2
    assert summary["amplificationRate"] == 1 / 2
    assert summary["netSentiment"] == 100.0  # one comment, positive
    assert summary["responseRate"] == 1.0  # the manager answered the one question
    assert summary["medianFirstResponseSeconds"] >= 0
    assert summary["qualityWeightedEngagement"] > 0
    assert 0 < summary["stickiness"] <= 1
    assert summary["conversions"] == 0
    assert summary["roi"] is None
    series = metrics["series"]
    assert len(series) == 7
    assert sum(p["likes"] for p in series) == 3
    assert series[-2]["likes"] == 2
    assert series[-2]["activeMembers"] == 2
    assert series[-1]["likes"] == 1
    assert series[-1]["activeMembers"] == 1
    assert series[-1]["audienceSize"] == 3
    assert metrics["comparison"] is None


async def test_compare_to_reports_the_change_of_every_kpi(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    community = await community_with_activity(api_db, acme, "Forum")

    data = await api.data(
        METRICS, id=community, window=window(0, 1), granularity="WEEK", compare=window(1, 1)
    )

    metrics = data["node"]["metrics"]
    assert len(metrics["series"]) == 1
    comparison = metrics["comparison"]
    assert comparison["summary"]["likes"] == 2
    likes = next(c for c in comparison["changes"] if c["kpi"] == "likes")
    assert likes == {
        "kpi": "likes", "current": 1.0, "previous": 2.0, "delta": -1.0, "relativeChange": -0.5
    }  # fmt: skip
    roi = next(c for c in comparison["changes"] if c["kpi"] == "roi")
    assert roi["delta"] is None


async def test_the_organization_counts_a_member_active_in_two_communities_once(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    await community_with_activity(api_db, acme, "Forum")
    await community_with_activity(api_db, acme, "Blog")
    query = """
    query($window: MetricsWindowInput!) {
      viewer { organization { metrics(window: $window, granularity: MONTH) {
        summary { likes activeMembers audienceSize } series { likes }
      } } }
    }"""

    data = await api.data(query, window=window(6, 7))

    metrics = data["viewer"]["organization"]["metrics"]
    assert metrics["summary"] == {"likes": 6, "activeMembers": 4, "audienceSize": 6}
    assert sum(p["likes"] for p in metrics["series"]) == 6


async def test_a_window_that_ends_before_it_starts_is_a_clear_error(api: Api, acme: Tenant) -> None:
    backwards = {"from": window(0, 1)["to"], "to": window(0, 1)["from"]}
    query = """
    query($window: MetricsWindowInput!) {
      viewer { organization { metrics(window: $window) { summary { likes } } } }
    }"""

    body = await api.post(query, window=backwards)

    assert body["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"
    assert body["errors"][0]["extensions"]["field"] == ["window.to"]


async def test_an_ingestion_key_may_not_read_metrics_through_the_viewer(
    http: object, api_db: Database, acme: Tenant
) -> None:
    async with api_db.session() as session:
        issued = await OrganizationService(session).issue_key(
            acme.organization_id, ApiKeyRole.INGESTION
        )
    ingestion = Api(http, issued.secret)  # type: ignore[arg-type]
    query = """
    query($window: MetricsWindowInput!) {
      viewer { organization { metrics(window: $window) { summary { likes } } } }
    }"""

    body = await ingestion.post(query, window=window(0, 1))

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


DASHBOARD = """
query($n: Int!, $window: MetricsWindowInput!, $compare: MetricsWindowInput) {
  communities(first: $n) {
    nodes { name metrics(window: $window, compareTo: $compare) {
      summary { likes activeMembers audienceSize responseRate strategyAlignment love }
      series { likes }
    } }
  }
}
"""


async def test_twenty_community_summaries_take_as_many_statements_as_two(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    for index in range(20):
        await community_with_activity(api_db, acme, f"C{index:02d}")
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use

    counts = []
    for size in (2, 20):
        with counting_statements(api_db) as statements:
            data = await api.data(DASHBOARD, n=size, window=window(6, 7), compare=window(13, 7))
        assert [n["metrics"]["summary"]["likes"] for n in data["communities"]["nodes"]] == [
            3
        ] * size
        counts.append(len(statements))

    assert counts[0] == counts[1], counts


FOUR_KPIS = """
query Four($id: ID!, $window: MetricsWindowInput!) {
  node(id: $id) {
    ... on Community {
      metrics(window: $window) { ...Kpis }
    }
  }
}
fragment Kpis on MetricsReport {
  summary { audienceSize activeMembers ... on MetricsSummary { engagementRate netSentiment } }
}
"""


async def test_a_summary_of_four_kpis_skips_the_statements_only_other_kpis_need(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    community = await community_with_activity(api_db, acme, "Forum")
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use
    every = window(6, 7)

    with counting_statements(api_db) as full_statements:
        full = await api.data(METRICS, id=community, window=every, granularity="DAY", compare=None)
    with counting_statements(api_db) as four_statements:
        four = await api.data(FOUR_KPIS, id=community, window=every)

    summary = full["node"]["metrics"]["summary"]
    wanted = ("audienceSize", "activeMembers", "engagementRate", "netSentiment")
    assert four["node"]["metrics"]["summary"] == {name: summary[name] for name in wanted}
    assert summary["netSentiment"] == 100.0
    # Questions, topics, love and trust, and conversions are not read for these four.
    assert len(four_statements) <= len(full_statements) - 4, (four_statements, full_statements)
