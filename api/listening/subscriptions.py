"""Live listening: new mentions, escalation changes and snowball alerts as they commit."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.listening.types import Alert, Escalation, Mention
from api.subscriptions.streams import live_nodes
from domain.events import ALERT_RAISED, ESCALATION_CHANGED, MENTION_ADDED


@strawberry.type
class ListeningSubscription:
    @strawberry.subscription(description="Each mention recorded or ingested from now on.")
    async def mention_added(self, info: strawberry.Info) -> AsyncGenerator[Mention, None]:
        async for node in live_nodes(info, MENTION_ADDED, Mention):
            yield node

    @strawberry.subscription(
        description="An escalation each time it is created, answered, reassigned or resolved."
    )
    async def escalation_changed(self, info: strawberry.Info) -> AsyncGenerator[Escalation, None]:
        async for node in live_nodes(info, ESCALATION_CHANGED, Escalation):
            yield node

    @strawberry.subscription(description="Each snowball alert as it is raised.")
    async def alert_raised(self, info: strawberry.Info) -> AsyncGenerator[Alert, None]:
        async for node in live_nodes(info, ALERT_RAISED, Alert):
            yield node
