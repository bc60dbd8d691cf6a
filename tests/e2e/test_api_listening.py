"""The listening API over HTTP: mentions in, the inbox, triage and escalations, userErrors."""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import (
    Api,
    Tenant,
    acme,
    api,
    api_db,
    counting_statements,
    http,
    row_counts,
    tenant,
)

from api.ids import encode_id
from domain.db import Database
from domain.enums import MembershipRole, Platform, Visibility
from domain.listening.escalations import Actor, EscalationDraft, EscalationService
from domain.listening.mentions import MentionDraft, MentionService
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.members import Interest, MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService, TopicDraft

__all__ = ["acme", "api", "api_db", "http"]

MENTION = "id text sentiment sentimentLabel reach kind priority status topics { slug }"
RECORD = f"""mutation R($input: MentionRecordInput!) {{
  mentionRecord(input: $input) {{ mention {{ {MENTION} }} userErrors {{ field message code }} }}
}}"""
INGEST = """mutation I($input: MentionsIngestInput!) {
  mentionsIngest(input: $input) { ingestedCount mentions { id } userErrors { field code } }
}"""
INBOX = """query Q($filter: MentionFilter, $first: Int, $after: String) {
  mentions(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { authorHandle status }
  }
}"""


async def _expert(db: Database, organization_id: int) -> tuple[str, str]:
    """A billing topic and an expert on it; their global ids."""
    async with db.session() as session:
        topic = await OrganizationService(session).add_topic(
            organization_id, TopicDraft("billing", "Billing", ("billing", "invoice"))
        )
        assert topic.id is not None
        community = await CommunityService(session, organization_id).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        members = MemberService(session, organization_id)
        expert = await members.create(
            MemberDraft("bea", "Bea", interests=(Interest(topic.id, 0.9),))
        )
        assert expert.id is not None
        assert community.id is not None
        await members.join(
            MembershipDraft(community.id, expert.id, role=MembershipRole.SUBJECT_MATTER_EXPERT)
        )
    return encode_id("Topic", topic.id), encode_id("Member", expert.id)


async def _record(api: Api, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(RECORD, input=fields))["mentionRecord"]
    return result


