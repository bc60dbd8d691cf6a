"""Live metrics: a community, each time writes change its daily rollups (at most about once a
second per community: the server coalesces bursts)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from api.communities.types import Community
from api.ids import decode_id_of
from api.subscriptions.streams import live_context, live_nodes
from domain.events import METRICS_UPDATED


@strawberry.type
class MetricsSubscription:
    @strawberry.subscription(
        description="The community each time its metrics change; select `metrics` to redraw."
    )
    async def metrics_updated(
        self, info: strawberry.Info, community_id: strawberry.ID
    ) -> AsyncGenerator[Community, None]:
        # Checked before the stream is returned, so a bad id is an `error` message, not a
        # stream that fails on its first event.
        row_id = await _community(info, community_id)
        return live_nodes(info, METRICS_UPDATED, Community, lambda e: e.subject_id == row_id)


async def _community(info: strawberry.Info, community_id: str) -> int:
    """The row id of a community of the caller's; another tenant's answers like an unknown one."""
    context = live_context(info)
    row_id = decode_id_of(community_id, {"Community"})
    if row_id is not None:
        async with context.event_scope():
            if await context.loaders.communities.communities.load(row_id) is not None:
                return row_id
    raise GraphQLError(
        "No community has this id.", extensions={"code": "NOT_FOUND", "field": ["communityId"]}
    )
