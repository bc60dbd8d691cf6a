"""Webhooks end to end on SQLite and PostgreSQL: outbox -> deliveries -> a real receiver."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from domain.db import Database, transaction
from domain.entities import Community, Organization
from domain.enums import ContentKind
from domain.events import ALERT_RAISED, CONTENT_PUBLISHED, emit
from domain.services.content import ContentDraft, ContentService
from domain.timeutil import utcnow
from domain.webhooks.backoff import RetryPolicy
from domain.webhooks.dispatch import DeliverySettings, Dispatcher
from domain.webhooks.service import WebhookDraft, WebhookService
from domain.webhooks.signing import verify
from domain.webhooks.tables import FAILED, PENDING, SUCCEEDED, WebhookDelivery

FAST = DeliverySettings(
    retry=RetryPolicy(max_attempts=4, base_seconds=0.01, max_seconds=0.05),
    settle_seconds=0.0,
    allow_private=True,
)


async def _organization(db: Database, slug: str = "acme") -> tuple[int, int]:
    """An organization with one community: (organization id, community id)."""
    async with db.session() as session, transaction(session):
        organization = Organization(slug=slug, name=slug.title())
        session.add(organization)
        await session.flush()
        assert organization.id is not None
        community = Community(
            organization_id=organization.id, name="Town", platform="forum", visibility="public"
        )
        session.add(community)
        await session.flush()
        assert community.id is not None
        return organization.id, community.id


async def _subscribe(
    db: Database, organization_id: int, url: str, events: tuple[str, ...] = (CONTENT_PUBLISHED,)
) -> tuple[int, str]:
    async with db.session() as session:
        service = WebhookService(session, organization_id, allow_private=True)
        created = await service.create(WebhookDraft(url=url, events=events))
    assert created.webhook.id is not None
    return created.webhook.id, created.secret


async def _publish(db: Database, organization_id: int, community_id: int, title: str) -> int:
    async with db.session() as session:
        content = await ContentService(session, organization_id).publish(
            ContentDraft(community_id, ContentKind.POST, "Hello", title=title)
        )
    assert content.id is not None
    return content.id


async def _deliveries(db: Database) -> list[WebhookDelivery]:
    async with db.session() as session:
        rows = await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return list(rows.all())


async def _until_settled(dispatcher: Dispatcher, db: Database, passes: int = 40) -> None:
    for _ in range(passes):
        await dispatcher.run_once()
        if all(d.status != PENDING for d in await _deliveries(db)):
            return
        await asyncio.sleep(0.03)
    raise AssertionError("deliveries did not settle")


async def test_a_published_post_reaches_the_receiver_signed_and_is_logged(
    db: Database, receiver: Any
) -> None:
    organization_id, community_id = await _organization(db)
    _, secret = await _subscribe(db, organization_id, receiver.url)
    content_id = await _publish(db, organization_id, community_id, "Launch day")

    created, sent = await Dispatcher(db, FAST).run_once()

    assert (created, sent) == (1, 1)
    [request] = receiver.requests
    verify(request.headers["townsquare-signature"], request.body, secret)
    body = orjson.loads(request.body)
    assert body["event"] == CONTENT_PUBLISHED
    assert body["data"]["title"] == "Launch day"
    assert body["subject"]["type"] == "Content"
    assert body["id"] == request.headers["townsquare-delivery"]
    [delivery] = await _deliveries(db)
    assert delivery.status == SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    assert content_id > 0


async def test_a_receiver_failing_twice_gets_the_same_delivery_a_third_time(
    db: Database, receiver: Any
) -> None:
    receiver.statuses = [500, 503]
    organization_id, community_id = await _organization(db)
    await _subscribe(db, organization_id, receiver.url)
    await _publish(db, organization_id, community_id, "Retry me")

    await _until_settled(Dispatcher(db, FAST), db)

    [delivery] = await _deliveries(db)
    assert delivery.status == SUCCEEDED
    assert delivery.attempts == 3
    ids = {r.headers["townsquare-delivery"] for r in receiver.requests}
    assert ids == {delivery.delivery_key}
    assert len(receiver.requests) == 3


async def test_a_delivery_is_marked_failed_after_the_last_attempt(
    db: Database, receiver: Any
) -> None:
    receiver.then = 500
    organization_id, community_id = await _organization(db)
    await _subscribe(db, organization_id, receiver.url)
    await _publish(db, organization_id, community_id, "Doomed")

    await _until_settled(Dispatcher(db, FAST), db)

    [delivery] = await _deliveries(db)
    assert delivery.status == FAILED
    assert delivery.attempts == FAST.retry.max_attempts
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == FAST.retry.max_attempts


async def test_a_delivery_survives_a_restart_in_the_middle_of_its_retries(
    db: Database, receiver: Any
) -> None:
    receiver.statuses = [500]
    organization_id, community_id = await _organization(db)
    await _subscribe(db, organization_id, receiver.url)
    await _publish(db, organization_id, community_id, "Restart")
    slow = DeliverySettings(
        retry=RetryPolicy(max_attempts=4, base_seconds=0.3, max_seconds=0.3),
        settle_seconds=0.0,
        allow_private=True,
    )
    await Dispatcher(db, slow).run_once()
    [waiting] = await _deliveries(db)
    assert (waiting.status, waiting.attempts) == (PENDING, 1)

    # The server stops: its engine goes away with everything in memory.
    url = db.url
    await db.dispose()
    restarted = Database(url, pool_size=2)
    try:
        await asyncio.sleep(0.35)
        await _until_settled(Dispatcher(restarted, slow), restarted)
        [done] = await _deliveries(restarted)
    finally:
        await restarted.dispose()
    assert (done.status, done.attempts) == (SUCCEEDED, 2)
    assert {r.headers["townsquare-delivery"] for r in receiver.requests} == {done.delivery_key}


async def test_a_worker_that_dies_holding_a_claim_gives_it_up_when_its_lease_ends(
    db: Database, receiver: Any
) -> None:
    organization_id, community_id = await _organization(db)
    await _subscribe(db, organization_id, receiver.url)
    await _publish(db, organization_id, community_id, "Orphan")
    # A long lease, ended by moving the clock of the row rather than by sleeping: a short real
    # lease made the test depend on how busy the machine was.
    lease = DeliverySettings(
        retry=FAST.retry, lease_seconds=600, settle_seconds=0.0, allow_private=True
    )
    doomed = Dispatcher(db, lease)
    await doomed.fan_out()
    _token, claimed = await doomed._claim()  # claims, then "crashes" before sending
    assert len(claimed) == 1

    other = Dispatcher(db, lease)
    assert await other.send_due() == 0
    await _end_leases(db)
    assert await other.send_due() == 1
    [delivery] = await _deliveries(db)
    assert delivery.status == SUCCEEDED
    assert len(receiver.requests) == 1


async def _end_leases(db: Database) -> None:
    async with db.session() as session, transaction(session):
        await session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.status) == PENDING)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def test_two_workers_sending_at_once_never_send_a_delivery_twice(
    db: Database, receiver: Any
) -> None:
    organization_id, community_id = await _organization(db)
    await _subscribe(db, organization_id, receiver.url)
    for n in range(12):
        await _publish(db, organization_id, community_id, f"Post {n}")
    await Dispatcher(db, FAST).fan_out()
    second = Database(db.url, pool_size=2)
    try:
        small = DeliverySettings(
            retry=FAST.retry, batch_size=3, settle_seconds=0.0, allow_private=True
        )
        workers = [Dispatcher(db, small), Dispatcher(second, small)]
        for _ in range(10):
            await asyncio.gather(*(w.send_due() for w in workers))
    finally:
        await second.dispose()
    keys = [r.headers["townsquare-delivery"] for r in receiver.requests]
    assert len(keys) == len(set(keys)) == 12
    assert {d.status for d in await _deliveries(db)} == {SUCCEEDED}


async def test_only_subscribed_events_of_the_organization_after_subscribing_are_delivered(
    db: Database, receiver: Any
) -> None:
    organization_id, community_id = await _organization(db, "acme")
    other_id, other_community = await _organization(db, "globex")
    await _publish(db, organization_id, community_id, "Before subscribing")
    await _subscribe(db, organization_id, receiver.url)
    await _publish(db, other_id, other_community, "Someone else's")
    async with db.session() as session, transaction(session):
        emit(session, organization_id=organization_id, name=ALERT_RAISED)
    await _publish(db, organization_id, community_id, "After subscribing")

    dispatcher = Dispatcher(db, FAST)
    await dispatcher.run_once()
    await dispatcher.run_once()

    titles = [orjson.loads(r.body)["data"]["title"] for r in receiver.requests]
    assert titles == ["After subscribing"]
    assert len(await _deliveries(db)) == 1


async def test_events_younger_than_the_settle_time_are_read_again_without_duplicates(
    db: Database, receiver: Any
) -> None:
    organization_id, community_id = await _organization(db)
    await _subscribe(db, organization_id, receiver.url)
    await _publish(db, organization_id, community_id, "Young")
    patient = DeliverySettings(retry=FAST.retry, settle_seconds=3600, allow_private=True)
    dispatcher = Dispatcher(db, patient)

    assert await dispatcher.fan_out() == 1
    assert await dispatcher.fan_out() == 0
    assert len(await _deliveries(db)) == 1


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/hook", "UNSUPPORTED_SCHEME"),
        ("file:///etc/passwd", "UNSUPPORTED_SCHEME"),
        ("http://127.0.0.1:9/hook", "UNSAFE_URL"),
        ("http://localhost/hook", "UNSAFE_URL"),
        ("http://10.1.2.3/hook", "UNSAFE_URL"),
        ("http://169.254.169.254/latest/meta-data", "UNSAFE_URL"),
        ("http://[::1]/hook", "UNSAFE_URL"),
        ("http://[::ffff:127.0.0.1]/hook", "UNSAFE_URL"),
        ("https://user:pw@example.com/hook", "INVALID_FORMAT"),
    ],
)
async def test_production_refuses_private_and_non_http_urls(
    sqlite_db: Database, url: str, code: str
) -> None:
    from domain.errors import ValidationFailed

    organization_id, _ = await _organization(sqlite_db)
    async with sqlite_db.session() as session:
        service = WebhookService(session, organization_id, allow_private=False)
        with pytest.raises(ValidationFailed) as refused:
            await service.create(WebhookDraft(url=url, events=(CONTENT_PUBLISHED,)))
    assert [p.code for p in refused.value.problems] == [code]
