"""Members, memberships, follows, content threads and engagement on real databases."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from sqlmodel import col, select

from domain.db import Database
from domain.entities import Engagement
from domain.enums import (
    ContentKind,
    EngagementKind,
    MembershipRole,
    MembershipState,
    Platform,
    Visibility,
)
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.pagination import PageRequest
from domain.repositories.content import ContentFilter, EngagementFilter
from domain.repositories.members import MembershipFilter
from domain.rollups.weights import UNTAGGED_MATCH
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import (
    Interest,
    MemberDraft,
    MemberService,
    MembershipChanges,
    MembershipDraft,
)
from domain.services.organizations import OrganizationService, TopicDraft


@dataclass
class World:
    organization_id: int
    topic_id: int
    community_id: int
    alice: int
    bob: int


@pytest.fixture
async def world(db: Database) -> World:
    async with db.session() as session:
        organization = await OrganizationService(session).create("acme", "Acme")
        assert organization.id is not None
        topic = await OrganizationService(session).add_topic(
            organization.id, TopicDraft("repair", "Repair")
        )
        community = await CommunityService(session, organization.id).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        members = MemberService(session, organization.id)
        assert topic.id is not None
        alice = await members.create(
            MemberDraft("alice", "Alice", interests=(Interest(topic.id, 0.6),))
        )
        bob = await members.create(MemberDraft("bob", "Bob"))
        assert community.id
        assert alice.id
        assert bob.id
        return World(organization.id, topic.id, community.id, alice.id, bob.id)


async def test_a_member_keeps_their_interests_and_handles_are_unique(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        members = MemberService(session, world.organization_id)
        with pytest.raises(Conflict):
            await members.create(MemberDraft("alice", "Another Alice"))
        interests = await members.interests_of([world.alice, world.bob])
        listed = await members.page(PageRequest())
        total = await members.total()
    assert [(i.topic_id, i.weight) for i in interests[world.alice]] == [(world.topic_id, 0.6)]
    assert interests[world.bob] == []
    assert [m.handle for m in listed.items] == ["alice", "bob"]
    assert total == 2


async def test_memberships_join_once_change_and_filter(db: Database, world: World) -> None:
    async with db.session() as session:
        members = MemberService(session, world.organization_id)
        joined = await members.join(MembershipDraft(world.community_id, world.alice))
        await members.join(
            MembershipDraft(world.community_id, world.bob, role=MembershipRole.MODERATOR)
        )
        assert joined.id is not None
        membership_id = joined.id
        with pytest.raises(Conflict):
            await members.join(MembershipDraft(world.community_id, world.alice))
        changed = await members.change_membership(
            membership_id, MembershipChanges(state=MembershipState.LAPSED, love=0.3)
        )
        assert (changed.state, changed.love, changed.version) == ("lapsed", 0.3, 2)
        with pytest.raises(NotFound):
            await members.change_membership(999_999, MembershipChanges(love=0.1))
        moderators = await members.membership_pages(
            "community_id",
            [world.community_id],
            MembershipFilter(role=MembershipRole.MODERATOR),
            PageRequest(),
        )
        counts = await members.membership_counts(
            "community_id", [world.community_id], MembershipFilter()
        )
    assert [m.member_id for m in moderators[world.community_id].items] == [world.bob]
    assert counts == {world.community_id: 2}


async def test_following_moves_both_counters_once(db: Database, world: World) -> None:
    async with db.session() as session:
        members = MemberService(session, world.organization_id)
        await members.follow(world.alice, world.bob)
        with pytest.raises(Conflict):
            await members.follow(world.alice, world.bob)
        with pytest.raises(ValidationFailed) as unknown:
            await members.follow(world.alice, 999_999)
    assert unknown.value.problems[0].code == "NOT_FOUND"
    async with db.session() as session:
        found = await MemberService(session, world.organization_id).get_many(
            [world.alice, world.bob]
        )
    assert (found[world.alice].following_count, found[world.alice].followers_count) == (1, 0)
    assert (found[world.bob].following_count, found[world.bob].followers_count) == (0, 1)


async def _thread(db: Database, world: World) -> tuple[int, list[int]]:
    async with db.session() as session:
        content = ContentService(session, world.organization_id)
        post = await content.publish(
            ContentDraft(
                world.community_id,
                ContentKind.QUESTION,
                "How do I patch a tent?",
                author_id=world.alice,
                topic_ids=(world.topic_id,),
            )
        )
        assert post.id is not None
        replies = []
        for body in ("Use a kit.", "Seam grip."):
            reply = await content.publish(
                ContentDraft(
                    world.community_id,
                    ContentKind.ANSWER,
                    body,
                    author_id=world.bob,
                    parent_id=post.id,
                )
            )
            assert reply.id is not None
            replies.append(reply.id)
        return post.id, replies


async def test_replies_thread_under_their_post_and_count(db: Database, world: World) -> None:
    post_id, reply_ids = await _thread(db, world)
    async with db.session() as session:
        content = ContentService(session, world.organization_id)
        post = (await content.get_many([post_id]))[post_id]
        thread = await content.pages("parent_id", [post_id], ContentFilter(), PageRequest())
        topics = await content.topics_of([post_id])
        top = await content.pages(
            "community_id", [world.community_id], ContentFilter(top_level_only=True), PageRequest()
        )
    assert post.reply_count == 2
    assert [c.id for c in thread[post_id].items] == reply_ids
    assert topics == {post_id: [world.topic_id]}
    assert [c.id for c in top[world.community_id].items] == [post_id]


async def test_soft_delete_hides_content_and_decrements_the_reply_count(
    db: Database, world: World
) -> None:
    post_id, (first, second) = await _thread(db, world)
    async with db.session() as session:
        content = ContentService(session, world.organization_id)
        deleted = await content.delete(first)
        assert deleted.deleted_at is not None
        with pytest.raises(NotFound):
            await content.delete(first)
    async with db.session() as session:
        content = ContentService(session, world.organization_id)
        post = (await content.get_many([post_id]))[post_id]
        thread = await content.pages("parent_id", [post_id], ContentFilter(), PageRequest())
        counts = await content.counts("community_id", [world.community_id], ContentFilter())
        gone = await content.get_many([first])
    assert post.reply_count == 1
    assert [c.id for c in thread[post_id].items] == [second]
    assert counts == {world.community_id: 2}
    assert gone == {}


async def test_replying_to_deleted_content_is_not_found(db: Database, world: World) -> None:
    post_id, _ = await _thread(db, world)
    async with db.session() as session:
        content = ContentService(session, world.organization_id)
        await content.delete(post_id)
        with pytest.raises(ValidationFailed) as raised:
            await content.publish(
                ContentDraft(world.community_id, ContentKind.REPLY, "late", parent_id=post_id)
            )
    assert raised.value.problems[0].code == "NOT_FOUND"


async def test_an_engagement_batch_with_one_bad_item_writes_nothing(
    db: Database, world: World
) -> None:
    post_id, _ = await _thread(db, world)
    good = EngagementDraft(post_id, world.bob, EngagementKind.LIKE)
    batch = [good, good, EngagementDraft(post_id, 999_999, EngagementKind.VIEW), good]
    async with db.session() as session:
        engagement = EngagementService(session, world.organization_id)
        with pytest.raises(ValidationFailed) as raised:
            await engagement.ingest(batch)
        before = await engagement.counts("content_id", [post_id], EngagementFilter())
        written = await engagement.ingest([good, good])
        after = await engagement.counts("content_id", [post_id], EngagementFilter())
    assert [(p.field, p.code) for p in raised.value.problems] == [
        (("items", "2", "memberId"), "NOT_FOUND")
    ]
    assert before == {post_id: 0}
    assert written == 2
    assert after == {post_id: 2}


async def test_a_recorded_engagement_is_listed_under_its_content(
    db: Database, world: World
) -> None:
    post_id, _ = await _thread(db, world)
    async with db.session() as session:
        engagement = EngagementService(session, world.organization_id)
        recorded = await engagement.record(
            EngagementDraft(post_id, world.alice, EngagementKind.SHARE)
        )
        pages = await engagement.pages(
            "content_id", [post_id], EngagementFilter(kind=EngagementKind.SHARE), PageRequest()
        )
    assert recorded.community_id == world.community_id
    assert [e.id for e in pages[post_id].items] == [recorded.id]


async def test_an_ingested_engagement_is_weighed_by_its_members_reach_and_interest_in_its_topics(
    db: Database, world: World
) -> None:
    post_id, (reply_id, _) = await _thread(db, world)  # the post is tagged, the replies not
    async with db.session() as session:
        await MemberService(session, world.organization_id).follow(world.bob, world.alice)
        await EngagementService(session, world.organization_id).ingest(
            [
                EngagementDraft(post_id, world.alice, EngagementKind.LIKE),
                EngagementDraft(reply_id, world.alice, EngagementKind.LIKE),
                EngagementDraft(post_id, world.bob, EngagementKind.LIKE),
            ]
        )
        stored = await session.execute(
            select(col(Engagement.quality_weight)).order_by(col(Engagement.id))
        )
        weights = list(stored.scalars().all())
    reach = 1 + math.log10(2)  # alice has one follower; bob none (reach 1) and no interests
    assert weights == pytest.approx([reach * 0.6, reach * UNTAGGED_MATCH, 0.0])
