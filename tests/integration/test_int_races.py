"""Two writes that race for the same unique value: one wins, the other is a clean conflict."""

from __future__ import annotations

import asyncio

import pytest

from domain.db import Database
from domain.errors import Conflict
from domain.services.members import MemberDraft, MemberService
from domain.services.organizations import OrganizationService


async def _create(database: Database, organization_id: int, handle: str) -> str:
    async with database.session() as session:
        try:
            await MemberService(session, organization_id).create(MemberDraft(handle, "Racer"))
        except Conflict as conflict:
            return ",".join(sorted({problem.code for problem in conflict.problems}))
    return "created"


@pytest.mark.parametrize("round_number", range(5))
async def test_racing_creates_of_one_handle_give_one_member_and_one_conflict(
    db: Database, round_number: int
) -> None:
    async with db.session() as session:
        organization = await OrganizationService(session).create(f"race-{round_number}", "Race")
    assert organization.id is not None
    handle = f"racer{round_number}"
    outcomes = await asyncio.gather(
        _create(db, organization.id, handle), _create(db, organization.id, handle)
    )
    assert sorted(outcomes) == ["CONFLICT", "created"]
