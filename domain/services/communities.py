"""Creating, changing, archiving and listing communities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.concurrency import next_version
from domain.db import transaction
from domain.entities import Community
from domain.enums import CommunityOrder, Platform, Visibility
from domain.errors import NotFound, ValidationFailed
from domain.pagination import Page, PageRequest
from domain.repositories.communities import CommunityFilter, CommunityRepository, community_ordering
from domain.timeutil import utcnow
from domain.validation import Problems


@dataclass(frozen=True)
class CommunityDraft:
    name: str
    platform: Platform
    visibility: Visibility
    description: str = ""


@dataclass(frozen=True)
class CommunityChanges:
    """Fields to change; `None` leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    platform: Platform | None = None
    visibility: Visibility | None = None
    # The version the caller read; another version is a CONFLICT (None: no check).
    expected_version: int | None = None


def _check(name: str | None, description: str | None) -> None:
    problems = Problems()
    problems.text("name", name, low=1, high=200)
    problems.text("description", description, low=0, high=2000)
    problems.raise_if_any()


class CommunityService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.repo = CommunityRepository(session, organization_id)
        self.organization_id = organization_id

    async def create(self, draft: CommunityDraft) -> Community:
        _check(draft.name, draft.description)
        async with transaction(self.session):
            community = self.repo.add(
                Community(
                    organization_id=self.organization_id,
                    name=draft.name.strip(),
                    description=draft.description,
                    platform=draft.platform.value,
                    visibility=draft.visibility.value,
                )
            )
            await self.session.flush()
        return community

    async def update(self, community_id: int, changes: CommunityChanges) -> Community:
        _check(changes.name, changes.description)
        async with transaction(self.session):
            community = await self._open(community_id)
            if changes.name is not None:
                community.name = changes.name.strip()
            if changes.description is not None:
                community.description = changes.description
            if changes.platform is not None:
                community.platform = changes.platform.value
            if changes.visibility is not None:
                community.visibility = changes.visibility.value
            await self._touch(community, changes.expected_version)
        return community

    async def archive(self, community_id: int) -> Community:
        async with transaction(self.session):
            community = await self._open(community_id)
            community.archived_at = utcnow()
            await self._touch(community)
        return community

    async def _open(self, community_id: int) -> Community:
        community = await self.repo.get(community_id)
        if community is None:
            raise NotFound.of("id", "community")
        if community.archived_at is not None:
            raise ValidationFailed.single("id", "the community is archived", "ARCHIVED")
        return community

    async def _touch(self, community: Community, expected_version: int | None = None) -> None:
        community.updated_at = utcnow()
        await next_version(self.session, community, expected_version, "community")
        self.session.add(community)

    async def get(self, community_id: int) -> Community | None:
        return await self.repo.get(community_id)

    async def get_many(self, community_ids: Sequence[int]) -> dict[int, Community]:
        return await self.repo.get_many(community_ids)

    async def list(
        self,
        where: CommunityFilter,
        request: PageRequest,
        order: CommunityOrder = CommunityOrder.CREATED_AT,
        descending: bool = False,
    ) -> Page[Community]:
        return await self.repo.list(where, community_ordering(order, descending), request)

    async def total(self, where: CommunityFilter) -> int:
        return await self.repo.total(where)
