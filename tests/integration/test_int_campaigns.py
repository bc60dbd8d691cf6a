"""Campaigns, the content approval workflow and the calendar on real databases."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.campaigns.service import (
    CAMPAIGN_KPIS,
    CampaignChanges,
    CampaignDraft,
    CampaignService,
    Objective,
)
from domain.campaigns.workflow import ContentWorkflow, PlannedContent
from domain.db import Database
from domain.entities import Content
from domain.enums import (
    ApiKeyRole,
    CampaignStatus,
    ContentKind,
    ContentStatus,
    Platform,
    Visibility,
)
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.metrics.report import KPI_NAMES
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.organizations import OrganizationService
from domain.timeutil import utcnow

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class World:
    organization_id: int
    community_id: int
    writer_key: int
    reviewer_key: int


@pytest.fixture
async def world(db: Database) -> World:
    async with db.session() as session:
        organizations = OrganizationService(session)
        organization = await organizations.create("acme", "Acme")
        assert organization.id is not None
        community = await CommunityService(session, organization.id).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        writer = await organizations.issue_key(organization.id, ApiKeyRole.ANALYST)
        reviewer = await organizations.issue_key(organization.id, ApiKeyRole.MANAGER)
    assert community.id
    assert writer.record.id
    assert reviewer.record.id
    return World(organization.id, community.id, writer.record.id, reviewer.record.id)


def _draft(**changes: object) -> CampaignDraft:
    fields: dict[str, object] = {
        "name": "Spring repairs",
        "objective": Objective("engagements", 500.0, START + timedelta(days=60)),
        "starts_at": START,
        "ends_at": START + timedelta(days=60),
        "budget": 1200.0,
    }
    fields.update(changes)
    return CampaignDraft(**fields)  # type: ignore[arg-type]


async def _campaign(db: Database, world: World) -> int:
    async with db.session() as session:
        campaign = await CampaignService(session, world.organization_id).create(_draft())
    assert campaign.id is not None
    return campaign.id


def _post(world: World, campaign_id: int | None, title: str = "Patch day") -> PlannedContent:
    return PlannedContent(
        world.community_id, ContentKind.POST, "Bring your tents.", title, campaign_id
    )


async def test_a_campaign_is_planned_changed_and_closed_and_then_refuses_changes(
    db: Database, world: World
) -> None:
    campaign_id = await _campaign(db, world)
    async with db.session() as session:
        service = CampaignService(session, world.organization_id)
        changed = await service.update(campaign_id, CampaignChanges(budget=900.0, name=" Repairs "))
        assert (changed.budget, changed.name, changed.version) == (900.0, "Repairs", 2)
        closed = await service.close(campaign_id)
        assert closed.status == CampaignStatus.CLOSED.value
        assert closed.closed_at is not None
        with pytest.raises(ValidationFailed) as refused:
            await service.update(campaign_id, CampaignChanges(budget=1.0))
    assert refused.value.problems[0].code == "CLOSED"


async def test_a_campaign_with_an_unknown_kpi_or_an_end_before_its_start_writes_nothing(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        service = CampaignService(session, world.organization_id)
        with pytest.raises(ValidationFailed) as refused:
            await service.create(
                _draft(
                    objective=Objective("vibes", 1.0, START),
                    ends_at=START - timedelta(days=1),
                    budget=-5.0,
                    topic_ids=(999_999,),
                )
            )
        total = await service.total()
    codes = sorted(p.code for p in refused.value.problems)
    assert codes == ["ENDS_BEFORE_START", "NOT_FOUND", "OUT_OF_RANGE", "UNKNOWN_KPI"]
    assert total == 0


@pytest.mark.parametrize("kpi", ["engagement_rate", "stickiness", "audience_size"])
async def test_a_campaign_objective_on_an_audience_kpi_is_refused_naming_the_campaign_kpis(
    db: Database, world: World, kpi: str
) -> None:
    # A campaign has content, engagement and conversions, not an audience of its own: its
    # progress on such a KPI could only ever read 0.
    async with db.session() as session:
        with pytest.raises(ValidationFailed) as refused:
            await CampaignService(session, world.organization_id).create(
                _draft(objective=Objective(kpi, 0.1, START))
            )
    problem = refused.value.problems[0]
    assert problem.code == "UNKNOWN_KPI"
    assert "not a campaign KPI" in problem.message
    assert all(name in problem.message for name in CAMPAIGN_KPIS)
    assert set(CAMPAIGN_KPIS) <= set(KPI_NAMES)


async def test_content_moves_from_draft_through_review_to_scheduled(
    db: Database, world: World
) -> None:
    campaign_id = await _campaign(db, world)
    at = utcnow() + timedelta(hours=2)
    async with db.session() as session:
        writer = ContentWorkflow(session, world.organization_id, world.writer_key)
        reviewer = ContentWorkflow(session, world.organization_id, world.reviewer_key)
        draft = await writer.create(_post(world, campaign_id))
        assert draft.id is not None
        assert (draft.status, draft.campaign_id, draft.published_at) == ("draft", campaign_id, None)
        assert (await writer.submit(draft.id)).status == "in_review"
        rejected = await reviewer.reject(draft.id, "Say which day")
        assert (rejected.status, rejected.rejection_reason) == ("rejected", "Say which day")
        assert (await writer.submit(draft.id)).rejection_reason is None
        assert (await reviewer.approve(draft.id)).status == "approved"
        scheduled = await reviewer.schedule(draft.id, at)
    assert (scheduled.status, scheduled.scheduled_at, scheduled.version) == ("scheduled", at, 6)


async def test_the_key_that_submitted_content_cannot_approve_or_reject_it(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        writer = ContentWorkflow(session, world.organization_id, world.writer_key)
        draft = await writer.create(_post(world, None))
        assert draft.id is not None
        draft_id = draft.id
        await writer.submit(draft_id)
        with pytest.raises(ValidationFailed) as approving:
            await writer.approve(draft_id)
        with pytest.raises(ValidationFailed) as rejecting:
            await writer.reject(draft_id, "no")
        again = await session.scalar(select(Content.status).where(Content.id == draft_id))
    assert approving.value.problems[0].code == "SELF_APPROVAL"
    assert rejecting.value.problems[0].code == "SELF_APPROVAL"
    assert again == "in_review"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("approve", "cannot approve content that is draft; it must be in_review"),
        ("schedule", "cannot schedule content that is draft; it must be approved or scheduled"),
    ],
)
async def test_a_step_from_the_wrong_status_is_refused_naming_the_current_status(
    db: Database, world: World, step: str, message: str
) -> None:
    async with db.session() as session:
        reviewer = ContentWorkflow(session, world.organization_id, world.reviewer_key)
        draft = await reviewer.create(_post(world, None))
        assert draft.id is not None
        call = (
            reviewer.approve(draft.id)
            if step == "approve"
            else reviewer.schedule(draft.id, utcnow() + timedelta(days=1))
        )
        with pytest.raises(ValidationFailed) as refused:
            await call
    problem = refused.value.problems[0]
    assert (problem.code, problem.message) == ("INVALID_TRANSITION", message)


async def test_content_for_a_closed_or_unknown_campaign_is_refused_and_not_written(
    db: Database, world: World
) -> None:
    campaign_id = await _campaign(db, world)
    async with db.session() as session:
        await CampaignService(session, world.organization_id).close(campaign_id)
        workflow = ContentWorkflow(session, world.organization_id, world.writer_key)
        with pytest.raises(ValidationFailed):
            await workflow.create(_post(world, campaign_id))
        with pytest.raises(NotFound):
            await workflow.create(_post(world, 999_999))
        count = (await session.execute(select(func.count()).select_from(Content))).scalar_one()
    assert count == 0


async def test_scheduling_in_the_past_is_refused(db: Database, world: World) -> None:
    async with db.session() as session:
        workflow = ContentWorkflow(session, world.organization_id, None)
        draft = await workflow.create(_post(world, None))
        assert draft.id is not None
        await workflow.submit(draft.id)
        await workflow.approve(draft.id)
        with pytest.raises(ValidationFailed) as refused:
            await workflow.schedule(draft.id, utcnow() - timedelta(minutes=1))
    assert refused.value.problems[0].code == "IN_THE_PAST"


async def test_the_calendar_lists_scheduled_and_published_items_of_the_period_in_date_order(
    db: Database, world: World
) -> None:
    now = utcnow()
    async with db.session() as session:
        workflow = ContentWorkflow(session, world.organization_id, None)
        ids = []
        for title, hours in (("later", 30), ("sooner", 3), ("outside", 24 * 40)):
            draft = await workflow.create(_post(world, None, title))
            assert draft.id is not None
            await workflow.submit(draft.id)
            await workflow.approve(draft.id)
            await workflow.schedule(draft.id, now + timedelta(hours=hours))
            ids.append(draft.id)
        await workflow.create(_post(world, None, "still a draft"))
        service = CampaignService(session, world.organization_id)
        items = await service.calendar(now, now + timedelta(days=7))
        elsewhere = await service.calendar(now, now + timedelta(days=7), [999_999])
        with pytest.raises(ValidationFailed):
            await service.calendar(now, now - timedelta(days=1))
    assert [item.content.title for item in items] == ["sooner", "later"]
    assert items[0].at == now + timedelta(hours=3)
    assert elsewhere == []


async def _review(db: Database, world: World, key_id: int, content_id: int, verdict: str) -> str:
    async with db.session() as session:
        reviewer = ContentWorkflow(session, world.organization_id, key_id)
        try:
            if verdict == "approve":
                await reviewer.approve(content_id)
            else:
                await reviewer.reject(content_id, "Not this week")
        except (Conflict, ValidationFailed) as refused:
            return refused.problems[0].code
    return "done"


async def test_two_reviewers_racing_on_one_item_give_it_one_verdict(
    db: Database, world: World
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    async with db.session() as session:
        second = await OrganizationService(session).issue_key(
            world.organization_id, ApiKeyRole.MANAGER
        )
        writer = ContentWorkflow(session, world.organization_id, world.writer_key)
        draft = await writer.create(_post(world, None))
        assert draft.id is not None
        await writer.submit(draft.id)
    assert second.record.id is not None
    for _ in range(5):
        outcomes = await asyncio.gather(
            _review(db, world, world.reviewer_key, draft.id, "approve"),
            _review(db, world, second.record.id, draft.id, "reject"),
        )
        # One verdict; the other reviewer is told the item moved (or was already judged).
        assert set(outcomes) in ({"done", "CONFLICT"}, {"done", "INVALID_TRANSITION"})
        async with db.session() as session:
            row = await session.get(Content, draft.id)
            assert row is not None
            assert row.status in ("approved", "rejected")
            writer = ContentWorkflow(session, world.organization_id, world.writer_key)
            if row.status == "approved":
                break
            await writer.submit(draft.id)


async def test_a_step_on_content_read_before_another_reviewer_moved_it_is_a_conflict(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        writer = ContentWorkflow(session, world.organization_id, world.writer_key)
        draft = await writer.create(_post(world, None))
        assert draft.id is not None
        await writer.submit(draft.id)
    async with db.session() as slow_session, db.session() as fast_session:
        slow = ContentWorkflow(slow_session, world.organization_id, world.reviewer_key)
        read_early = await slow._at_step("reject", draft.id)
        fast = ContentWorkflow(fast_session, world.organization_id, world.reviewer_key)
        await fast.approve(draft.id)
        with pytest.raises(Conflict):
            await slow._move(read_early, ContentStatus.REJECTED)
        await slow_session.rollback()
    async with db.session() as session:
        row = await session.get(Content, draft.id)
    assert row is not None
    assert row.status == "approved"
