"""One organization's API keys: listed, made (the secret shown once) and revoked.

A revoked key stops working on its next request (every request looks the key up) and so do
the short-lived tokens made from it; its revocation is an event (`api_key.revoked`), which
closes the websockets it opened; its row stays, so the audit log keeps naming it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domain import events
from domain.db import transaction
from domain.entities import ApiKey
from domain.enums import ApiKeyRole
from domain.errors import NotFound, ValidationFailed
from domain.keys import display_prefix, generate_key, hash_key
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository
from domain.services.organizations import IssuedKey
from domain.timeutil import utcnow
from domain.validation import Problems

NEWEST_FIRST = Ordering((ApiKey.created_at, ApiKey.id), descending=True)


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def by_prefix(self, prefix: str) -> list[ApiKey]:
        stmt = self.scoped().where(self._column("prefix") == prefix)
        return list((await self.session.scalars(stmt)).all())


class ApiKeyService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self.repo = ApiKeyRepository(session, organization_id)

    async def create(self, role: ApiKeyRole, name: str = "") -> IssuedKey:
        problems = Problems()
        problems.text("name", name, low=0, high=200)
        problems.raise_if_any()
        secret = generate_key()
        async with transaction(self.session):
            record = self.repo.add(
                ApiKey(
                    organization_id=self.organization_id,
                    name=name.strip(),
                    prefix=display_prefix(secret),
                    key_hash=hash_key(secret),
                    role=role.value,
                )
            )
            await self.session.flush()
        return IssuedKey(secret, record)

    async def revoke(self, key_id: int) -> ApiKey:
        async with transaction(self.session):
            key = await self.repo.get(key_id)
            if key is None:
                raise NotFound.of("id", "API key")
            if key.revoked_at is not None:
                raise ValidationFailed.single("id", "the key is revoked already", "REVOKED")
            key.revoked_at = utcnow()
            self.session.add(key)
            # Announced after commit, so servers close the key's open websockets at once.
            events.emit(
                self.session,
                organization_id=self.organization_id,
                name=events.API_KEY_REVOKED,
                subject_type="ApiKey",
                subject_id=key_id,
            )
        return key

    async def revoke_by_prefix(self, prefix: str) -> ApiKey:
        """Revoke the one key shown as `prefix` (what `apikey list` prints)."""
        matches = await self.repo.by_prefix(prefix)
        if not matches:
            raise NotFound.of("prefix", f"API key {prefix!r}")
        if len(matches) > 1:
            raise ValidationFailed.single(
                "prefix", f"{len(matches)} keys start with {prefix!r}; revoke by id", "AMBIGUOUS"
            )
        assert matches[0].id is not None
        return await self.revoke(matches[0].id)

    async def get_many(self, key_ids: Sequence[int]) -> dict[int, ApiKey]:
        return await self.repo.get_many(key_ids)

    async def page(self, request: PageRequest) -> Page[ApiKey]:
        return await self.repo.page(self.repo.scoped(), NEWEST_FIRST, request)

    async def total(self) -> int:
        return await self.repo.count(self.repo.scoped())
