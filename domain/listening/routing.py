"""Choosing the expert for an escalation: knows its topics, carries the least open load.

Experts are members holding a SUBJECT_MATTER_EXPERT or EMPLOYEE membership that is active in
one of the organization's communities. Among those interested in the escalation's topics, the
one with the fewest unresolved escalations wins; ties go to the stronger interest in those
topics, then to the lower id, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.entities import MemberInterest, Membership
from domain.enums import MembershipRole, MembershipState
from domain.listening.repositories import EscalationRepository

EXPERT_ROLES = (MembershipRole.SUBJECT_MATTER_EXPERT.value, MembershipRole.EMPLOYEE.value)


@dataclass(frozen=True)
class Candidate:
    member_id: int
    relevance: float
    load: int


def choose(candidates: Sequence[Candidate]) -> Candidate | None:
    """Least load first, then the most relevant, then the lowest id."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.load, -c.relevance, c.member_id))


async def experts_for(
    session: AsyncSession, organization_id: int, topic_ids: Sequence[int]
) -> dict[int, float]:
    """Member id -> summed interest weight in `topic_ids`, over active experts only."""
    if not topic_ids:
        return {}
    experts = (
        select(Membership.member_id)
        .where(
            col(Membership.organization_id) == organization_id,
            col(Membership.role).in_(EXPERT_ROLES),
            col(Membership.state) == MembershipState.ACTIVE.value,
        )
        .distinct()
    )
    stmt = (
        select(MemberInterest.member_id, func.sum(MemberInterest.weight))
        .where(
            col(MemberInterest.organization_id) == organization_id,
            col(MemberInterest.topic_id).in_(list(topic_ids)),
            col(MemberInterest.weight) > 0,
            col(MemberInterest.member_id).in_(experts),
        )
        .group_by(col(MemberInterest.member_id))
    )
    return {int(m): float(w) for m, w in (await session.execute(stmt)).all()}


async def route(
    session: AsyncSession,
    organization_id: int,
    topic_ids: Sequence[int],
    exclude: int | None = None,
) -> int | None:
    """The member to assign, or None when nobody (but `exclude`) knows these topics."""
    relevance: Mapping[int, float] = {
        m: w
        for m, w in (await experts_for(session, organization_id, topic_ids)).items()
        if m != exclude
    }
    if not relevance:
        return None
    load = await EscalationRepository(session, organization_id).open_load(list(relevance))
    picked = choose([Candidate(m, r, load[m]) for m, r in relevance.items()])
    return None if picked is None else picked.member_id
