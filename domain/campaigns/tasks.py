"""Campaign tasks: owned by staff, dated, and ordered by dependencies that may not loop.

A dependency cycle and a due date before the start are user errors; dependencies stay inside
one campaign. Cycles are found by the standard library's topological sorter over the campaign's
whole dependency graph as it would be after the write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from graphlib import CycleError, TopologicalSorter

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.campaigns.repositories import CampaignRepository, TaskRepository
from domain.campaigns.tables import CampaignTask
from domain.db import transaction
from domain.entities import Membership
from domain.enums import CampaignStatus, MembershipRole, MembershipState, TaskStatus
from domain.errors import NotFound, ValidationFailed
from domain.timeutil import as_utc, utcnow
from domain.validation import Problems

STAFF_ROLES = frozenset(MembershipRole) - {MembershipRole.MEMBER}
MAX_DEPENDENCIES = 50


@dataclass(frozen=True)
class TaskDraft:
    campaign_id: int
    title: str
    owner_id: int
    starts_at: datetime
    due_at: datetime
    depends_on: tuple[int, ...] = ()


@dataclass(frozen=True)
class TaskChanges:
    """Fields to change; `None` leaves a field as it is (`depends_on` replaces the set)."""

    title: str | None = None
    owner_id: int | None = None
    starts_at: datetime | None = None
    due_at: datetime | None = None
    status: TaskStatus | None = None
    depends_on: tuple[int, ...] | None = None


def check_fields(
    title: str | None, starts_at: datetime | None, due_at: datetime | None
) -> Problems:
    problems = Problems()
    problems.text("title", title, low=1, high=200)
    if starts_at is not None and due_at is not None and as_utc(due_at) < as_utc(starts_at):
        problems.add("dueAt", "a task cannot be due before it starts", "DUE_BEFORE_START")
    return problems


def find_cycle(graph: dict[int, Sequence[int]]) -> list[int] | None:
    """A dependency loop of `graph` (task -> what it depends on), or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        cycle: list[int] = list(error.args[1])
        return cycle
    return None


class TaskService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self.repo = TaskRepository(session, organization_id)
        self.campaigns = CampaignRepository(session, organization_id)

    async def create(self, draft: TaskDraft) -> CampaignTask:
        problems = check_fields(draft.title, draft.starts_at, draft.due_at)
        await self._check_owner(draft.owner_id, problems)
        problems.raise_if_any()
        await self._open_campaign(draft.campaign_id)
        async with transaction(self.session):
            await self._check_dependencies(draft.campaign_id, None, draft.depends_on)
            task = self.repo.add(
                CampaignTask(
                    organization_id=self.organization_id,
                    campaign_id=draft.campaign_id,
                    title=draft.title.strip(),
                    owner_member_id=draft.owner_id,
                    starts_at=as_utc(draft.starts_at),
                    due_at=as_utc(draft.due_at),
                    status=TaskStatus.TODO.value,
                )
            )
            await self.session.flush()
            assert task.id is not None
            await self.repo.replace_dependencies(task.id, draft.depends_on)
        return task

    async def update(self, task_id: int, changes: TaskChanges) -> CampaignTask:
        problems = check_fields(changes.title, None, None)
        if changes.owner_id is not None:
            await self._check_owner(changes.owner_id, problems)
        problems.raise_if_any()
        async with transaction(self.session):
            task = await self.repo.get(task_id)
            if task is None:
                raise NotFound.of("id", "task")
            await self._open_campaign(task.campaign_id)
            _apply(task, changes)
            check_fields(None, task.starts_at, task.due_at).raise_if_any()
            if changes.depends_on is not None:
                await self._check_dependencies(task.campaign_id, task_id, changes.depends_on)
                await self.repo.replace_dependencies(task_id, changes.depends_on)
            task.updated_at = utcnow()
            task.version += 1
            self.session.add(task)
        return task

    async def _open_campaign(self, campaign_id: int) -> None:
        campaign = await self.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound.of("campaignId", "campaign")
        if campaign.status == CampaignStatus.CLOSED.value:
            raise ValidationFailed.single("campaignId", "the campaign is closed", "CLOSED")

    async def _check_owner(self, owner_id: int, problems: Problems) -> None:
        """The owner must hold a staff role in one of the organization's communities."""
        stmt = select(Membership.id).where(
            col(Membership.organization_id) == self.organization_id,
            col(Membership.member_id) == owner_id,
            col(Membership.role).in_([r.value for r in STAFF_ROLES]),
            col(Membership.state) == MembershipState.ACTIVE.value,
        )
        if (await self.session.scalars(stmt.limit(1))).first() is None:
            problems.add("ownerId", "the owner must be a member with a staff role", "NOT_STAFF")

    async def _check_dependencies(
        self, campaign_id: int, task_id: int | None, depends_on: Sequence[int]
    ) -> None:
        problems = Problems()
        if len(depends_on) > MAX_DEPENDENCIES:
            problems.add("dependsOn", f"at most {MAX_DEPENDENCIES} dependencies", "TOO_MANY")
        if len(set(depends_on)) != len(depends_on):
            problems.add("dependsOn", "a task may appear once", "DUPLICATE")
        tasks = {t.id: t for t in await self.repo.of_campaigns([campaign_id])}
        for index, other in enumerate(depends_on):
            if other not in tasks:
                problems.add(f"dependsOn.{index}", "task not found in this campaign", "NOT_FOUND")
        problems.raise_if_any()
        if task_id is None:
            return  # a new task has no dependents yet, so it cannot close a loop
        graph: dict[int, Sequence[int]] = dict(
            await self.repo.dependencies([i for i in tasks if i is not None])
        )
        graph[task_id] = depends_on
        cycle = find_cycle(graph)
        if cycle is not None:
            message = f"the dependencies would form a cycle of {len(cycle) - 1} tasks"
            raise ValidationFailed.single("dependsOn", message, "DEPENDENCY_CYCLE")

    async def of_campaigns(self, campaign_ids: Sequence[int]) -> list[CampaignTask]:
        return await self.repo.of_campaigns(campaign_ids)

    async def dependencies(self, task_ids: Sequence[int]) -> dict[int, list[int]]:
        return await self.repo.dependencies(task_ids)

    async def get_many(self, task_ids: Sequence[int]) -> dict[int, CampaignTask]:
        return await self.repo.get_many(task_ids)


def _apply(task: CampaignTask, changes: TaskChanges) -> None:
    if changes.title is not None:
        task.title = changes.title.strip()
    if changes.owner_id is not None:
        task.owner_member_id = changes.owner_id
    if changes.starts_at is not None:
        task.starts_at = as_utc(changes.starts_at)
    if changes.due_at is not None:
        task.due_at = as_utc(changes.due_at)
    if changes.status is not None:
        task.status = changes.status.value