async def test_a_recorded_mention_is_scored_tagged_and_listed_in_the_inbox(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    topic, _ = await _expert(api_db, acme.organization_id)
    made = await _record(
        api,
        source="twitter",
        text="My invoice is wrong AGAIN. Terrible!",
        authorHandle="@kim",
        authorFollowers=300,
    )
    assert made["userErrors"] == []
    mention = made["mention"]
    assert mention["sentimentLabel"] == "NEGATIVE"
    assert mention["kind"] == "COMPLAINT"
    assert (mention["reach"], mention["status"]) == (300, "NEW")
    assert mention["topics"] == [{"slug": "billing"}]
    node = await api.data(
        "query N($id: ID!) { node(id: $id) { ... on Mention { text } } }", id=mention["id"]
    )
    assert node["node"]["text"].startswith("My invoice")
    inbox = await api.data(INBOX, filter={"topicId": topic, "sentiment": "NEGATIVE"})
    assert inbox["mentions"]["totalCount"] == 1


async def test_bulk_ingest_is_all_or_nothing_with_errors_per_item(
    api: Api, api_db: Database
) -> None:
    good = {"source": "forum", "text": "nice", "authorHandle": "a"}
    before = await row_counts(api_db)
    refused = (await api.data(INGEST, input={"items": [good, {**good, "sentiment": 2.0}, good]}))[
        "mentionsIngest"
    ]
    assert refused["ingestedCount"] == 0
    assert refused["userErrors"] == [
        {"field": ["input", "items", "1", "sentiment"], "code": "OUT_OF_RANGE"}
    ]
    assert await row_counts(api_db) == before
    done = (await api.data(INGEST, input={"items": [good] * 30}))["mentionsIngest"]
    assert done["ingestedCount"] == 30
    first = await api.data(INBOX, first=20)
    rest = await api.data(INBOX, first=20, after=first["mentions"]["pageInfo"]["endCursor"])
    assert first["mentions"]["totalCount"] == 30
    assert len(first["mentions"]["nodes"]) + len(rest["mentions"]["nodes"]) == 30
    assert not rest["mentions"]["pageInfo"]["hasNextPage"]


async def test_a_mention_escalated_responded_and_resolved_shows_its_history(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    _, expert = await _expert(api_db, acme.organization_id)
    mention = (await _record(api, source="forum", text="billing broke", authorHandle="x"))[
        "mention"
    ]["id"]
    triage = await api.data(
        "mutation T($input: MentionTriageInput!) { mentionTriage(input: $input) "
        "{ mention { status priority } userErrors { code } } }",
        input={"id": mention, "priority": "HIGH"},
    )
    assert triage["mentionTriage"]["mention"] == {"status": "TRIAGED", "priority": "HIGH"}
    created = await api.data(
        "mutation E($input: EscalationCreateInput!) { escalationCreate(input: $input) "
        "{ escalation { id targetSeconds assignee { id } mention { status } } "
        "userErrors { code } } }",
        input={"mentionId": mention},
    )
    escalation = created["escalationCreate"]["escalation"]
    assert escalation["assignee"]["id"] == expert
    assert escalation["targetSeconds"] == 4 * 3600
    assert escalation["mention"]["status"] == "ESCALATED"
    await api.data(
        "mutation R($input: EscalationRespondInput!) { escalationRespond(input: $input) "
        "{ userErrors { code } } }",
        input={"id": escalation["id"], "text": "Fixed it"},
    )
    resolved = await api.data(
        "mutation S($input: EscalationResolveInput!) { escalationResolve(input: $input) "
        "{ escalation { status withinTarget mention { status responseText } "
        "history(first: 10) { totalCount nodes { action toStatus actor } } } } }",
        input={"id": escalation["id"]},
    )
    done = resolved["escalationResolve"]["escalation"]
    assert done["status"] == "RESOLVED"
    assert done["withinTarget"] is True
    assert done["mention"] == {"status": "RESPONDED", "responseText": "Fixed it"}
    assert [n["action"] for n in done["history"]["nodes"]] == ["CREATED", "RESPONDED", "RESOLVED"]
    assert done["history"]["nodes"][0]["actor"].startswith("api_key:")
    listed = await api.data("{ escalations(status: RESOLVED) { totalCount } }")
    assert listed["escalations"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("mutation", "input_type", "make_input", "field", "code"),
    [
        (
            "mentionIgnore",
            "MentionIgnoreInput",
            lambda m: {"id": "nope"},
            ["input", "id"],
            "NOT_FOUND",
        ),
        (
            "mentionRespond",
            "MentionRespondInput",
            lambda m: {"id": m, "text": " "},
            ["input", "text"],
            "BLANK",
        ),
        (
            "escalationCreate",
            "EscalationCreateInput",
            lambda m: {},
            ["input", "mentionId"],
            "REQUIRED",
        ),
        (
            "escalationResolve",
            "EscalationResolveInput",
            lambda m: {"id": encode_id("Escalation", 999)},
            ["input", "id"],
            "NOT_FOUND",
        ),
    ],
)
async def test_bad_listening_input_is_a_user_error_that_writes_nothing(
    api: Api,
    api_db: Database,
    mutation: str,
    input_type: str,
    make_input: Any,
    field: list[str],
    code: str,
) -> None:
    mention = (await _record(api, source="forum", text="hi", authorHandle="x"))["mention"]["id"]
    before = await row_counts(api_db)
    result = await api.data(
        f"mutation M($input: {input_type}!) {{ {mutation}(input: $input) "
        "{ userErrors { field code } } }",
        input=make_input(mention),
    )
    assert result[mutation]["userErrors"] == [{"field": field, "code": code}]
    assert await row_counts(api_db) == before


async def test_another_organizations_mentions_are_invisible(
    api: Api, api_db: Database, http: Any
) -> None:
    mention = (await _record(api, source="forum", text="hi", authorHandle="x"))["mention"]["id"]
    other = Api(http, (await tenant(api_db, "globex")).key)
    assert (await other.data(INBOX))["mentions"]["totalCount"] == 0
    node = await other.data("query N($id: ID!) { node(id: $id) { id } }", id=mention)
    assert node["node"] is None
    ignored = await other.data(
        "mutation M($input: MentionIgnoreInput!) { mentionIgnore(input: $input) "
        "{ userErrors { code } } }",
        input={"id": mention},
    )
    assert ignored["mentionIgnore"]["userErrors"] == [{"code": "NOT_FOUND"}]


INBOX_WITH_ESCALATIONS = """query Q($first: Int!) {
  mentions(first: $first) { nodes { id text sentiment author { id handle }
    escalation { id status priority assignee { id handle } } } }
}"""


async def _escalated_mentions(db: Database, organization_id: int, count: int) -> list[int]:
    """`count` mentions by members, every other one escalated; their ids, oldest first."""
    async with db.session() as session:
        members = MemberService(session, organization_id)
        authors = [await members.create(MemberDraft(f"fan{i}", f"Fan {i}")) for i in range(5)]
        drafts = [
            MentionDraft(source="forum", text=f"about billing {i}", author_id=authors[i % 5].id)
            for i in range(count)
        ]
        mentions = await MentionService(session, organization_id).ingest(drafts)
        escalations = EscalationService(session, organization_id, Actor(None, "test"))
        for mention in mentions[::2]:
            await escalations.create(EscalationDraft(mention_id=mention.id))
    return [m.id for m in mentions if m.id is not None]


async def test_an_inbox_page_with_escalations_takes_as_many_statements_for_50_as_for_5(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    await _expert(api_db, acme.organization_id)
    await _escalated_mentions(api_db, acme.organization_id, 60)
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use

    counts = []
    for size in (5, 50):
        with counting_statements(api_db) as statements:
            nodes = (await api.data(INBOX_WITH_ESCALATIONS, first=size))["mentions"]["nodes"]
        assert len(nodes) == size
        assert all(n["author"]["handle"].startswith("fan") for n in nodes)
        escalated = [n["escalation"] for n in nodes if n["escalation"] is not None]
        assert len(escalated) == size // 2
        assert all(e["status"] == "OPEN" and e["assignee"]["handle"] == "bea" for e in escalated)
        counts.append(len(statements))

    assert counts[0] == counts[1], counts


async def test_a_mention_shows_its_latest_escalation_and_null_when_never_escalated(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    await _expert(api_db, acme.organization_id)
    first, second = await _escalated_mentions(api_db, acme.organization_id, 2)
    async with api_db.session() as session:
        escalations = EscalationService(session, acme.organization_id, Actor(None, "test"))
        earlier = (await escalations.latest_for_mentions([first]))[first]
        assert earlier.id is not None
        await escalations.resolve(earlier.id)
        later = await escalations.create(EscalationDraft(mention_id=first, reason="again"))

    nodes = (await api.data(INBOX_WITH_ESCALATIONS, first=10))["mentions"]["nodes"]
    shown = {n["id"]: n["escalation"] for n in nodes}
    assert shown[encode_id("Mention", second)] is None
    assert shown[encode_id("Mention", first)]["id"] == encode_id("Escalation", later.id)
    assert shown[encode_id("Mention", first)]["status"] == "OPEN"


async def test_inbox_authors_come_with_the_page_and_are_not_read_when_not_asked_for(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    await _escalated_mentions(api_db, acme.organization_id, 8)
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use
    with_authors = "{ mentions(first: 8) { edges { node { text author { handle } } } } }"
    without = "{ mentions(first: 8) { nodes { text authorHandle } } }"

    with counting_statements(api_db) as asked:
        edges = (await api.data(with_authors))["mentions"]["edges"]
    with counting_statements(api_db) as not_asked:
        nodes = (await api.data(without))["mentions"]["nodes"]

    handles = {edge["node"]["text"]: edge["node"]["author"]["handle"] for edge in edges}
    assert handles == {f"about billing {i}": f"fan{i % 5}" for i in range(8)}
    assert len(nodes) == 8
    assert len([s for s in asked if "FROM member" in s]) == 1, asked
    assert not [s for s in not_asked if "FROM member" in s], not_asked
