"""Another organization's ids behave exactly like ids that never existed."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http, row_counts, tenant

from api.ids import encode_id
from domain.db import Database
from domain.enums import ContentKind, EngagementKind, Platform, Visibility
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService, TopicDraft

__all__ = ["acme", "api", "api_db", "http"]

UNKNOWN_ROW = 987654321
NODE_TYPES = [
    "Organization",
    "Topic",
    "Community",
    "Member",
    "Membership",
    "Follow",
    "Content",
    "Engagement",
]


@dataclass
class Rows:
    ids: dict[str, str]


async def populate(database: Database, owner: Tenant) -> Rows:
    """One row of every Node type in `owner`'s organization, by global id."""
    org = owner.organization_id
    async with database.session() as session:
        topic = await OrganizationService(session).add_topic(org, TopicDraft("t", "T"))
        community = await CommunityService(session, org).create(
            CommunityDraft("C", Platform.FORUM, Visibility.PUBLIC)
        )
        members = MemberService(session, org)
        ada = await members.create(MemberDraft("ada", "Ada"))
        bob = await members.create(MemberDraft("bob", "Bob"))
        assert None not in (community.id, ada.id, bob.id, topic.id)
        assert community.id and ada.id and bob.id and topic.id  # noqa: PT018  (narrows types)
        membership = await members.join(MembershipDraft(community.id, ada.id))
        follow = await members.follow(ada.id, bob.id)
        post = await ContentService(session, org).publish(
            ContentDraft(
                community.id, ContentKind.POST, "hi", author_id=ada.id, topic_ids=(topic.id,)
            )
        )
        assert post.id
        engagement = await EngagementService(session, org).record(
            EngagementDraft(post.id, bob.id, EngagementKind.LIKE)
        )
    rows = {
        "Organization": org,
        "Topic": topic.id,
        "Community": community.id,
        "Member": ada.id,
        "Membership": membership.id,
        "Follow": follow.id,
        "Content": post.id,
        "Engagement": engagement.id,
    }
    return Rows({name: encode_id(name, row_id) for name, row_id in rows.items()})  # type: ignore[arg-type]


@pytest.fixture
async def foreign(api_db: Database, acme: Tenant) -> Rows:
    await populate(api_db, acme)  # acme has rows of its own, so lists are not trivially empty
    other = await tenant(api_db, "globex")
    return await populate(api_db, other)


NODE_QUERY = "query($id: ID!) { node(id: $id) { __typename id } }"


def answer(body: dict[str, object]) -> dict[str, object]:
    # `extensions.cost` reports the caller's rate-limit bucket, which drains between two calls.
    return {key: value for key, value in body.items() if key != "extensions"}


@pytest.mark.parametrize("type_name", NODE_TYPES)
async def test_node_of_a_foreign_id_answers_exactly_as_an_unknown_id(
    api: Api, foreign: Rows, type_name: str
) -> None:
    foreign_answer = await api.post(NODE_QUERY, id=foreign.ids[type_name])
    unknown_answer = await api.post(NODE_QUERY, id=encode_id(type_name, UNKNOWN_ROW))
    assert answer(foreign_answer) == answer(unknown_answer) == {"data": {"node": None}}


async def test_own_ids_resolve_to_their_nodes(api: Api, api_db: Database, acme: Tenant) -> None:
    own = await populate(api_db, acme)
    data = await api.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", ids=list(own.ids.values())
    )
    assert data["nodes"] == [{"__typename": t, "id": own.ids[t]} for t in own.ids]


async def test_nodes_of_foreign_unknown_and_malformed_ids_are_all_null(
    api: Api, foreign: Rows
) -> None:
    ids = [
        *foreign.ids.values(),
        encode_id("Community", UNKNOWN_ROW),
        "garbage",
        encode_id("Nope", 1),
    ]
    data = await api.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids)
    assert data["nodes"] == [None] * len(ids)


