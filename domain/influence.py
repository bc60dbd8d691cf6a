"""Influencers: reach over the follow graph (PageRank) combined with the quality they bring.

A background job (`townsquare influence recompute`, or `recompute` from a scheduler) ranks every
member of an organization over its follow graph with PageRank on a SciPy sparse matrix, then
scores each membership: score = reach x (1 + ln(1 + quality)), where reach is the member's
PageRank times the number of members (1 = average) and quality is the quality-weighted
engagement their content drew in that community over the last QUALITY_DAYS days. The scores are
stored in `membership_influence`; requests only read the top rows, never the graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.bulk import columns_of, insert_rows
from domain.db import Database
from domain.entities import Content, Engagement, Follow, Member, Membership, Organization
from domain.rollups.daily import table_of
from domain.rollups.tables import MembershipInfluence
from domain.timeutil import utcnow

DAMPING = 0.85
TOLERANCE = 1e-10
MAX_ITERATIONS = 200
QUALITY_DAYS = 90


def pagerank(
    count: int, followers: npt.ArrayLike, followees: npt.ArrayLike, damping: float = DAMPING
) -> npt.NDArray[np.float64]:
    """PageRank of `count` nodes over edges follower -> followee; sums to 1.

    Rank flows from a follower to whom they follow, split evenly over their follows; members who
    follow nobody spread theirs over everyone, so no rank is lost.
    """
    if count == 0:
        return np.zeros(0)
    source = np.asarray(followers, dtype=np.int64)
    target = np.asarray(followees, dtype=np.int64)
    out_degree = np.bincount(source, minlength=count).astype(np.float64)
    weights = 1.0 / out_degree[source] if source.size else np.zeros(0)
    # Column-stochastic transition: rank[target] += rank[source] / out_degree[source].
    matrix = sparse.csr_matrix((weights, (target, source)), shape=(count, count))
    dangling = out_degree == 0
    rank = np.full(count, 1.0 / count)
    for _ in range(MAX_ITERATIONS):
        spread = rank[dangling].sum() / count
        following = damping * (matrix @ rank + spread) + (1.0 - damping) / count
        if np.abs(following - rank).sum() < TOLERANCE:
            rank = following
            break
        rank = following
    result: npt.NDArray[np.float64] = rank / rank.sum()
    return result


def influence_score(reach: float, quality: float) -> float:
    """A membership's influencer score from its reach and the quality it brings."""
    return reach * (1.0 + float(np.log1p(max(quality, 0.0))))


async def recompute(
    connection: AsyncConnection, organization_id: int, now: datetime | None = None
) -> int:
    """Rank the organization's members and store every membership's score; how many rows."""
    now = now or utcnow()
    reach = await _reach(connection, organization_id)
    quality = await _quality(connection, organization_id, now - timedelta(days=QUALITY_DAYS))
    membership = table_of(Membership)
    rows = (
        await connection.execute(
            select(membership.c.id, membership.c.community_id, membership.c.member_id).where(
                membership.c.organization_id == organization_id
            )
        )
    ).all()
    scored: list[dict[str, Any]] = []
    for membership_id, community_id, member_id in rows:
        member_reach = reach.get(member_id, 0.0)
        brought = quality.get((community_id, member_id), 0.0)
        scored.append(
            {
                "membership_id": membership_id, "organization_id": organization_id,
                "community_id": community_id, "member_id": member_id, "reach": member_reach,
                "quality": brought, "score": influence_score(member_reach, brought),
                "computed_at": now,
            }
        )  # fmt: skip
    table = table_of(MembershipInfluence)
    await connection.execute(delete(table).where(table.c.organization_id == organization_id))
    await insert_rows(connection, table, columns_of(scored))
    return len(scored)


async def _reach(connection: AsyncConnection, organization_id: int) -> dict[int, float]:
    member = table_of(Member)
    ids = (
        await connection.scalars(
            select(member.c.id).where(member.c.organization_id == organization_id)
        )
    ).all()
    index = {member_id: position for position, member_id in enumerate(ids)}
    followers, followees = await _follow_edges(connection, organization_id)
    sources, targets = [], []
    for a, b in zip(followers, followees, strict=True):
        if a in index and b in index:
            sources.append(index[a])
            targets.append(index[b])
    ranks = pagerank(len(ids), sources, targets) * len(ids)
    return {member_id: float(ranks[position]) for member_id, position in index.items()}


async def _follow_edges(
    connection: AsyncConnection, organization_id: int
) -> tuple[Sequence[int], Sequence[int]]:
    """The organization's follows as (followers, followees), pair by pair."""
    follow = table_of(Follow)
    where = follow.c.organization_id == organization_id
    if connection.dialect.name == "postgresql":
        # Two arrays in one row, aggregated in one scan (so pairs stay aligned), instead of a
        # result row per follow: reading 700,000 rows back was most of a seed's influence step.
        both = select(func.array_agg(follow.c.follower_id), func.array_agg(follow.c.followee_id))
        followers, followees = (await connection.execute(both.where(where))).one()
        return followers or [], followees or []
    edges = (
        await connection.execute(select(follow.c.follower_id, follow.c.followee_id).where(where))
    ).all()
    return [a for a, _ in edges], [b for _, b in edges]


async def _quality(
    connection: AsyncConnection, organization_id: int, since: datetime
) -> dict[tuple[int, int], float]:
    engagement, content = table_of(Engagement), table_of(Content)
    rows = await connection.execute(
        select(content.c.community_id, content.c.author_id, func.sum(engagement.c.quality_weight))
        .select_from(engagement)
        .join(content, content.c.id == engagement.c.content_id)
        .where(
            engagement.c.organization_id == organization_id,
            engagement.c.occurred_at >= since,
            content.c.author_id.is_not(None),
        )
        .group_by(content.c.community_id, content.c.author_id)
    )
    found: dict[tuple[int, int], float] = defaultdict(float)
    for community_id, author_id, total in rows.all():
        found[(community_id, author_id)] = float(total or 0.0)
    return found


async def organization_ids(connection: AsyncConnection) -> list[int]:
    table = table_of(Organization)
    return [int(i) for i in (await connection.scalars(select(table.c.id).order_by(table.c.id)))]


async def recompute_all(
    database: Database, *, on_progress: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """Recompute every organization's influence, each in its own transaction: (orgs, rows)."""
    async with database.engine.connect() as connection:
        ids = await organization_ids(connection)
    rows = 0
    for done, organization_id in enumerate(ids, start=1):
        async with database.engine.begin() as connection:
            rows += await recompute(connection, organization_id)
        if on_progress is not None:
            on_progress(done, len(ids))
    return len(ids), rows
