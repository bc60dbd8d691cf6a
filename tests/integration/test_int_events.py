"""Domain events: an outbox row commits with its write, and listeners hear only committed ones."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlmodel import select

from domain.db import Database, transaction
from domain.entities import Organization
from domain.events import CONTENT_PUBLISHED, DomainEvent, emit


async def _organization(db: Database) -> int:
    async with db.session() as session, transaction(session):
        organization = Organization(slug="acme", name="Acme")
        session.add(organization)
        await session.flush()
        assert organization.id is not None
        return organization.id


async def test_an_event_is_stored_and_heard_after_its_transaction_commits(db: Database) -> None:
    organization_id = await _organization(db)
    heard: list[str] = []

    async def listener(events: Sequence[DomainEvent]) -> None:
        heard.extend(event.name for event in events)

    db.events.subscribe(listener)
    async with db.session() as session:
        async with transaction(session):
            emit(session, organization_id=organization_id, name=CONTENT_PUBLISHED, subject_id=7)
            assert heard == []
        rows = (await session.execute(select(DomainEvent))).scalars().all()
    assert heard == [CONTENT_PUBLISHED]
    assert [(row.name, row.subject_id) for row in rows] == [(CONTENT_PUBLISHED, 7)]


async def test_a_rolled_back_write_leaves_no_event_and_tells_no_listener(db: Database) -> None:
    organization_id = await _organization(db)
    heard: list[DomainEvent] = []

    async def listener(events: Sequence[DomainEvent]) -> None:
        heard.extend(events)

    db.events.subscribe(listener)
    async with db.session() as session:
        with pytest.raises(RuntimeError):  # noqa: PT012  (the raise must happen inside the block)
            async with transaction(session):
                emit(session, organization_id=organization_id, name=CONTENT_PUBLISHED)
                raise RuntimeError("the write fails")
        async with transaction(session):
            pass
        rows = (await session.execute(select(DomainEvent))).scalars().all()
    assert heard == []
    assert rows == []


async def test_a_failing_listener_does_not_undo_the_committed_write(db: Database) -> None:
    organization_id = await _organization(db)

    async def broken(events: Sequence[DomainEvent]) -> None:
        raise RuntimeError("listener bug")

    db.events.subscribe(broken)
    async with db.session() as session:
        async with transaction(session):
            emit(session, organization_id=organization_id, name=CONTENT_PUBLISHED)
        rows = (await session.execute(select(DomainEvent))).scalars().all()
    assert len(rows) == 1


def test_an_unknown_event_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event name"):
        emit(None, organization_id=1, name="content.exploded")  # type: ignore[arg-type]
