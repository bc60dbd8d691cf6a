"""Each live connection's guard: it closes the websocket when its key is revoked or its token
expires, whether or not an event is on its way.

The guard listens to its organization's events on the broadcaster the subscriptions use, so a
revocation committed by any server reaches it at once (in-process, or through Redis between
workers: `api_key.revoked`). A revocation no server announced (`townsquare apikey revoke`
from a shell, or servers without a shared Redis) is caught by looking the key up every
`recheck_seconds`; a token's expiry is a deadline the guard wakes for. Besides the guard, every
event is checked before it is sent (`streams.live_nodes`), so a revoked key hears nothing more
even between two of the guard's looks.
"""

from __future__ import annotations

import asyncio
import logging

from api.subscriptions.context import EXPIRED, REVOKED, LiveContext
from api.subscriptions.events import LiveEvent
from domain.events import API_KEY_REVOKED
from domain.timeutil import utcnow

log = logging.getLogger(__name__)


def start_guard(context: LiveContext) -> None:
    """Guard the connection of `context` (its caller is known) until `stop_guard`."""
    context.guard = asyncio.create_task(_guard(context), name="live-connection-guard")


async def _guard(context: LiveContext) -> None:
    principal = context.principal
    try:
        async with context.broadcaster.listen(principal.organization_id) as listener:
            while True:
                try:
                    event = await asyncio.wait_for(anext(listener), _wait(context))
                except TimeoutError:
                    ending = await context.ended()
                    if ending is not None:
                        await context.close(ending)
                        return
                    continue
                if _revokes(event, principal.key_id):
                    await context.close(REVOKED)
                    return
                if context.expired():
                    await context.close(EXPIRED)
                    return
    except asyncio.CancelledError:
        raise
    except Exception:
        # A guard that cannot look (database or Redis down) leaves the per-event check on.
        log.exception("the guard of a live connection stopped")


def _wait(context: LiveContext) -> float:
    """Seconds until the next look: the recheck interval, or sooner if the token ends first."""
    wait = context.recheck_seconds
    if context.expires_at is not None:
        wait = min(wait, (context.expires_at - utcnow()).total_seconds())
    return max(wait, 0.0)


def _revokes(event: LiveEvent, key_id: int) -> bool:
    return event.name == API_KEY_REVOKED and event.subject_id == key_id
