"""What every subscription field does: listen to the caller's organization, keep the events of
one name, and yield each event's subject as the node a client selects fields of."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import strawberry
from graphql import GraphQLError

from api.subscriptions.context import LiveContext
from api.subscriptions.events import LiveEvent

WEBSOCKET_ONLY = (
    "Subscriptions run over a websocket with the graphql-transport-ws protocol, at /graphql."
)


def live_context(info: strawberry.Info) -> LiveContext:
    context = info.context
    if not isinstance(context, LiveContext):
        raise GraphQLError(WEBSOCKET_ONLY, extensions={"code": "BAD_REQUEST"})
    return context


async def live_nodes(
    info: strawberry.Info,
    names: str | tuple[str, ...],
    node_type: Any,
    accept: Callable[[LiveEvent], bool] | None = None,
) -> AsyncGenerator[Any, None]:
    """The nodes of `node_type` named by the caller's organization's events called `names`.

    An event whose subject has gone (deleted since) is skipped; the session that loaded a node
    stays open while its fields resolve, and closes before the next event is awaited.
    """
    context = live_context(info)
    wanted = {names} if isinstance(names, str) else set(names)
    organization_id = context.principal.organization_id
    async with context.broadcaster.listen(organization_id) as listener:
        async for event in listener:
            if event.name not in wanted or event.subject_id is None:
                continue
            if event.organization_id != organization_id or (accept and not accept(event)):
                continue
            async with context.event_scope():
                # A key revoked (or a token expired) since the last look hears nothing more.
                ending = await context.ended(context.session)
                if ending is not None:
                    await context.close(ending)
                    return
                found = await node_type.resolve_nodes(info=info, node_ids=[str(event.subject_id)])
                node = next(iter(found), None)
                if node is not None:
                    yield node