async def test_a_soft_deleted_content_is_as_unknown_as_a_foreign_one(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    own = await populate(api_db, acme)
    deleted = await api.data(
        "mutation($id: ID!) { contentDelete(input: {id: $id}) { deletedContentId } }",
        id=own.ids["Content"],
    )
    assert deleted["contentDelete"]["deletedContentId"] == own.ids["Content"]
    assert answer(await api.post(NODE_QUERY, id=own.ids["Content"])) == {"data": {"node": None}}


async def test_foreign_rows_never_appear_in_lists(api: Api, foreign: Rows) -> None:
    data = await api.data("{ communities { totalCount nodes { id } } members { totalCount } }")
    assert foreign.ids["Community"] not in [n["id"] for n in data["communities"]["nodes"]]
    assert data["communities"]["totalCount"] == 1
    assert data["members"]["totalCount"] == 2


MUTATION_INPUTS = [
    (
        "communityUpdate",
        "CommunityUpdateInput",
        "community { id }",
        lambda ids: {"id": ids["Community"], "name": "Mine now"},
    ),
    (
        "communityArchive",
        "CommunityArchiveInput",
        "community { id }",
        lambda ids: {"id": ids["Community"]},
    ),
    (
        "membershipUpdate",
        "MembershipUpdateInput",
        "membership { id }",
        lambda ids: {"id": ids["Membership"], "love": 0.5},
    ),
    (
        "membershipCreate",
        "MembershipCreateInput",
        "membership { id }",
        lambda ids: {"communityId": ids["Community"], "memberId": ids["Member"]},
    ),
    (
        "followCreate",
        "FollowCreateInput",
        "follow { id }",
        lambda ids: {"followerId": ids["Member"], "followeeId": ids["Member"] + ""},
    ),
    (
        "contentPublish",
        "ContentPublishInput",
        "content { id }",
        lambda ids: {
            "communityId": ids["Community"],
            "kind": "POST",
            "body": "x",
            "topicIds": [ids["Topic"]],
        },
    ),
    (
        "contentUpdate",
        "ContentUpdateInput",
        "content { id }",
        lambda ids: {"id": ids["Content"], "title": "x"},
    ),
    ("contentDelete", "ContentDeleteInput", "deletedContentId", lambda ids: {"id": ids["Content"]}),
    (
        "engagementRecord",
        "EngagementRecordInput",
        "engagement { id }",
        lambda ids: {"contentId": ids["Content"], "memberId": ids["Member"], "kind": "LIKE"},
    ),
    (
        "engagementsIngest",
        "EngagementsIngestInput",
        "ingestedCount",
        lambda ids: {
            "items": [{"contentId": ids["Content"], "memberId": ids["Member"], "kind": "LIKE"}]
        },
    ),
    (
        "memberCreate",
        "MemberCreateInput",
        "member { id }",
        lambda ids: {
            "handle": "zed",
            "displayName": "Zed",
            "interests": [{"topicId": ids["Topic"], "weight": 0.5}],
        },
    ),
]


@pytest.mark.parametrize(
    ("mutation", "input_type", "selection", "make_input"),
    MUTATION_INPUTS,
    ids=[m for m, *_ in MUTATION_INPUTS],
)
async def test_a_foreign_id_in_a_mutation_input_answers_exactly_as_an_unknown_id(
    api: Api,
    api_db: Database,
    foreign: Rows,
    mutation: str,
    input_type: str,
    selection: str,
    make_input: object,
) -> None:
    unknown = {name: encode_id(name, UNKNOWN_ROW) for name in NODE_TYPES}
    query = (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) "
        f"{{ {selection} userErrors {{ field message code }} }} }}"
    )
    before = await row_counts(api_db)
    foreign_answer = await api.post(query, input=make_input(foreign.ids))  # type: ignore[operator]
    unknown_answer = await api.post(query, input=make_input(unknown))  # type: ignore[operator]
    assert answer(foreign_answer) == answer(unknown_answer)
    errors = foreign_answer["data"][mutation]["userErrors"]
    assert errors
    assert all(e["code"] in {"NOT_FOUND", "SELF_FOLLOW"} for e in errors), errors
    assert await row_counts(api_db) == before


async def test_a_key_of_one_organization_sees_only_its_own_viewer(
    http: httpx.AsyncClient, api_db: Database, acme: Tenant
) -> None:
    other = await tenant(api_db, "globex")
    data = await Api(http, other.key).data("{ viewer { organization { slug } } }")
    assert data["viewer"]["organization"]["slug"] == "globex"
