"""Tenant scoping: organization A never sees organization B's rows, and B's ids act unknown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from domain.db import Database
from domain.enums import ContentKind, EngagementKind, MembershipRole, Platform, Visibility
from domain.errors import DomainError
from domain.pagination import PageRequest
from domain.repositories.communities import CommunityFilter
from domain.repositories.content import ContentFilter, EngagementFilter
from domain.repositories.members import MembershipFilter
from domain.services.communities import CommunityChanges, CommunityDraft, CommunityService
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

UNKNOWN = 987_654_321


@dataclass
class Tenant:
    organization_id: int
    topic: int
    community: int
    member: int
    other_member: int
    membership: int
    post: int
    engagement: int


async def _tenant(db: Database, slug: str) -> Tenant:
    async with db.session() as session:
        organizations = OrganizationService(session)
        organization = await organizations.create(slug, slug.upper())
        org = organization.id
        assert org is not None
        topic = await organizations.add_topic(org, TopicDraft("repair", "Repair"))
        community = await CommunityService(session, org).create(
            CommunityDraft(f"{slug} forum", Platform.FORUM, Visibility.PUBLIC)
        )
        members = MemberService(session, org)
        assert topic.id is not None
        assert community.id is not None
        member = await members.create(MemberDraft("sam", "Sam", interests=(Interest(topic.id, 1),)))
        other = await members.create(MemberDraft("kim", "Kim"))
        assert member.id is not None
        assert other.id is not None
        membership = await members.join(MembershipDraft(community.id, member.id))
        await members.follow(member.id, other.id)
        post = await ContentService(session, org).publish(
            ContentDraft(community.id, ContentKind.POST, "hello", author_id=member.id)
        )
        assert post.id is not None
        assert membership.id is not None
        engagement = await EngagementService(session, org).record(
            EngagementDraft(post.id, member.id, EngagementKind.LIKE)
        )
        assert engagement.id is not None
        return Tenant(
            org, topic.id, community.id, member.id, other.id, membership.id, post.id, engagement.id
        )


@pytest.fixture
async def tenants(db: Database) -> tuple[Tenant, Tenant]:
    return await _tenant(db, "alpha"), await _tenant(db, "beta")


async def test_reads_of_one_organization_never_return_another_organizations_rows(
    db: Database, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    async with db.session() as session:
        communities = CommunityService(session, a.organization_id)
        members = MemberService(session, a.organization_id)
        content = ContentService(session, a.organization_id)
        engagement = EngagementService(session, a.organization_id)
        request = PageRequest()
        assert await communities.get(b.community) is None
        assert await communities.get_many([a.community, b.community]) == {
            a.community: await communities.get(a.community)
        }
        assert [c.id for c in (await communities.list(CommunityFilter(), request)).items] == [
            a.community
        ]
        assert await communities.total(CommunityFilter()) == 1
        assert await members.get(b.member) is None
        assert set(await members.get_many([a.member, b.member, b.other_member])) == {a.member}
        assert {m.id for m in (await members.page(request)).items} == {a.member, a.other_member}
        assert await members.total() == 2
        assert await members.interests_of([b.member]) == {b.member: []}
        assert await members.get_memberships([b.membership]) == {}
        assert all(
            f.organization_id == a.organization_id
            for f in (await members.get_follows([1, 2, 3, 4])).values()
        )
        pages = await members.membership_pages(
            "community_id", [b.community], MembershipFilter(), request
        )
        assert pages[b.community].items == []
        assert await members.membership_counts("member_id", [b.member], MembershipFilter()) == {
            b.member: 0
        }
        assert await content.get_many([b.post]) == {}
        by_community = await content.pages("community_id", [b.community], ContentFilter(), request)
        assert by_community[b.community].items == []
        assert await content.counts("author_id", [b.member], ContentFilter()) == {b.member: 0}
        assert await content.topics_of([b.post]) == {b.post: []}
        assert await engagement.get_many([b.engagement]) == {}
        on_post = await engagement.pages("content_id", [b.post], EngagementFilter(), request)
        assert on_post[b.post].items == []
        assert await engagement.counts("member_id", [b.member], EngagementFilter()) == {b.member: 0}
        topics = await OrganizationService(session).topics(a.organization_id)
        assert [t.id for t in topics] == [a.topic]


def _writes() -> dict[str, Callable[[Database, Tenant, dict[str, int]], Awaitable[Any]]]:
    """Each write of A, given ids to reference; the test passes B's ids or unknown ones."""

    async def community_update(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await CommunityService(s, a.organization_id).update(
                ids["community"], CommunityChanges(name="x")
            )

    async def community_archive(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await CommunityService(s, a.organization_id).archive(ids["community"])

    async def member_interest(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await MemberService(s, a.organization_id).create(
                MemberDraft("new", "New", interests=(Interest(ids["topic"], 0.5),))
            )

    async def join_community(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await MemberService(s, a.organization_id).join(
                MembershipDraft(ids["community"], a.other_member, MembershipRole.MEMBER)
            )

    async def join_member(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await MemberService(s, a.organization_id).join(
                MembershipDraft(a.community, ids["member"])
            )

    async def change_membership(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await MemberService(s, a.organization_id).change_membership(
                ids["membership"], MembershipChanges(love=0.5)
            )

    async def follow(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await MemberService(s, a.organization_id).follow(a.member, ids["member"])

    async def publish_in(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await ContentService(s, a.organization_id).publish(
                ContentDraft(ids["community"], ContentKind.POST, "x")
            )

    async def publish_as(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await ContentService(s, a.organization_id).publish(
                ContentDraft(a.community, ContentKind.POST, "x", author_id=ids["member"])
            )

    async def reply_to(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await ContentService(s, a.organization_id).publish(
                ContentDraft(a.community, ContentKind.REPLY, "x", parent_id=ids["post"])
            )

    async def tag(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await ContentService(s, a.organization_id).publish(
                ContentDraft(a.community, ContentKind.POST, "x", topic_ids=(ids["topic"],))
            )

    async def content_update(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await ContentService(s, a.organization_id).update(
                ids["post"], ContentChanges(body="x")
            )

    async def content_delete(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await ContentService(s, a.organization_id).delete(ids["post"])

    async def engage(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await EngagementService(s, a.organization_id).record(
                EngagementDraft(ids["post"], a.member, EngagementKind.VIEW)
            )

    async def ingest(db: Database, a: Tenant, ids: dict[str, int]) -> Any:
        async with db.session() as s:
            return await EngagementService(s, a.organization_id).ingest(
                [
                    EngagementDraft(a.post, a.member, EngagementKind.VIEW),
                    EngagementDraft(a.post, ids["member"], EngagementKind.VIEW),
                ]
            )

    return {f.__name__: f for f in (
        community_update, community_archive, member_interest, join_community, join_member,
        change_membership, follow, publish_in, publish_as, reply_to, tag, content_update,
        content_delete, engage, ingest,
    )}  # fmt: skip


WRITES = _writes()


async def _refusal(call: Awaitable[Any]) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(DomainError) as raised:
        await call
    return type(raised.value).__name__, raised.value.problems


@pytest.mark.parametrize("name", sorted(WRITES))
async def test_a_write_naming_another_organizations_id_fails_like_an_unknown_id(
    db: Database, tenants: tuple[Tenant, Tenant], name: str
) -> None:
    a, b = tenants
    foreign = {
        "community": b.community,
        "member": b.member,
        "membership": b.membership,
        "post": b.post,
        "topic": b.topic,
    }
    unknown = dict.fromkeys(foreign, UNKNOWN)
    write = WRITES[name]
    as_foreign = await _refusal(write(db, a, foreign))
    as_unknown = await _refusal(write(db, a, unknown))
    assert as_foreign == as_unknown
    assert "NOT_FOUND" in {p.code for p in as_foreign[1]}


async def test_refused_writes_leave_the_other_organization_untouched(
    db: Database, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    ids = {"community": b.community, "post": b.post}
    for name in ("community_archive", "content_delete"):
        await _refusal(WRITES[name](db, a, ids))
    async with db.session() as session:
        community = await CommunityService(session, b.organization_id).get(b.community)
        post = await ContentService(session, b.organization_id).get_many([b.post])
    assert community is not None
    assert community.archived_at is None
    assert community.version == 1
    assert b.post in post
