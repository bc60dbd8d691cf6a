"""What a bulk seed derives from its rows (domain/demo.py): orbits and love, set for a whole
community at once (one UPDATE from arrays on PostgreSQL), agree with the scores it stored, and
the day bitmaps hold exactly the member-day rows, and the content and membership counters
(counted in SQL groups) equal counting row by row, and reach (follows read as two arrays on
PostgreSQL) is the PageRank of the follow rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from domain.db import Database
from domain.entities import Content, Follow, Member, Membership
from domain.influence import pagerank
from domain.orbit import level_for, love_score
from domain.rollups.bitmaps import unpack
from domain.rollups.daily import Tally, content_counts, day_of, membership_counts, table_of
from domain.rollups.tables import (
    ActiveMembersDay,
    CommunityDaily,
    MemberActivityDay,
    MembershipInfluence,
    MembershipScore,
)
from simulator.scenario import builtin_scenario
from simulator.seeding import SimulatedSeed, seed_simulated

SCENARIO = builtin_scenario("crisis-response").resized(members=150, days=20)
SPEC = SimulatedSeed(scenario=SCENARIO, strategy=SCENARIO.strategies[0].name, seed=5)


async def test_a_seed_sets_every_memberships_orbit_and_love_from_its_stored_score(
    db: Database,
) -> None:
    await seed_simulated(db, SPEC)
    membership, score = table_of(Membership), table_of(MembershipScore)
    async with db.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(
                    membership.c.orbit_level, membership.c.love, score.c.presence,
                    score.c.commitment,
                ).join(score, score.c.membership_id == membership.c.id)
            )
        ).all()  # fmt: skip
    assert rows
    assert {level for level, *_ in rows} - {4}, "some memberships earn an orbit above 4"
    for level, love, presence, commitment in rows:
        assert level == level_for(presence + commitment)
        assert love == love_score(presence + commitment)


async def test_a_seeds_day_bitmaps_hold_exactly_its_member_days(db: Database) -> None:
    await seed_simulated(db, SPEC)
    activity, bitmaps = table_of(MemberActivityDay), table_of(ActiveMembersDay)
    async with db.engine.connect() as connection:
        member_days = (
            await connection.execute(
                select(activity.c.community_id, activity.c.day, activity.c.member_id)
            )
        ).all()
        packed = (
            await connection.execute(
                select(bitmaps.c.community_id, bitmaps.c.day, bitmaps.c.members)
            )
        ).all()
    expected: defaultdict[tuple[int, object], set[int]] = defaultdict(set)
    for community_id, on, member_id in member_days:
        expected[(community_id, on)].add(member_id)
    assert expected
    assert {(c, d): set(unpack(blob)) for c, d, blob in packed} == expected


ROW_COUNTERS = (
    "posts", "replies", "voices", "positive_voices", "negative_voices", "questions", "joins",
    "churns", "audience_delta",
)  # fmt: skip


async def _counted_row_by_row(db: Database) -> dict[tuple[int, object], dict[str, float]]:
    """The content and membership counters of every community day, one row at a time through
    `content_counts` and `membership_counts` (what the rebuild counts in SQL groups)."""
    content, membership = table_of(Content), table_of(Membership)
    tally = Tally()
    async with db.engine.connect() as connection:
        for row in (await connection.execute(select(content))).mappings():
            piece = SimpleNamespace(**row)
            if counts := content_counts(piece):
                tally.add(
                    (piece.organization_id, piece.community_id, day_of(piece.published_at)), counts
                )
        for row in (await connection.execute(select(membership))).mappings():
            held = SimpleNamespace(**row)
            for on, counts in membership_counts(held):
                tally.add((held.organization_id, held.community_id, on), counts)
    return {
        (row["community_id"], row["day"]): {name: row[name] for name in ROW_COUNTERS}
        for row in tally.rows()
    }


async def test_a_seeds_content_and_membership_counters_equal_counting_row_by_row(
    db: Database,
) -> None:
    await seed_simulated(db, SPEC)
    daily = table_of(CommunityDaily)
    async with db.engine.connect() as connection:
        stored = (await connection.execute(select(daily))).mappings().all()
    found = {
        (row["community_id"], row["day"]): {name: row[name] for name in ROW_COUNTERS}
        for row in stored
        if any(row[name] for name in ROW_COUNTERS)
    }
    expected = await _counted_row_by_row(db)
    # The seed holds every case the grouping must keep apart.
    for name in ("replies", "positive_voices", "negative_voices", "questions", "churns"):
        assert any(counts[name] for counts in expected.values()), name
    assert found == {key: counts for key, counts in expected.items() if any(counts.values())}


async def test_a_seeds_reach_is_the_pagerank_of_its_follow_rows(db: Database) -> None:
    await seed_simulated(db, SPEC)
    member, follow = table_of(Member), table_of(Follow)
    influence = table_of(MembershipInfluence)
    async with db.engine.connect() as connection:
        ids = sorted((await connection.scalars(select(member.c.id))).all())
        edges = (await connection.execute(select(follow.c.follower_id, follow.c.followee_id))).all()
        stored = (await connection.execute(select(influence.c.member_id, influence.c.reach))).all()
    position = {member_id: at for at, member_id in enumerate(ids)}
    ranks = pagerank(
        len(ids), [position[a] for a, _ in edges], [position[b] for _, b in edges]
    ) * len(ids)
    assert edges
    assert stored
    for member_id, reach in stored:
        assert reach == pytest.approx(float(ranks[position[member_id]]), rel=1e-9)
