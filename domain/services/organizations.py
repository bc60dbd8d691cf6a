"""Organizations (tenants), their topics, and the API keys that act for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import transaction
from domain.entities import ApiKey, Organization, Topic
from domain.enums import ApiKeyRole
from domain.errors import Conflict, NotFound, Unauthenticated
from domain.keys import display_prefix, generate_key, hash_key, well_formed
from domain.repositories.organizations import OrganizationRepository, TopicRepository
from domain.timeutil import utcnow
from domain.validation import SLUG_PATTERN, Problems

# Stamping last use on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
SLUG_HINT = "may hold lower-case letters, digits and '-'"


@dataclass(frozen=True)
class TopicDraft:
    slug: str
    name: str
    keywords: tuple[str, ...] = field(default_factory=tuple)
    strategic: bool = False
    advantage: float = 0.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organization, a role, and the key that proved it."""

    organization_id: int
    role: ApiKeyRole
    key_id: int


@dataclass(frozen=True)
class IssuedKey:
    """A freshly made key; `secret` is shown once and never stored."""

    secret: str
    record: ApiKey


class OrganizationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = OrganizationRepository(session)

    async def create(self, slug: str, name: str) -> Organization:
        problems = Problems()
        problems.pattern("slug", slug, SLUG_PATTERN, SLUG_HINT)
        problems.text("name", name, low=1, high=200)
        problems.raise_if_any()
        async with transaction(self.session):
            if await self.repo.by_slug(slug) is not None:
                raise Conflict.single("slug", f"the organization {slug!r} exists already")
            organization = Organization(slug=slug, name=name.strip())
            self.session.add(organization)
            await self.session.flush()
        return organization

    async def by_slug(self, slug: str) -> Organization:
        organization = await self.repo.by_slug(slug)
        if organization is None:
            raise NotFound.of("slug", f"organization {slug!r}")
        return organization

    async def get(self, organization_id: int) -> Organization | None:
        return await self.repo.get(organization_id)

    async def add_topic(self, organization_id: int, draft: TopicDraft) -> Topic:
        problems = Problems()
        problems.pattern(
            "slug", draft.slug, SLUG_PATTERN, "may hold lower-case letters, digits and '-'"
        )
        problems.text("name", draft.name, low=1, high=200)
        problems.within("advantage", draft.advantage, 0.0, 1.0)
        problems.raise_if_any()
        topics = TopicRepository(self.session, organization_id)
        async with transaction(self.session):
            if await topics.by_slug(draft.slug) is not None:
                raise Conflict.single("slug", f"the topic {draft.slug!r} exists already")
            topic = topics.add(
                Topic(
                    organization_id=organization_id,
                    slug=draft.slug,
                    name=draft.name,
                    keywords=list(draft.keywords),
                    strategic=draft.strategic,
                    advantage=draft.advantage,
                )
            )
            await self.session.flush()
        return topic

    async def topics(self, organization_id: int) -> list[Topic]:
        return await TopicRepository(self.session, organization_id).all()

    async def get_topics(self, organization_id: int, topic_ids: Sequence[int]) -> dict[int, Topic]:
        """Topics of one organization by id; ids of other organizations are simply absent."""
        return await TopicRepository(self.session, organization_id).get_many(topic_ids)

    async def issue_key(self, organization_id: int, role: ApiKeyRole, name: str = "") -> IssuedKey:
        secret = generate_key()
        async with transaction(self.session):
            record = ApiKey(
                organization_id=organization_id,
                name=name,
                prefix=display_prefix(secret),
                key_hash=hash_key(secret),
                role=role.value,
            )
            self.session.add(record)
            await self.session.flush()
        return IssuedKey(secret, record)

    async def authenticate(self, secret: str) -> Principal:
        """The principal a key stands for; any fault is the same refusal, to leak nothing."""
        if not well_formed(secret):
            raise Unauthenticated("the API key is malformed")
        key = await self.repo.key_by_hash(hash_key(secret))
        return await self._principal(key)

    async def principal_of_key(self, key_id: int) -> Principal:
        """The principal of key `key_id` (named by a signed token): refused once revoked."""
        return await self._principal(await self.repo.key_by_id(key_id))

    async def _principal(self, key: Any | None) -> Principal:
        """The principal of `key` (a row of `OrganizationRepository.key_by_hash`)."""
        if key is None or key.revoked_at is not None:
            raise Unauthenticated("the API key is unknown or revoked")
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            async with transaction(self.session):
                await self.repo.stamp_key_use(key.id, now)
        return Principal(key.organization_id, ApiKeyRole(key.role), key.id)
