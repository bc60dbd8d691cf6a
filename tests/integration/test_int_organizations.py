"""Organizations, topics and API keys on real databases."""

from __future__ import annotations

import pytest

from domain.db import Database
from domain.entities import ApiKey
from domain.enums import ApiKeyRole
from domain.errors import Conflict, NotFound, Unauthenticated
from domain.keys import generate_key, hash_key
from domain.services.organizations import OrganizationService, TopicDraft
from domain.timeutil import utcnow


async def test_an_organization_is_created_and_found_by_slug(db: Database) -> None:
    async with db.session() as session:
        created = await OrganizationService(session).create("acme", "  Acme  ")
    async with db.session() as session:
        found = await OrganizationService(session).by_slug("acme")
        by_id = await OrganizationService(session).get(found.id or 0)
    assert found.id == created.id
    assert found.name == "Acme"
    assert by_id is not None
    assert by_id.slug == "acme"


async def test_a_second_organization_with_the_same_slug_conflicts(db: Database) -> None:
    async with db.session() as session:
        await OrganizationService(session).create("acme", "Acme")
        with pytest.raises(Conflict) as raised:
            await OrganizationService(session).create("acme", "Other")
    assert raised.value.problems[0].field == ("slug",)


async def test_an_unknown_slug_is_not_found(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(NotFound):
            await OrganizationService(session).by_slug("nobody")


async def test_topics_are_listed_in_order_and_their_slugs_are_unique(db: Database) -> None:
    async with db.session() as session:
        service = OrganizationService(session)
        organization = await service.create("acme", "Acme")
        organization_id = organization.id
        assert organization_id is not None
        await service.add_topic(organization_id, TopicDraft("pricing", "Pricing", ("price",)))
        await service.add_topic(
            organization_id, TopicDraft("repair", "Repair", strategic=True, advantage=0.8)
        )
        with pytest.raises(Conflict):
            await service.add_topic(organization_id, TopicDraft("pricing", "Again"))
        topics = await service.topics(organization_id)
    assert [(t.slug, t.keywords, t.strategic, t.advantage) for t in topics] == [
        ("pricing", ["price"], False, 0.0),
        ("repair", [], True, 0.8),
    ]


async def _issue(db: Database, role: ApiKeyRole = ApiKeyRole.MANAGER) -> tuple[int, str, int]:
    async with db.session() as session:
        service = OrganizationService(session)
        organization = await service.create("acme", "Acme")
        assert organization.id is not None
        issued = await service.issue_key(organization.id, role, "ci")
        assert issued.record.id is not None
        return organization.id, issued.secret, issued.record.id


async def test_a_good_key_authenticates_as_its_organization_and_role(db: Database) -> None:
    organization_id, secret, key_id = await _issue(db, ApiKeyRole.ANALYST)
    async with db.session() as session:
        principal = await OrganizationService(session).authenticate(secret)
        stored = await session.get(ApiKey, key_id)
    assert (principal.organization_id, principal.role, principal.key_id) == (
        organization_id,
        ApiKeyRole.ANALYST,
        key_id,
    )
    assert stored is not None
    assert stored.key_hash == hash_key(secret)
    assert secret not in (stored.key_hash, stored.prefix)
    assert stored.last_used_at is not None


@pytest.mark.parametrize("bad", ["", "Bearer", "tsq_short", "x" * 42])
async def test_a_malformed_key_is_refused(db: Database, bad: str) -> None:
    await _issue(db)
    async with db.session() as session:
        with pytest.raises(Unauthenticated):
            await OrganizationService(session).authenticate(bad)


async def test_a_well_formed_but_unknown_key_is_refused(db: Database) -> None:
    await _issue(db)
    async with db.session() as session:
        with pytest.raises(Unauthenticated):
            await OrganizationService(session).authenticate(generate_key())


async def test_a_revoked_key_is_refused(db: Database) -> None:
    _, secret, key_id = await _issue(db)
    async with db.session() as session:
        key = await session.get(ApiKey, key_id)
        assert key is not None
        key.revoked_at = utcnow()
        session.add(key)
        await session.commit()
    async with db.session() as session:
        with pytest.raises(Unauthenticated):
            await OrganizationService(session).authenticate(secret)
