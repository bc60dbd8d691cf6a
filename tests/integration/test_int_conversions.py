"""Conversions on real databases: idempotent recording, stored attribution, ROI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from domain.campaigns.conversions import ConversionDraft, ConversionService
from domain.campaigns.service import CampaignDraft, CampaignService, Objective
from domain.campaigns.tables import Conversion, ConversionAttribution
from domain.campaigns.workflow import ContentWorkflow, PlannedContent
from domain.db import Database
from domain.enums import AttributionModel, ContentKind, EngagementKind, Platform, Visibility
from domain.errors import ValidationFailed
from domain.events import CONVERSION_RECORDED, DomainEvent
from domain.metrics.window import Window
from domain.repositories.metrics import Scope
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import MemberDraft, MemberService
from domain.services.metrics import MetricsQuery, MetricsService
from domain.services.organizations import OrganizationService
from domain.services.scheduling import publish_due
from domain.timeutil import utcnow

LINEAR = AttributionModel.LINEAR
LAST = AttributionModel.LAST_TOUCH


@dataclass
class World:
    organization_id: int
    campaign_id: int
    forum: int
    blog: int
    forum_post: int
    blog_post: int
    buyer: int
    now: datetime


async def _published(
    db: Database, organization_id: int, community_id: int, campaign_id: int
) -> int:
    async with db.session() as session:
        workflow = ContentWorkflow(session, organization_id, None)
        planned = PlannedContent(community_id, ContentKind.POST, "Buy", "Offer", campaign_id)
        content = await workflow.create(planned)
        assert content.id is not None
        content_id = content.id
        await workflow.submit(content_id)
        await workflow.approve(content_id)
        await workflow.schedule(content_id, utcnow() + timedelta(seconds=1))
    await publish_due(db, utcnow() + timedelta(seconds=2))
    return content_id


@pytest.fixture
async def world(db: Database) -> World:
    now = utcnow()
    async with db.session() as session:
        organization = await OrganizationService(session).create("acme", "Acme")
        assert organization.id is not None
        org = organization.id
        communities = CommunityService(session, org)
        forum = await communities.create(CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC))
        blog = await communities.create(CommunityDraft("Blog", Platform.BLOG, Visibility.PUBLIC))
        buyer = await MemberService(session, org).create(MemberDraft("buyer", "Buyer"))
        campaign = await CampaignService(session, org).create(
            CampaignDraft(
                "Sale",
                Objective("conversion_value", 1000.0, now + timedelta(days=30)),
                now - timedelta(days=60),
                now + timedelta(days=30),
                budget=200.0,
            )
        )
    assert forum.id is not None
    assert blog.id is not None
    assert buyer.id is not None
    assert campaign.id is not None
    forum_post = await _published(db, org, forum.id, campaign.id)
    blog_post = await _published(db, org, blog.id, campaign.id)
    return World(org, campaign.id, forum.id, blog.id, forum_post, blog_post, buyer.id, now)


async def _touch(db: Database, world: World, content_id: int, days_ago: float) -> None:
    async with db.session() as session:
        await EngagementService(session, world.organization_id).record(
            EngagementDraft(
                content_id,
                world.buyer,
                EngagementKind.CLICK,
                world.now - timedelta(days=days_ago),
            )
        )


async def _credits(db: Database, model: AttributionModel) -> dict[int, float]:
    async with db.session() as session:
        rows = await session.execute(
            select(ConversionAttribution.content_id, ConversionAttribution.credit).where(
                col(ConversionAttribution.model) == model.value
            )
        )
        return {int(content): float(credit) for content, credit in rows.all()}


async def test_a_conversion_is_credited_by_both_models_within_the_lookback_only(
    db: Database, world: World
) -> None:
    await _touch(db, world, world.forum_post, 40)  # outside a 30-day lookback
    await _touch(db, world, world.forum_post, 5)
    await _touch(db, world, world.blog_post, 3)
    await _touch(db, world, world.forum_post, 1)
    async with db.session() as session:
        service = ConversionService(session, world.organization_id)
        recorded = await service.record(
            [ConversionDraft("order-1", 90.0, member_handle="buyer", occurred_at=world.now)]
        )
    assert [c.external_id for c in recorded.conversions] == ["order-1"]
    assert await _credits(db, LAST) == {world.forum_post: 90.0}
    assert await _credits(db, LINEAR) == {world.forum_post: 60.0, world.blog_post: 30.0}


async def test_a_repeated_external_id_is_skipped_and_announced_once(
    db: Database, world: World
) -> None:
    await _touch(db, world, world.blog_post, 1)
    draft = ConversionDraft("order-1", 50.0, member_id=world.buyer)
    async with db.session() as session:
        service = ConversionService(session, world.organization_id)
        first = await service.record([draft])
        again = await service.record([draft, ConversionDraft("order-2", 5.0, world.buyer)])
        conversions = await session.scalar(select(func.count()).select_from(Conversion))
        events = await session.scalar(
            select(func.count())
            .select_from(DomainEvent)
            .where(col(DomainEvent.name) == CONVERSION_RECORDED)
        )
    assert (len(first.conversions), first.duplicates) == (1, [])
    assert ([c.external_id for c in again.conversions], again.duplicates) == (
        ["order-2"],
        ["order-1"],
    )
    assert (conversions, events) == (2, 2)


async def test_one_bad_item_refuses_the_whole_batch_naming_its_index(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        service = ConversionService(session, world.organization_id)
        with pytest.raises(ValidationFailed) as refused:
            await service.record(
                [
                    ConversionDraft("ok", 1.0, member_id=world.buyer),
                    ConversionDraft("bad", -1.0, member_handle="nobody"),
                    ConversionDraft("ok", 2.0, member_id=world.buyer),
                ]
            )
        count = await session.scalar(select(func.count()).select_from(Conversion))
    found = sorted((p.field, p.code) for p in refused.value.problems)
    assert found == [
        (("items.1", "memberId"), "NOT_FOUND"),
        (("items.1", "value"), "OUT_OF_RANGE"),
        (("items.2", "externalId"), "DUPLICATE"),
    ]
    assert count == 0


async def test_roi_is_credited_value_over_budget_for_the_campaign_and_its_communities(
    db: Database, world: World
) -> None:
    await _touch(db, world, world.forum_post, 2)
    await _touch(db, world, world.blog_post, 1)
    async with db.session() as session:
        service = ConversionService(session, world.organization_id)
        await service.record([ConversionDraft("order-1", 100.0, world.buyer, None, world.now)])
        campaign = await service.campaign_roi([world.campaign_id], LINEAR)
        last = await service.campaign_roi([world.campaign_id], LAST)
        communities = await service.community_roi([world.forum, world.blog], LAST)
        progress = await CampaignService(session, world.organization_id).progress(world.campaign_id)
    roi = campaign[world.campaign_id]
    assert (roi.conversions, roi.value, roi.cost, roi.roi) == (1, 100.0, 200.0, 0.5)
    assert last[world.campaign_id].value == 100.0
    # The budget is split by the campaign's content: one post in each community.
    assert (communities[world.blog].value, communities[world.blog].cost) == (100.0, 100.0)
    assert (communities[world.forum].value, communities[world.forum].roi) == (0.0, 0.0)
    assert (progress.kpi, progress.value, progress.ratio) == ("conversion_value", 100.0, 0.1)


async def test_metrics_count_conversions_whole_for_an_organization_and_credited_per_community(
    db: Database, world: World
) -> None:
    await _touch(db, world, world.forum_post, 2)
    await _touch(db, world, world.blog_post, 1)
    async with db.session() as session:
        await ConversionService(session, world.organization_id).record(
            [
                ConversionDraft("in", 90.0, member_id=world.buyer, occurred_at=world.now),
                ConversionDraft(
                    "old", 500.0, member_id=world.buyer, occurred_at=world.now - timedelta(days=20)
                ),
            ]
        )
        window = Window.between(world.now - timedelta(days=3), world.now + timedelta(hours=1))
        metrics = MetricsService(session, world.organization_id)
        organization = await metrics.reports(
            Scope.ORGANIZATION, [world.organization_id], MetricsQuery(window)
        )
        communities = await metrics.reports(
            Scope.COMMUNITY, [world.forum, world.blog], MetricsQuery(window)
        )
    whole = organization[world.organization_id].summary
    assert (whole.conversions, whole.conversion_value) == (1, 90.0)
    forum, blog = communities[world.forum].summary, communities[world.blog].summary
    # Linear credit: one touch on each community's post shares the 90 equally.
    assert (forum.conversions, forum.conversion_value) == (1, 45.0)
    assert (blog.conversions, blog.conversion_value) == (1, 45.0)
