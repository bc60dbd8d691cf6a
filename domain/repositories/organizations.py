"""Queries over organizations, their topics and API keys (the tenant roots)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.entities import ApiKey, Organization, Topic
from domain.repositories.base import TenantRepository

# What authenticating a request reads of its key, as plain columns, by a statement built once:
# the ORM entity and a statement built per request cost more CPU than the lookup itself.
_KEY_COLUMNS = sa.select(
    col(ApiKey.id),
    col(ApiKey.organization_id),
    col(ApiKey.role),
    col(ApiKey.last_used_at),
    col(ApiKey.revoked_at),
)
KEY_BY_HASH = _KEY_COLUMNS.where(col(ApiKey.key_hash) == bindparam("key_hash"))
KEY_BY_ID = _KEY_COLUMNS.where(col(ApiKey.id) == bindparam("key_id"))


class OrganizationRepository:
    """Organizations are the tenants themselves, so this one is not tenant-scoped."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_slug(self, slug: str) -> Organization | None:
        stmt = select(Organization).where(col(Organization.slug) == slug)
        return (await self.session.scalars(stmt)).first()

    async def get(self, organization_id: int) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def key_by_hash(self, key_hash: str) -> Any | None:
        """The key with this hash as a row of `_KEY_COLUMNS` (read by attribute), or None."""
        return (await self.session.execute(KEY_BY_HASH, {"key_hash": key_hash})).first()

    async def key_by_id(self, key_id: int) -> Any | None:
        """The key `key_id` as a row of `_KEY_COLUMNS` (read by attribute), or None."""
        return (await self.session.execute(KEY_BY_ID, {"key_id": key_id})).first()

    async def stamp_key_use(self, key_id: int, at: datetime) -> None:
        stmt = update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=at)
        await self.session.execute(stmt)


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
