"""Communities on real databases: writes, filters, and keyset pages forward and backward."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from domain.db import Database
from domain.entities import Community
from domain.enums import CommunityOrder, Platform, Visibility
from domain.errors import NotFound, ValidationFailed
from domain.pagination import PageRequest, encode_cursor
from domain.repositories.communities import CommunityFilter
from domain.services.communities import CommunityChanges, CommunityDraft, CommunityService
from domain.services.organizations import OrganizationService


async def _organization(db: Database) -> int:
    async with db.session() as session:
        organization = await OrganizationService(session).create("acme", "Acme")
        assert organization.id is not None
        return organization.id


async def _create(db: Database, organization_id: int, *names: str) -> list[int]:
    ids = []
    async with db.session() as session:
        service = CommunityService(session, organization_id)
        for index, name in enumerate(names):
            platform = Platform.FORUM if index % 2 == 0 else Platform.BLOG
            community = await service.create(CommunityDraft(name, platform, Visibility.PUBLIC))
            assert community.id is not None
            ids.append(community.id)
    return ids


async def test_a_community_is_created_updated_and_archived(db: Database) -> None:
    organization_id = await _organization(db)
    [community_id] = await _create(db, organization_id, "Forum")
    async with db.session() as session:
        service = CommunityService(session, organization_id)
        updated = await service.update(
            community_id, CommunityChanges(name=" Help ", visibility=Visibility.PRIVATE)
        )
        assert (updated.name, updated.visibility, updated.version) == ("Help", "private", 2)
        archived = await service.archive(community_id)
        assert archived.archived_at is not None
        with pytest.raises(ValidationFailed) as raised:
            await service.update(community_id, CommunityChanges(name="Again"))
        assert raised.value.problems[0].code == "ARCHIVED"
    async with db.session() as session:
        service = CommunityService(session, organization_id)
        stored = await service.get(community_id)
        listed = await service.list(CommunityFilter(), PageRequest())
        with_archived = await service.list(CommunityFilter(include_archived=True), PageRequest())
    assert stored is not None
    assert stored.name == "Help"
    assert stored.version == 3
    assert listed.items == []
    assert [c.id for c in with_archived.items] == [community_id]


async def test_updating_an_unknown_community_is_not_found(db: Database) -> None:
    organization_id = await _organization(db)
    async with db.session() as session:
        with pytest.raises(NotFound):
            await CommunityService(session, organization_id).archive(12345)


async def test_filters_narrow_by_platform_and_by_case_insensitive_name(db: Database) -> None:
    organization_id = await _organization(db)
    await _create(db, organization_id, "Trail Forum", "Journal", "100%_real", "trail blog")
    async with db.session() as session:
        service = CommunityService(session, organization_id)
        forums = await service.list(CommunityFilter(platform=Platform.FORUM), PageRequest())
        trails = await service.list(CommunityFilter(search="TRAIL"), PageRequest())
        literal = await service.list(CommunityFilter(search="%_"), PageRequest())
        total = await service.total(CommunityFilter(platform=Platform.BLOG))
    assert [c.name for c in forums.items] == ["Trail Forum", "100%_real"]
    assert [c.name for c in trails.items] == ["Trail Forum", "trail blog"]
    assert [c.name for c in literal.items] == ["100%_real"]
    assert total == 2


async def _walk(
    service: CommunityService, order: CommunityOrder, descending: bool, backward: bool
) -> list[int]:
    seen: list[int] = []
    cursor: str | None = None
    while True:
        if backward:
            request = PageRequest(last=2, before=cursor)
        else:
            request = PageRequest(first=2, after=cursor)
        page = await service.list(CommunityFilter(), request, order, descending)
        seen = (
            [c.id for c in page.items if c.id is not None] + seen
            if backward
            else seen + [c.id for c in page.items if c.id is not None]
        )
        more = page.has_previous if backward else page.has_next
        if not more:
            return seen
        cursor = page.start_cursor if backward else page.end_cursor


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("order", list(CommunityOrder))
async def test_walking_pages_yields_every_row_once_in_order_despite_ties(
    db: Database, order: CommunityOrder, descending: bool, backward: bool
) -> None:
    organization_id = await _organization(db)
    names = ["b", "a", "b", "c", "a", "b", "a"]
    ids = await _create(db, organization_id, *names)
    same = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.engine.begin() as connection:
        # Ties in every sort column: only the id can break them.
        await connection.execute(
            update(Community).values(created_at=same, updated_at=same)  # type: ignore[arg-type]
        )
    rows = sorted(zip(names, ids, strict=True), key=lambda r: (r[0], r[1]))
    if order is not CommunityOrder.NAME:
        rows = sorted(rows, key=lambda r: r[1])
    expected = [i for _, i in rows]
    if descending:
        expected.reverse()
    async with db.session() as session:
        walked = await _walk(
            CommunityService(session, organization_id), order, descending, backward
        )
    assert walked == expected


async def test_a_page_stays_correct_when_rows_are_inserted_before_the_cursor(
    db: Database,
) -> None:
    organization_id = await _organization(db)
    await _create(db, organization_id, "a", "b", "c", "d")
    async with db.session() as session:
        service = CommunityService(session, organization_id)
        first = await service.list(CommunityFilter(), PageRequest(first=2), CommunityOrder.NAME)
    await _create(db, organization_id, "aa", "ab")
    async with db.session() as session:
        service = CommunityService(session, organization_id)
        second = await service.list(
            CommunityFilter(), PageRequest(first=2, after=first.end_cursor), CommunityOrder.NAME
        )
    assert [c.name for c in first.items] == ["a", "b"]
    assert [c.name for c in second.items] == ["c", "d"]
    assert second.has_previous
    assert not second.has_next


async def test_a_cursor_of_the_wrong_shape_is_an_invalid_cursor(db: Database) -> None:
    organization_id = await _organization(db)
    await _create(db, organization_id, "a")
    async with db.session() as session:
        with pytest.raises(ValidationFailed) as raised:
            await CommunityService(session, organization_id).list(
                CommunityFilter(), PageRequest(first=1, after=encode_cursor([1, 2, 3]))
            )
    assert raised.value.problems[0].code == "INVALID_CURSOR"
