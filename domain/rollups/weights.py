"""The quality weight of an engagement, valued once when it is recorded.

weight = engagement_weight(engager's followers, interest match), the formula the simulator
uses too (domain.metrics.engagement_weight). Interest match is the sum of the engager's interest
weights over the content's topics, clipped to [0, 1]. Content without topics matches
UNTAGGED_MATCH: nothing says it is off-interest, and a zero would silence all of its likes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.arrays import among, dialect_of
from domain.entities import ContentTopic, MemberInterest
from domain.metrics import engagement_weight

UNTAGGED_MATCH = 0.5


def table_of(entity: Any) -> Table:
    table: Table = entity.__table__
    return table


def interest_match(interests: Mapping[int, float], topics: Sequence[int]) -> float:
    """How much of the member's interest the content's topics cover, in [0, 1]."""
    if not topics:
        return UNTAGGED_MATCH
    return min(1.0, max(0.0, sum(interests.get(t, 0.0) for t in topics)))


@lru_cache(maxsize=4)
def _interests(dialect: str) -> Select[Any]:
    table = table_of(MemberInterest)
    return select(table.c.member_id, table.c.topic_id, table.c.weight).where(
        among(dialect, table.c.member_id, "ids")
    )


@lru_cache(maxsize=4)
def _topics(dialect: str) -> Select[Any]:
    table = table_of(ContentTopic)
    return select(table.c.content_id, table.c.topic_id).where(
        among(dialect, table.c.content_id, "ids")
    )


async def interests_of(
    session: AsyncSession, member_ids: Sequence[int]
) -> dict[int, dict[int, float]]:
    rows = await session.execute(_interests(dialect_of(session)), {"ids": list(set(member_ids))})
    found: dict[int, dict[int, float]] = defaultdict(dict)
    for member_id, topic_id, weight in rows.all():
        found[member_id][topic_id] = weight
    return found


async def topics_of(session: AsyncSession, content_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = await session.execute(_topics(dialect_of(session)), {"ids": list(set(content_ids))})
    found: dict[int, list[int]] = defaultdict(list)
    for content_id, topic_id in rows.all():
        found[content_id].append(topic_id)
    return found


async def quality_weights(
    session: AsyncSession,
    pairs: Sequence[tuple[int, int]],
    followers: Mapping[int, int],
) -> list[float]:
    """The weight of each (member id, content id) engagement, in the order given."""
    if not pairs:
        return []
    interests = await interests_of(session, [m for m, _ in pairs])
    topics = await topics_of(session, [c for _, c in pairs])
    matches = [interest_match(interests.get(m, {}), topics.get(c, [])) for m, c in pairs]
    reach = [followers.get(m, 0) for m, _ in pairs]
    return [float(w) for w in engagement_weight(reach, matches)]
