"""What a bulk seed derives from its rows (domain/demo.py): orbits and love, set for a whole
community at once (one UPDATE from arrays on PostgreSQL), agree with the scores it stored, and
the day bitmaps hold exactly the member-day rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from domain.db import Database
from domain.entities import Membership
from domain.orbit import level_for, love_score
from domain.rollups.bitmaps import unpack
from domain.rollups.daily import table_of
from domain.rollups.tables import ActiveMembersDay, MemberActivityDay, MembershipScore
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
