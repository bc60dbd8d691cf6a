"""Queries over campaigns, their tasks and the tasks' dependencies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import col, select

from domain.campaigns.tables import Campaign, CampaignTask, CampaignTaskDependency
from domain.repositories.base import TenantRepository


class CampaignRepository(TenantRepository[Campaign]):
    model = Campaign


class TaskRepository(TenantRepository[CampaignTask]):
    model = CampaignTask

    async def of_campaigns(self, campaign_ids: Sequence[int]) -> list[CampaignTask]:
        stmt = self.scoped().where(col(CampaignTask.campaign_id).in_(list(campaign_ids)))
        stmt = stmt.order_by(col(CampaignTask.starts_at), col(CampaignTask.id))
        return list((await self.session.scalars(stmt)).all())

    async def dependencies(self, task_ids: Sequence[int]) -> dict[int, list[int]]:
        stmt = select(CampaignTaskDependency).where(
            col(CampaignTaskDependency.organization_id) == self.organization_id,
            col(CampaignTaskDependency.task_id).in_(list(task_ids)),
        )
        found: dict[int, list[int]] = defaultdict(list)
        for row in (await self.session.scalars(stmt)).all():
            found[row.task_id].append(row.depends_on_id)
        return {task_id: sorted(found.get(task_id, [])) for task_id in task_ids}

    async def replace_dependencies(self, task_id: int, depends_on: Sequence[int]) -> None:
        await self.session.execute(
            delete(CampaignTaskDependency).where(col(CampaignTaskDependency.task_id) == task_id)
        )
        for other in depends_on:
            self.session.add(
                CampaignTaskDependency(
                    task_id=task_id, depends_on_id=other, organization_id=self.organization_id
                )
            )
