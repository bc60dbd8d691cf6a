"""The per-request context: who calls, one database session, scoped services, fresh loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.audit.loaders import AuditLoaders
from api.batching import alone
from api.campaigns.loaders import CampaignLoaders
from api.communities.loaders import CommunityLoaders
from api.content.loaders import ContentLoaders
from api.keys.loaders import ApiKeyLoaders
from api.listening.loaders import ListeningLoaders
from api.members.loaders import MemberLoaders
from api.metrics.loaders import InsightsLoaders, MetricsLoaders
from api.organizations.loaders import OrganizationLoaders
from api.simulations.loaders import SimulationLoaders
from api.webhooks.loaders import WebhookLoaders
from domain.audit.service import AuditService
from domain.campaigns.conversions import ConversionService
from domain.campaigns.service import CampaignService
from domain.campaigns.tasks import TaskService
from domain.campaigns.workflow import ContentWorkflow
from domain.listening.alerts import AlertService
from domain.listening.escalations import Actor, EscalationService
from domain.listening.mentions import MentionService
from domain.services.apikeys import ApiKeyService
from domain.services.communities import CommunityService
from domain.services.content import ContentService
from domain.services.engagement import EngagementService
from domain.services.insights import InsightsService
from domain.services.members import MemberService
from domain.services.metrics import MetricsService
from domain.services.organizations import OrganizationService, Principal
from domain.simulations.service import SimulationService
from domain.webhooks.service import WebhookService

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
    webhooks: WebhookService
    metrics: MetricsService
    insights: InsightsService
    mentions: MentionService
    escalations: EscalationService
    alerts: AlertService
    campaigns: CampaignService
    simulations: SimulationService
    workflow: ContentWorkflow
    tasks: TaskService
    conversions: ConversionService
    audit: AuditService
    keys: ApiKeyService

    @classmethod
    def scoped(
        cls,
        session: AsyncSession,
        organization_id: int,
        *,
        key_id: int | None = None,
        production: bool = False,
    ) -> Services:
        # Escalation history names the key that made each change.
        actor = Actor.key(key_id) if key_id is not None else Actor(None, "system")
        return cls(
            organization_id=organization_id,
            organizations=OrganizationService(session),
            communities=CommunityService(session, organization_id),
            members=MemberService(session, organization_id),
            content=ContentService(session, organization_id),
            engagement=EngagementService(session, organization_id),
            # Production refuses webhook URLs on private addresses (SSRF); development allows
            # them so a receiver on loopback can be tried.
            webhooks=WebhookService(session, organization_id, allow_private=not production),
            metrics=MetricsService(session, organization_id),
            insights=InsightsService(session, organization_id),
            mentions=MentionService(session, organization_id),
            escalations=EscalationService(session, organization_id, actor),
            alerts=AlertService(session, organization_id),
            campaigns=CampaignService(session, organization_id),
            simulations=SimulationService(session, organization_id),
            # Approval compares the reviewing key with the submitting one.
            workflow=ContentWorkflow(session, organization_id, key_id),
            tasks=TaskService(session, organization_id),
            conversions=ConversionService(session, organization_id),
            audit=AuditService(session, organization_id),
            keys=ApiKeyService(session, organization_id),
        )


@dataclass
class Loaders:
    """DataLoaders of one request: a cache must never outlive the request that filled it."""

    organizations: OrganizationLoaders
    communities: CommunityLoaders
    members: MemberLoaders
    content: ContentLoaders
    webhooks: WebhookLoaders
    metrics: MetricsLoaders
    insights: InsightsLoaders
    listening: ListeningLoaders
    campaigns: CampaignLoaders
    simulations: SimulationLoaders
    audit: AuditLoaders
    keys: ApiKeyLoaders

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> Loaders:
        return cls(
            organizations=OrganizationLoaders.build(services, lock),
            communities=CommunityLoaders.build(services, lock),
            members=MemberLoaders.build(services, lock),
            content=ContentLoaders.build(services, lock),
            webhooks=WebhookLoaders.build(services, lock),
            metrics=MetricsLoaders.build(services, lock),
            insights=InsightsLoaders.build(services, lock),
            listening=ListeningLoaders.build(services, lock),
            campaigns=CampaignLoaders.build(services, lock),
            simulations=SimulationLoaders.build(services, lock),
            audit=AuditLoaders.build(services, lock),
            keys=ApiKeyLoaders.build(services, lock),
        )


class Context:
    """What every resolver of one request sees as `info.context`."""

    # True on a websocket connection (api.subscriptions.context.LiveContext).
    live = False

    def __init__(
        self,
        request: Request,
        session: AsyncSession,
        principal: Principal,
        response: Response | None = None,
        *,
        production: bool = False,
        lock: asyncio.Lock | None = None,
    ) -> None:
        self.request = request
        # Where the trust checks put the status (429) and rate-limit headers of the reply.
        self.response = response
        self.session = session
        self.principal = principal
        # Strawberry resolves sibling fields concurrently; one AsyncSession must not be.
        self.lock = lock or asyncio.Lock()
        self.services = Services.scoped(
            session, principal.organization_id, key_id=principal.key_id, production=production
        )
        self.loaders = Loaders.build(self.services, self.lock)

    async def run(self, call: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run one service call on the request's session, alone and to its end."""
        return await alone(self.lock, call, *args)

    def after_write(self) -> None:
        # A mutation changed rows that loaders may have cached; later fields must see them.
        self.loaders = Loaders.build(self.services, self.lock)
