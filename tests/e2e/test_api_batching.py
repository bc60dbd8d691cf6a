"""Nested connections are batched: the SQL statement count does not grow with list sizes."""

from __future__ import annotations

from api_harness import Api, Tenant, acme, api, api_db, counting_statements, http

from api.ids import encode_id
from domain.db import Database
from domain.enums import ContentKind, MembershipRole, Platform, Visibility
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.members import MemberDraft, MemberService, MembershipDraft

__all__ = ["acme", "api", "api_db", "http"]

NESTED = """
query Nested($communities: Int!, $memberships: Int!) {
  communities(first: $communities) {
    totalCount
    nodes {
      id
      name
      memberships(first: $memberships) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node { id role member { id handle followersCount interests { weight } } }
        }
      }
    }
  }
}
"""


async def seed(database: Database, tenant: Tenant, communities: int, members: int) -> None:
    async with database.session() as session:
        community_service = CommunityService(session, tenant.organization_id)
        member_service = MemberService(session, tenant.organization_id)
        people = [
            await member_service.create(MemberDraft(f"member-{i}", f"Member {i}"))
            for i in range(members)
        ]
        for c in range(communities):
            community = await community_service.create(
                CommunityDraft(f"Community {c:02d}", Platform.FORUM, Visibility.PUBLIC)
            )
            assert community.id is not None
            for person in people:
                assert person.id is not None
                draft = MembershipDraft(community.id, person.id, MembershipRole.MEMBER)
                await member_service.join(draft)


async def statements_for(api: Api, database: Database, communities: int, memberships: int) -> int:
    with counting_statements(database) as statements:
        data = await api.data(NESTED, communities=communities, memberships=memberships)
    nodes = data["communities"]["nodes"]
    assert len(nodes) == communities
    assert all(len(n["memberships"]["edges"]) == memberships for n in nodes)
    assert all(e["node"]["member"]["handle"] for n in nodes for e in n["memberships"]["edges"])
    return len(statements)


async def test_the_nested_query_issues_as_many_statements_for_20x10_as_for_5x3(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    await seed(api_db, acme, communities=20, members=10)
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use

    small = await statements_for(api, api_db, communities=5, memberships=3)
    large = await statements_for(api, api_db, communities=20, memberships=10)

    assert large == small, f"5x3 took {small} statements, 20x10 took {large}"
    # key, communities page and count, memberships page and count, members, interests
    assert large <= 8, f"the nested query took {large} statements"


THREAD = """
query Thread($id: ID!) {
  node(id: $id) {
    ... on Content {
      author { handle }
      replies(first: 10) { ...Replies }
    }
  }
}
fragment Replies on ContentConnection {
  edges { node { body ... on Content { author { handle } } } }
}
"""

BARE_THREAD = """
query Bare($id: ID!) { node(id: $id) { ... on Content { replies(first: 10) { nodes { body } } } } }
"""


async def thread(database: Database, tenant: Tenant) -> str:
    async with database.session() as session:
        members = MemberService(session, tenant.organization_id)
        people = [await members.create(MemberDraft(f"author-{i}", f"A {i}")) for i in range(4)]
        community = await CommunityService(session, tenant.organization_id).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        content = ContentService(session, tenant.organization_id)
        assert community.id is not None
        post = await content.publish(
            ContentDraft(community.id, ContentKind.POST, "Hi", author_id=people[0].id)
        )
        for i in range(6):
            await content.publish(
                ContentDraft(
                    community.id,
                    ContentKind.REPLY,
                    f"reply {i}",
                    author_id=people[i % 4].id if i != 5 else None,
                    parent_id=post.id,
                )
            )
    assert post.id is not None
    return encode_id("Content", post.id)


async def test_reply_authors_come_with_the_page_and_only_when_selected(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    post = await thread(api_db, acme)
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use

    with counting_statements(api_db) as with_authors:
        data = await api.data(THREAD, id=post)
    with counting_statements(api_db) as without_authors:
        bare = await api.data(BARE_THREAD, id=post)

    node = data["node"]
    assert node["author"] == {"handle": "author-0"}
    replies = [edge["node"] for edge in node["replies"]["edges"]]
    assert [r["author"] for r in replies] == [
        {"handle": "author-0"},
        {"handle": "author-1"},
        {"handle": "author-2"},
        {"handle": "author-3"},
        {"handle": "author-0"},
        None,
    ]
    assert len(bare["node"]["replies"]["nodes"]) == 6
    members = [s for s in with_authors if "FROM member" in s]
    # The post's author and the page's authors: at most two member reads, none without them.
    assert 1 <= len(members) <= 2, members
    assert not [s for s in without_authors if "FROM member" in s], without_authors


async def test_a_thread_reads_its_replies_and_their_authors_in_one_statement(
    api: Api, api_db: Database, acme: Tenant
) -> None:
    post = await thread(api_db, acme)
    await api.data("{ viewer { role } }")  # the first request of a key stamps its last use

    with counting_statements(api_db) as with_authors:
        await api.data(THREAD, id=post)
    with counting_statements(api_db) as without_authors:
        await api.data(BARE_THREAD, id=post)

    # The post's author is the one read more: the replies' authors come with their page.
    assert len(with_authors) == len(without_authors) + 1, (with_authors, without_authors)
