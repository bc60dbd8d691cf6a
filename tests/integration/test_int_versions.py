"""Optimistic concurrency in the domain: a stale version changes nothing, even mid-race."""

from __future__ import annotations

import asyncio

import pytest

from domain.concurrency import next_version
from domain.db import Database, transaction
from domain.enums import Platform, Visibility
from domain.errors import Conflict, DomainError
from domain.repositories.communities import CommunityRepository
from domain.services.communities import CommunityChanges, CommunityDraft, CommunityService
from domain.services.organizations import OrganizationService


async def community(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        org = await OrganizationService(session).create("acme", "Acme")
        assert org.id is not None
        row = await CommunityService(session, org.id).create(
            CommunityDraft("Forum", Platform.FORUM, Visibility.PUBLIC)
        )
        assert row.id is not None
        return org.id, row.id


async def stored(db: Database, org: int, community_id: int) -> tuple[str, int]:
    async with db.session() as session:
        row = await CommunityService(session, org).get(community_id)
        assert row is not None
        return row.name, row.version


async def test_an_update_with_the_version_read_raises_it_by_one(db: Database) -> None:
    org, community_id = await community(db)
    async with db.session() as session:
        service = CommunityService(session, org)
        await service.update(community_id, CommunityChanges(name="One", expected_version=1))
    assert await stored(db, org, community_id) == ("One", 2)


async def test_a_stale_version_is_a_conflict_and_overwrites_nothing(db: Database) -> None:
    org, community_id = await community(db)
    async with db.session() as session:
        service = CommunityService(session, org)
        await service.update(community_id, CommunityChanges(name="First"))
        with pytest.raises(Conflict) as refused:
            await service.update(community_id, CommunityChanges(name="Late", expected_version=1))
    [problem] = refused.value.problems
    assert (problem.field, problem.code) == (("expectedVersion",), "CONFLICT")
    assert "version 2" in problem.message
    assert await stored(db, org, community_id) == ("First", 2)


async def test_a_write_that_commits_between_read_and_update_makes_the_update_a_conflict(
    db: Database,
) -> None:
    org, community_id = await community(db)
    async with db.session() as slow, db.session() as fast:
        row = await CommunityRepository(slow, org).get(community_id)
        assert row is not None and row.version == 1  # noqa: PT018  (one read, two facts)
        await CommunityService(fast, org).update(
            community_id, CommunityChanges(name="Fast", expected_version=1)
        )

        async def slow_update() -> None:
            async with transaction(slow):
                row.name = "Slow"
                # The slow writer still holds version 1: the conditional UPDATE finds no row.
                await next_version(slow, row, 1, "community")

        with pytest.raises(Conflict):
            await slow_update()
    assert await stored(db, org, community_id) == ("Fast", 2)


async def test_of_racing_updates_with_one_version_exactly_one_wins(db: Database) -> None:
    org, community_id = await community(db)

    async def update(name: str) -> str | None:
        async with db.session() as session:
            try:
                await CommunityService(session, org).update(
                    community_id, CommunityChanges(name=name, expected_version=1)
                )
            except DomainError as error:
                return error.problems[0].code
            return None

    outcomes = await asyncio.gather(*(update(f"Writer {i}") for i in range(4)))
    assert outcomes.count(None) == 1
    assert sorted(o for o in outcomes if o is not None) == ["CONFLICT"] * 3
    name, version = await stored(db, org, community_id)
    assert version == 2
    assert name == f"Writer {outcomes.index(None)}"
