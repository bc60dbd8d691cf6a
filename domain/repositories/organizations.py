"""Queries over organizations, their topics and API keys (the tenant roots)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.entities import ApiKey, Organization, Topic
from domain.repositories.base import TenantRepository


class OrganizationRepository:
    """Organizations are the tenants themselves, so this one is not tenant-scoped."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_slug(self, slug: str) -> Organization | None:
        stmt = select(Organization).where(col(Organization.slug) == slug)
        return (await self.session.scalars(stmt)).first()

    async def get(self, organization_id: int) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        stmt = select(ApiKey).where(col(ApiKey.key_hash) == key_hash)
        return (await self.session.scalars(stmt)).first()


class TopicRepository(TenantRepository[Topic]):
    model = Topic

    async def all(self) -> list[Topic]:
        stmt = self.scoped().order_by(col(Topic.id))
        return list((await self.session.scalars(stmt)).all())

    async def by_slug(self, slug: str) -> Topic | None:
        stmt = self.scoped().where(col(Topic.slug) == slug)
        return (await self.session.scalars(stmt)).first()

    async def existing_ids(self, topic_ids: Sequence[int]) -> set[int]:
        return set((await self.get_many(topic_ids)).keys())
