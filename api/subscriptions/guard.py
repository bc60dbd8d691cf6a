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
    loop = asyncio.get_running_loop()
    async with context.broadcaster.listen(principal.organization_id) as listener:
        # An absolute time: a busy organization's events must not keep putting the look off.
        next_look = loop.time() + context.recheck_seconds
        while True:
            try:
                event = await asyncio.wait_for(anext(listener), _wait(context, next_look))
            except TimeoutError:
                next_look = loop.time() + context.recheck_seconds
                if await _look(context):
                    return
                continue
            if _revokes(event, principal.key_id):
                await context.close(REVOKED)
                return
            if context.expired():
                await context.close(EXPIRED)
                return


async def _look(context: LiveContext) -> bool:
    """Look the key up (and the token's expiry); close the socket and say so if it must end."""
    try:
        ending = await context.ended()
    except Exception:
        # The database is out of reach: look again next time; events are still checked.
        log.warning("a live connection's key could not be looked up", exc_info=True)
        return False
    if ending is None:
        return False
    await context.close(ending)
    return True


def _wait(context: LiveContext, next_look: float) -> float:
    """Seconds until the next look, or until the token ends if that comes first."""
    wait = next_look - asyncio.get_running_loop().time()
    if context.expires_at is not None:
        wait = min(wait, (context.expires_at - utcnow()).total_seconds())
    return max(wait, 0.0)


def _revokes(event: LiveEvent, key_id: int) -> bool:
    return event.name == API_KEY_REVOKED and event.subject_id == key_id
