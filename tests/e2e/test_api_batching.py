"""Nested connections are batched: the SQL statement count does not grow with list sizes."""

from __future__ import annotations

from api_harness import Api, Tenant, acme, api, api_db, counting_statements, http

from domain.db import Database
from domain.enums import MembershipRole, Platform, Visibility
from domain.services.communities import CommunityDraft, CommunityService
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
