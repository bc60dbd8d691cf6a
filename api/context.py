"""The per-request context: who calls, one database session, scoped services, fresh loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.communities.loaders import CommunityLoaders
from api.content.loaders import ContentLoaders
from api.members.loaders import MemberLoaders
from api.organizations.loaders import OrganizationLoaders
from domain.services.communities import CommunityService
from domain.services.content import ContentService
from domain.services.engagement import EngagementService
from domain.services.members import MemberService
from domain.services.organizations import OrganizationService, Principal

T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    """The domain services, each scoped to the caller's organization."""

    organization_id: int
    organizations: OrganizationService
    communities: CommunityService
    members: MemberService
    content: ContentService
    engagement: EngagementService

    @classmethod
    def scoped(cls, session: AsyncSession, organization_id: int) -> Services:
        return cls(
            organization_id=organization_id,
            organizations=OrganizationService(session),
            communities=CommunityService(session, organization_id),
            members=MemberService(session, organization_id),
            content=ContentService(session, organization_id),
            engagement=EngagementService(session, organization_id),
        )


@dataclass
class Loaders:
    """DataLoaders of one request: a cache must never outlive the request that filled it."""

    organizations: OrganizationLoaders
    communities: CommunityLoaders
    members: MemberLoaders
    content: ContentLoaders

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> Loaders:
        return cls(
            organizations=OrganizationLoaders.build(services, lock),
            communities=CommunityLoaders.build(services, lock),
            members=MemberLoaders.build(services, lock),
            content=ContentLoaders.build(services, lock),
        )


class Context:
    """What every resolver of one request sees as `info.context`."""

    def __init__(
        self,
        request: Request,
        session: AsyncSession,
        principal: Principal,
        response: Response | None = None,
    ) -> None:
        self.request = request
        # Where the trust checks put the status (429) and rate-limit headers of the reply.
        self.response = response
        self.session = session
        self.principal = principal
        # Strawberry resolves sibling fields concurrently; one AsyncSession must not be.
        self.lock = asyncio.Lock()
        self.services = Services.scoped(session, principal.organization_id)
        self.loaders = Loaders.build(self.services, self.lock)

    async def run(self, call: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run one service call on the request's session, alone."""
        async with self.lock:
            return await call(*args)

    def after_write(self) -> None:
        # A mutation changed rows that loaders may have cached; later fields must see them.
        self.loaders = Loaders.build(self.services, self.lock)
