"""Campaign tasks, the timeline and progress toward the objective, on real databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from domain.campaigns.service import CampaignDraft, CampaignService, Objective
from domain.campaigns.tasks import TaskChanges, TaskDraft, TaskService, find_cycle
from domain.campaigns.workflow import ContentWorkflow, PlannedContent
from domain.db import Database
from domain.enums import ContentKind, EngagementKind, MembershipRole, Platform, Visibility
from domain.errors import ValidationFailed
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.engagement import EngagementDraft, EngagementService
from domain.services.members import MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService
from domain.services.scheduling import publish_due
from domain.timeutil import utcnow


@dataclass
class World:
    organization_id: int
    community_id: int
    campaign_id: int
    other_campaign_id: int
    staff: int
    fan: int
    start: datetime


@pytest.fixture
async def world(db: Database) -> World:
    start = utcnow() - timedelta(days=1)
    async with db.session() as session:
        organization = await OrganizationService(session).create("acme", "Acme")
        assert organization.id is not None
        org = organization.id
        community = await CommunityService(session, org).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        assert community.id is not None
        members = MemberService(session, org)
        staff = await members.create(MemberDraft("mod", "Moderator"))
        fan = await members.create(MemberDraft("fan", "Fan"))
        assert staff.id is not None
        assert fan.id is not None
        await members.join(
            MembershipDraft(community.id, staff.id, role=MembershipRole.COMMUNITY_MANAGER)
        )
        await members.join(MembershipDraft(community.id, fan.id))
        campaigns = CampaignService(session, org)
        ids = []
        for name in ("Spring", "Autumn"):
            draft = CampaignDraft(
                name,
                Objective("engagements", 4.0, start + timedelta(days=30)),
                start,
                start + timedelta(days=30),
                budget=100.0,
            )
            campaign = await campaigns.create(draft)
            assert campaign.id is not None
            ids.append(campaign.id)
    return World(org, community.id, ids[0], ids[1], staff.id, fan.id, start)


def _task(world: World, title: str, days: int, depends_on: tuple[int, ...] = ()) -> TaskDraft:
    starts = world.start + timedelta(days=days)
    return TaskDraft(
        world.campaign_id, title, world.staff, starts, starts + timedelta(days=2), depends_on
    )


async def test_a_dependency_cycle_is_a_user_error_and_changes_nothing(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        tasks = TaskService(session, world.organization_id)
        brief = await tasks.create(_task(world, "Brief", 0))
        assert brief.id is not None
        brief_id = brief.id
        write = await tasks.create(_task(world, "Write", 2, (brief_id,)))
        assert write.id is not None
        write_id = write.id
        review = await tasks.create(_task(world, "Review", 4, (write_id,)))
        assert review.id is not None
        review_id = review.id
        with pytest.raises(ValidationFailed) as looped:
            await tasks.update(brief_id, TaskChanges(depends_on=(review_id,)))
        with pytest.raises(ValidationFailed) as itself:
            await tasks.update(brief_id, TaskChanges(depends_on=(brief_id,)))
        kept = await tasks.dependencies([brief_id, write_id, review_id])
    assert looped.value.problems[0].code == "DEPENDENCY_CYCLE"
    assert itself.value.problems[0].code == "DEPENDENCY_CYCLE"
    assert kept == {brief_id: [], write_id: [brief_id], review_id: [write_id]}


async def test_a_task_due_before_it_starts_owned_by_a_non_staff_member_is_refused(
    db: Database, world: World
) -> None:
    starts = world.start + timedelta(days=3)
    async with db.session() as session:
        tasks = TaskService(session, world.organization_id)
        with pytest.raises(ValidationFailed) as refused:
            await tasks.create(
                TaskDraft(world.campaign_id, "Late", world.fan, starts, starts - timedelta(hours=1))
            )
        made = await tasks.create(_task(world, "Fine", 0))
        assert made.id is not None
        made_id = made.id
        with pytest.raises(ValidationFailed) as moved:
            await tasks.update(made_id, TaskChanges(due_at=world.start - timedelta(days=1)))
        left = await tasks.get_many([made_id])
    codes = sorted(p.code for p in refused.value.problems)
    assert codes == ["DUE_BEFORE_START", "NOT_STAFF"]
    assert moved.value.problems[0].code == "DUE_BEFORE_START"
    assert left[made_id].due_at == world.start + timedelta(days=2)


async def test_a_task_may_not_depend_on_a_task_of_another_campaign(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        tasks = TaskService(session, world.organization_id)
        elsewhere = await tasks.create(
            TaskDraft(
                world.other_campaign_id,
                "Other",
                world.staff,
                world.start,
                world.start + timedelta(days=1),
            )
        )
        assert elsewhere.id is not None
        with pytest.raises(ValidationFailed) as refused:
            await tasks.create(_task(world, "Mine", 1, (elsewhere.id,)))
    assert refused.value.problems[0].code == "NOT_FOUND"


def test_find_cycle_sees_loops_and_nothing_else() -> None:
    assert find_cycle({1: [2], 2: [3], 3: []}) is None
    assert find_cycle({1: [2], 2: [3], 3: [1]}) is not None
    assert find_cycle({1: [1]}) is not None


async def test_the_timeline_holds_tasks_and_content_in_start_order_and_progress_counts_engagement(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        tasks = TaskService(session, world.organization_id)
        brief = await tasks.create(_task(world, "Brief", 0))
        assert brief.id is not None
        brief_id = brief.id
        await tasks.create(_task(world, "Write", 2, (brief_id,)))
        workflow = ContentWorkflow(session, world.organization_id, None)
        post = await workflow.create(
            PlannedContent(world.community_id, ContentKind.POST, "Hi", "Launch", world.campaign_id)
        )
        assert post.id is not None
        post_id = post.id
        await workflow.submit(post_id)
        await workflow.approve(post_id)
        await workflow.schedule(post_id, utcnow() + timedelta(seconds=1))
    assert await publish_due(db, utcnow() + timedelta(seconds=2)) == 1
    async with db.session() as session:
        engagement = EngagementService(session, world.organization_id)
        for kind in (EngagementKind.LIKE, EngagementKind.SHARE, EngagementKind.VIEW):
            await engagement.record(EngagementDraft(post_id, world.fan, kind))
        campaigns = CampaignService(session, world.organization_id)
        timeline = await campaigns.timeline(world.campaign_id)
        progress = await campaigns.progress(world.campaign_id, utcnow() + timedelta(minutes=1))
        other = await campaigns.progress(world.other_campaign_id)
    assert [(i.kind, i.title) for i in timeline] == [
        ("task", "Brief"),
        ("content", "Launch"),
        ("task", "Write"),
    ]
    assert timeline[2].depends_on == (brief_id,)
    assert (progress.kpi, progress.value, progress.ratio) == ("engagements", 3.0, 0.75)
    assert progress.summary.posts == 1
    assert other.value == 0.0
