"""A small organization for the listening tests: topics with keywords, members, experts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.db import Database
from domain.enums import ApiKeyRole, MembershipRole, Platform, Visibility
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.members import Interest, MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService, TopicDraft

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    organization_id: int
    other_organization_id: int
    billing: int
    shipping: int
    community: int
    fan: int
    experts: dict[str, int]
    key_id: int


async def build_world(db: Database) -> World:
    async with db.session() as session:
        organizations = OrganizationService(session)
        acme = await organizations.create("acme", "Acme")
        other = await organizations.create("other", "Other")
        assert acme.id is not None
        assert other.id is not None
        billing = await organizations.add_topic(
            acme.id, TopicDraft("billing", "Billing", ("billing", "invoice", "charged"))
        )
        shipping = await organizations.add_topic(
            acme.id, TopicDraft("shipping", "Shipping", ("shipping", "parcel", "delivery"))
        )
        await organizations.add_topic(other.id, TopicDraft("billing", "Billing", ("billing",)))
        assert billing.id is not None
        assert shipping.id is not None
        community = await CommunityService(session, acme.id).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        assert community.id is not None
        members = MemberService(session, acme.id)
        fan = await members.create(MemberDraft("fan", "Fan"))
        fan.followers_count = 1200
        session.add(fan)
        await session.commit()
        experts: dict[str, int] = {}
        plan = [
            ("bea", MembershipRole.SUBJECT_MATTER_EXPERT, billing.id, 0.9),
            ("bo", MembershipRole.EMPLOYEE, billing.id, 0.4),
            ("sam", MembershipRole.SUBJECT_MATTER_EXPERT, shipping.id, 0.8),
            ("max", MembershipRole.MEMBER, billing.id, 1.0),
        ]
        for handle, role, topic_id, weight in plan:
            member = await members.create(
                MemberDraft(handle, handle.title(), interests=(Interest(topic_id, weight),))
            )
            assert member.id is not None
            await members.join(MembershipDraft(community.id, member.id, role=role))
            experts[handle] = member.id
        assert fan.id is not None
        key = await organizations.issue_key(acme.id, ApiKeyRole.MANAGER)
        assert key.record.id is not None
        return World(
            acme.id, other.id, billing.id, shipping.id, community.id, fan.id, experts, key.record.id
        )
