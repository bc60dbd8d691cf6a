"""Every mutation writes what it should, and bad input returns userErrors and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from api_harness import Api, acme, api, api_db, http, row_counts

from api.ids import encode_id
from domain.db import Database

__all__ = ["acme", "api", "api_db", "http"]

UNKNOWN_COMMUNITY = encode_id("Community", 987654321)
UNKNOWN_MEMBER = encode_id("Member", 987654321)
UNKNOWN_CONTENT = encode_id("Content", 987654321)
UNKNOWN_TOPIC = encode_id("Topic", 987654321)
MALFORMED = "definitely-not-an-id"

MUTATIONS = {
    "communityCreate": ("CommunityCreateInput", "community { id name }"),
    "communityUpdate": ("CommunityUpdateInput", "community { id name }"),
    "communityArchive": ("CommunityArchiveInput", "community { id archived }"),
    "memberCreate": ("MemberCreateInput", "member { id handle interests { weight } }"),
    "membershipCreate": ("MembershipCreateInput", "membership { id role }"),
    "membershipUpdate": ("MembershipUpdateInput", "membership { id love }"),
    "followCreate": ("FollowCreateInput", "follow { id follower { handle } }"),
    "contentPublish": ("ContentPublishInput", "content { id kind topics { slug } }"),
    "contentUpdate": ("ContentUpdateInput", "content { id title }"),
    "contentDelete": ("ContentDeleteInput", "deletedContentId"),
    "engagementRecord": ("EngagementRecordInput", "engagement { id kind }"),
    "engagementsIngest": ("EngagementsIngestInput", "ingestedCount"),
}


async def mutate(api: Api, name: str, payload_input: dict[str, Any]) -> dict[str, Any]:
    input_type, selection = MUTATIONS[name]
    query = (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field message code } } }"
    )
    result: dict[str, Any] = (await api.data(query, input=payload_input))[name]
    return result


async def ok(api: Api, name: str, payload_input: dict[str, Any]) -> dict[str, Any]:
    result = await mutate(api, name, payload_input)
    assert result["userErrors"] == [], result
    return result


@dataclass
class World:
    community: str
    archived: str
    member: str
    other_member: str
    membership: str
    post: str
    deleted: str
    topic: str


@pytest.fixture
async def world(api: Api, api_db: Database) -> World:
    from domain.services.organizations import OrganizationService, TopicDraft

    async with api_db.session() as session:
        topic = await OrganizationService(session).add_topic(1, TopicDraft("pricing", "Pricing"))
    assert topic.id is not None
    topic_id = encode_id("Topic", topic.id)
    made = await ok(
        api, "communityCreate", {"name": "Forum", "platform": "FORUM", "visibility": "PUBLIC"}
    )
    community = made["community"]["id"]
    archived = (
        await ok(
            api, "communityCreate", {"name": "Old", "platform": "BLOG", "visibility": "PRIVATE"}
        )
    )["community"]["id"]
    await ok(api, "communityArchive", {"id": archived})
    member = (
        await ok(
            api,
            "memberCreate",
            {
                "handle": "ada",
                "displayName": "Ada",
                "interests": [{"topicId": topic_id, "weight": 0.6}],
            },
        )
    )["member"]["id"]
    other = (await ok(api, "memberCreate", {"handle": "bob", "displayName": "Bob"}))["member"]["id"]
    membership = (
        await ok(api, "membershipCreate", {"communityId": community, "memberId": member})
    )["membership"]["id"]
    await ok(api, "followCreate", {"followerId": member, "followeeId": other})
    post = (
        await ok(
            api,
            "contentPublish",
            {
                "communityId": community,
                "kind": "POST",
                "body": "Hello",
                "authorId": member,
                "topicIds": [topic_id],
            },
        )
    )["content"]["id"]
    deleted = (
        await ok(api, "contentPublish", {"communityId": community, "kind": "POST", "body": "Bye"})
    )["content"]["id"]
    await ok(api, "contentDelete", {"id": deleted})
    return World(community, archived, member, other, membership, post, deleted, topic_id)


async def test_every_mutation_writes_what_it_is_asked_to(api: Api, world: World) -> None:
    await ok(api, "communityUpdate", {"id": world.community, "name": "Renamed"})
    await ok(api, "membershipUpdate", {"id": world.membership, "love": 0.9, "role": "MODERATOR"})
    reply = await ok(
        api,
        "contentPublish",
        {"communityId": world.community, "kind": "REPLY", "body": "Hi", "parentId": world.post},
    )
    await ok(api, "contentUpdate", {"id": world.post, "title": "Greeting"})
    await ok(
        api, "engagementRecord", {"contentId": world.post, "memberId": world.member, "kind": "LIKE"}
    )
    items = [{"contentId": world.post, "memberId": world.other_member, "kind": "VIEW"}] * 3
    ingested = await ok(api, "engagementsIngest", {"items": items})
    assert ingested["ingestedCount"] == 3

    data = await api.data(
        """query($id: ID!) { node(id: $id) { ... on Content {
             title replyCount author { handle } topics { slug } community { name }
             replies { totalCount nodes { id parent { id } } }
             engagements { totalCount nodes { kind member { handle } } } } } }""",
        id=world.post,
    )
    post = data["node"]
    assert post["title"] == "Greeting"
    assert post["replyCount"] == 1
    assert post["author"] == {"handle": "ada"}
    assert post["topics"] == [{"slug": "pricing"}]
    assert post["community"] == {"name": "Renamed"}
    assert post["replies"]["nodes"] == [
        {"id": reply["content"]["id"], "parent": {"id": world.post}}
    ]
    assert post["engagements"]["totalCount"] == 4


BAD_INPUTS: list[tuple[str, str, Any, list[str], str]] = [
    # (mutation, what is wrong, input (a function of the world), field, code)
    (
        "communityCreate",
        "blank name",
        lambda w: {"name": "  ", "platform": "FORUM", "visibility": "PUBLIC"},
        ["input", "name"],
        "BLANK",
    ),
    (
        "communityCreate",
        "name too long",
        lambda w: {"name": "x" * 201, "platform": "FORUM", "visibility": "PUBLIC"},
        ["input", "name"],
        "TOO_LONG",
    ),
    (
        "communityUpdate",
        "unknown id",
        lambda w: {"id": UNKNOWN_COMMUNITY, "name": "x"},
        ["input", "id"],
        "NOT_FOUND",
    ),
    (
        "communityUpdate",
        "malformed id",
        lambda w: {"id": MALFORMED, "name": "x"},
        ["input", "id"],
        "NOT_FOUND",
    ),
    (
        "communityUpdate",
        "an id of another type",
        lambda w: {"id": w.member, "name": "x"},
        ["input", "id"],
        "NOT_FOUND",
    ),
    (
        "communityUpdate",
        "blank name",
        lambda w: {"id": w.community, "name": ""},
        ["input", "name"],
        "BLANK",
    ),
    (
        "communityUpdate",
        "archived",
        lambda w: {"id": w.archived, "name": "x"},
        ["input", "id"],
        "ARCHIVED",
    ),
    (
        "communityArchive",
        "unknown id",
        lambda w: {"id": UNKNOWN_COMMUNITY},
        ["input", "id"],
        "NOT_FOUND",
    ),
    (
        "communityArchive",
        "archived twice",
        lambda w: {"id": w.archived},
        ["input", "id"],
        "ARCHIVED",
    ),
    (
        "memberCreate",
        "bad handle",
        lambda w: {"handle": "no spaces", "displayName": "x"},
        ["input", "handle"],
        "INVALID_FORMAT",
    ),
    (
        "memberCreate",
        "taken handle",
        lambda w: {"handle": "ada", "displayName": "x"},
        ["input", "handle"],
        "CONFLICT",
    ),
    (
        "memberCreate",
        "unknown interest topic",
        lambda w: {
            "handle": "cy",
            "displayName": "Cy",
            "interests": [{"topicId": UNKNOWN_TOPIC, "weight": 0.1}],
        },
        ["input", "interests", "0", "topicId"],
        "NOT_FOUND",
    ),
    (
        "memberCreate",
        "weights above 1",
        lambda w: {
            "handle": "cy",
            "displayName": "Cy",
            "interests": [
                {"topicId": w.topic, "weight": 0.8},
                {"topicId": MALFORMED, "weight": 0.8},
            ],
        },
        ["input", "interests"],
        "OUT_OF_RANGE",
    ),
    (
        "membershipCreate",
        "unknown community",
        lambda w: {"communityId": UNKNOWN_COMMUNITY, "memberId": w.other_member},
        ["input", "communityId"],
        "NOT_FOUND",
    ),
    (
        "membershipCreate",
        "archived community",
        lambda w: {"communityId": w.archived, "memberId": w.other_member},
        ["input", "communityId"],
        "ARCHIVED",
    ),
    (
        "membershipCreate",
        "already a member",
        lambda w: {"communityId": w.community, "memberId": w.member},
        ["input", "memberId"],
        "CONFLICT",
    ),
    (
        "membershipUpdate",
        "love above 1",
        lambda w: {"id": w.membership, "love": 2.0},
        ["input", "love"],
        "OUT_OF_RANGE",
    ),
    (
        "membershipUpdate",
        "unknown id",
        lambda w: {"id": encode_id("Membership", 987654321), "trust": 0.1},
        ["input", "id"],
        "NOT_FOUND",
    ),
    (
        "followCreate",
        "self follow",
        lambda w: {"followerId": w.member, "followeeId": w.member},
        ["input", "followeeId"],
        "SELF_FOLLOW",
    ),
    (
        "followCreate",
        "unknown followee",
        lambda w: {"followerId": w.member, "followeeId": UNKNOWN_MEMBER},
        ["input", "followeeId"],
        "NOT_FOUND",
    ),
    (
        "followCreate",
        "already following",
        lambda w: {"followerId": w.member, "followeeId": w.other_member},
        ["input", "followeeId"],
        "CONFLICT",
    ),
    (
        "contentPublish",
        "blank body",
        lambda w: {"communityId": w.community, "kind": "POST", "body": ""},
        ["input", "body"],
        "BLANK",
    ),
    (
        "contentPublish",
        "a reply without a parent",
        lambda w: {"communityId": w.community, "kind": "REPLY", "body": "x"},
        ["input", "parentId"],
        "REQUIRED",
    ),
    (
        "contentPublish",
        "a deleted parent",
        lambda w: {"communityId": w.community, "kind": "REPLY", "body": "x", "parentId": w.deleted},
        ["input", "parentId"],
        "NOT_FOUND",
    ),
    (
        "contentPublish",
        "unknown topic",
        lambda w: {
            "communityId": w.community,
            "kind": "POST",
            "body": "x",
            "topicIds": [w.topic, UNKNOWN_TOPIC],
        },
        ["input", "topicIds", "1"],
        "NOT_FOUND",
    ),
    (
        "contentPublish",
        "unknown author",
        lambda w: {"communityId": w.community, "kind": "POST", "body": "x", "authorId": MALFORMED},
        ["input", "authorId"],
        "NOT_FOUND",
    ),
    (
        "contentPublish",
        "archived community",
        lambda w: {"communityId": w.archived, "kind": "POST", "body": "x"},
        ["input", "communityId"],
        "ARCHIVED",
    ),
    (
        "contentUpdate",
        "quality out of range",
        lambda w: {"id": w.post, "quality": 5.0},
        ["input", "quality"],
        "OUT_OF_RANGE",
    ),
    (
        "contentUpdate",
        "deleted content",
        lambda w: {"id": w.deleted, "title": "x"},
        ["input", "id"],
        "NOT_FOUND",
    ),
    (
        "contentUpdate",
        "duplicate topics",
        lambda w: {"id": w.post, "topicIds": [w.topic, w.topic]},
        ["input", "topicIds"],
        "DUPLICATE",
    ),
    (
        "contentDelete",
        "unknown id",
        lambda w: {"id": UNKNOWN_CONTENT},
        ["input", "id"],
        "NOT_FOUND",
    ),
    ("contentDelete", "deleted twice", lambda w: {"id": w.deleted}, ["input", "id"], "NOT_FOUND"),
    (
        "engagementRecord",
        "unknown content",
        lambda w: {"contentId": UNKNOWN_CONTENT, "memberId": w.member, "kind": "LIKE"},
        ["input", "contentId"],
        "NOT_FOUND",
    ),
    (
        "engagementRecord",
        "in the future",
        lambda w: {
            "contentId": w.post,
            "memberId": w.member,
            "kind": "LIKE",
            "occurredAt": "2999-01-01T00:00:00Z",
        },
        ["input", "occurredAt"],
        "IN_FUTURE",
    ),
    ("engagementsIngest", "no items", lambda w: {"items": []}, ["input", "items"], "BLANK"),
    (
        "engagementsIngest",
        "too many items",
        lambda w: {"items": [{"contentId": w.post, "memberId": w.member, "kind": "VIEW"}] * 251},
        ["input", "items"],
        "TOO_MANY",
    ),
    (
        "engagementsIngest",
        "one bad item among good ones",
        lambda w: {
            "items": [
                {"contentId": w.post, "memberId": w.member, "kind": "VIEW"},
                {"contentId": w.deleted, "memberId": w.member, "kind": "VIEW"},
                {"contentId": w.post, "memberId": w.member, "kind": "LIKE"},
            ]
        },
        ["input", "items", "1", "contentId"],
        "NOT_FOUND",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "case", "make_input", "field", "code"),
    BAD_INPUTS,
    ids=[f"{m}: {c}" for m, c, *_ in BAD_INPUTS],
)
async def test_bad_input_returns_user_errors_and_writes_nothing(
    api: Api,
    api_db: Database,
    world: World,
    mutation: str,
    case: str,
    make_input: Any,
    field: list[str],
    code: str,
) -> None:
    before = await row_counts(api_db)
    result = await mutate(api, mutation, make_input(world))
    after = await row_counts(api_db)

    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in result["userErrors"]
    ], result["userErrors"]
    assert all(e["message"] for e in result["userErrors"])
    assert after == before
    payload_objects = [v for k, v in result.items() if k != "userErrors"]
    assert all(v in (None, 0) for v in payload_objects), result


def test_every_mutation_has_bad_input_cases() -> None:
    assert {m for m, *_ in BAD_INPUTS} == set(MUTATIONS)


async def test_input_of_the_wrong_graphql_type_is_an_error_not_a_500_and_writes_nothing(
    api: Api, api_db: Database, world: World
) -> None:
    before = await row_counts(api_db)
    body = await api.post(
        "mutation M($input: CommunityCreateInput!) "
        "{ communityCreate(input: $input) { community { id } } }",
        input={"name": "x", "platform": "MYSPACE", "visibility": "PUBLIC"},
    )
    assert body["errors"]
    assert "MYSPACE" in body["errors"][0]["message"]
    assert await row_counts(api_db) == before
