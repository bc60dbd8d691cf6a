"""The broadcasters and the bridge: tenants apart, slow listeners bounded, metrics coalesced,
and (with TOWNSQUARE_TEST_REDIS_URL) events crossing two broadcasters through Redis."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from api.subscriptions.bridge import EventBridge
from api.subscriptions.broadcast import QUEUE_SIZE, LocalBroadcaster
from api.subscriptions.events import LiveEvent
from api.subscriptions.redis_broadcast import RedisBroadcaster
from domain.db import Database
from domain.events import CONTENT_PUBLISHED, MENTION_ADDED, METRICS_UPDATED, DomainEvent


def _event(organization_id: int, name: str = MENTION_ADDED, subject_id: int = 1) -> LiveEvent:
    return LiveEvent(organization_id, name, "mention", subject_id, {"n": subject_id})


def test_an_event_survives_its_trip_through_json() -> None:
    event = LiveEvent(3, METRICS_UPDATED, "community", 9, {"days": ["2026-01-02"]}, 41)
    assert LiveEvent.decode(event.encode()) == event


async def test_a_listener_hears_only_its_own_organization() -> None:
    broadcaster = LocalBroadcaster()
    async with broadcaster.listen(1) as ours, broadcaster.listen(2) as theirs:
        await broadcaster.publish([_event(2, subject_id=5), _event(1, subject_id=6)])
        assert (await ours.__anext__()).subject_id == 6
        assert ours.queue.empty()
        assert (await theirs.__anext__()).subject_id == 5
    assert broadcaster.listening(1) == broadcaster.listening(2) == 0


async def test_a_slow_listener_loses_the_oldest_events_not_the_newest() -> None:
    broadcaster = LocalBroadcaster()
    async with broadcaster.listen(1) as slow:
        await broadcaster.publish([_event(1, subject_id=n) for n in range(QUEUE_SIZE + 10)])
        assert slow.dropped == 10
        assert (await slow.__anext__()).subject_id == 10
        assert slow.queue.qsize() == QUEUE_SIZE - 1


async def test_the_bridge_coalesces_metrics_updates_per_community_and_passes_others_at_once(
    sqlite_db: Database,
) -> None:
    broadcaster = LocalBroadcaster()
    bridge = EventBridge(sqlite_db, broadcaster, debounce_seconds=0.2)

    def domain(name: str, subject_id: int, n: int) -> DomainEvent:
        return DomainEvent(
            organization_id=1, name=name, subject_id=subject_id, payload={"n": n}, id=n
        )

    async with broadcaster.listen(1) as listener:
        burst = [domain(METRICS_UPDATED, 7 + n % 2, n) for n in range(10)]
        await sqlite_db.events.publish([*burst, domain(MENTION_ADDED, 3, 99)])
        await sqlite_db.events.publish([domain(CONTENT_PUBLISHED, 4, 100)])  # not a live event
        assert (await listener.__anext__()).name == MENTION_ADDED
        assert listener.queue.empty()
        await asyncio.sleep(0.4)
        held = [listener.queue.get_nowait() for _ in range(listener.queue.qsize())]
    # One update per community, carrying the last payload of its burst.
    assert sorted((e.subject_id, e.payload["n"]) for e in held) == [(7, 8), (8, 9)]
    await bridge.close()


async def test_the_bridge_publishes_held_updates_when_it_closes(sqlite_db: Database) -> None:
    broadcaster = LocalBroadcaster()
    bridge = EventBridge(sqlite_db, broadcaster, debounce_seconds=60)
    async with broadcaster.listen(1) as listener:
        update = DomainEvent(organization_id=1, name=METRICS_UPDATED, subject_id=2, id=1)
        await sqlite_db.events.publish([update])
        assert listener.queue.empty()
        await bridge.close()
        assert (await listener.__anext__()).subject_id == 2


@pytest.mark.redis
async def test_events_cross_two_broadcasters_through_redis_once_and_per_organization() -> None:
    url = os.environ.get("TOWNSQUARE_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs a Redis server named by TOWNSQUARE_TEST_REDIS_URL")
    prefix = f"townsquare:test:{uuid.uuid4().hex}:"
    here, there = RedisBroadcaster(url, prefix=prefix), RedisBroadcaster(url, prefix=prefix)
    try:
        async with here.listen(1) as ours, here.listen(2) as theirs:
            # Subscribing is asynchronous on Redis's side: publish until the first arrives.
            for attempt in range(50):
                await there.publish([_event(1, subject_id=attempt)])
                try:
                    first = await asyncio.wait_for(ours.__anext__(), 0.2)
                    break
                except TimeoutError:
                    continue
            else:
                raise AssertionError("nothing crossed Redis")
            await there.publish([_event(1, subject_id=1000), _event(2, subject_id=2000)])
            await here.publish([_event(1, subject_id=1001)])
            seen = [first.subject_id]
            while (event := await _next_or_none(ours)) is not None:
                seen.append(event.subject_id)
            assert seen[-2:] == [1000, 1001]
            assert len(seen) == len(set(seen))
            assert (await asyncio.wait_for(theirs.__anext__(), 1.0)).subject_id == 2000
    finally:
        await here.close()
        await there.close()


async def _next_or_none(listener: object) -> LiveEvent | None:
    try:
        return await asyncio.wait_for(listener.__anext__(), 0.5)  # type: ignore[attr-defined]
    except TimeoutError:
        return None
