"""An audit row commits with the write it describes, and rolls back with it."""

from __future__ import annotations

from sqlalchemy import func, select

from domain.audit.scope import AuditScope, audited
from domain.audit.tables import AuditEntry
from domain.db import Database, transaction
from domain.entities import Member
from domain.errors import Conflict
from domain.services.members import MemberDraft, MemberService
from domain.services.organizations import OrganizationService


async def audit_rows(db: Database) -> list[AuditEntry]:
    async with db.session() as session:
        return list((await session.scalars(select(AuditEntry))).all())


def scope_of(organization_id: int, action: str) -> AuditScope:
    return AuditScope(organization_id, None, "test", action, request_id="r-1")


async def test_a_write_that_fails_at_commit_leaves_no_audit_row(db: Database) -> None:
    async with db.session() as session:
        org = await OrganizationService(session).create("acme", "Acme")
        assert org.id is not None
        await MemberService(session, org.id).create(MemberDraft("ada", "Ada"))
        try:
            with audited(session, scope_of(org.id, "memberCreate")):
                async with transaction(session):
                    # Past the service's checks, as a racing twin would be: the unique
                    # constraint trips at the flush before commit.
                    session.add(Member(organization_id=org.id, handle="ada", display_name="A"))
        except Conflict:
            pass
        else:
            raise AssertionError("a duplicate handle must be a conflict")
        members = (await session.execute(select(func.count()).select_from(Member))).scalar_one()
    assert members == 1
    assert await audit_rows(db) == []


async def test_one_scope_writes_one_row_even_over_two_transactions(db: Database) -> None:
    async with db.session() as session:
        org = await OrganizationService(session).create("acme", "Acme")
        assert org.id is not None
        members = MemberService(session, org.id)
        with audited(session, scope_of(org.id, "memberCreate")):
            ada = await members.create(MemberDraft("ada", "Ada"))
            await members.create(MemberDraft("bob", "Bob"))
    [row] = await audit_rows(db)
    assert (row.action, row.target_type, row.target_id) == ("memberCreate", "Member", ada.id)
    assert row.request_id == "r-1"


async def test_writes_outside_a_scope_are_not_audited(db: Database) -> None:
    async with db.session() as session:
        org = await OrganizationService(session).create("acme", "Acme")
        assert org.id is not None
        await MemberService(session, org.id).create(MemberDraft("ada", "Ada"))
    assert await audit_rows(db) == []
