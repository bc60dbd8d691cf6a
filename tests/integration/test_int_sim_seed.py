"""Seeding from a simulation on real databases: consistent rows whose counts are the run's own."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import numpy as np
import pytest
from sqlalchemy import func, select, text

from domain.db import Database
from domain.demo import CommunityRows
from domain.entities import Content, Engagement, Follow, Member, Membership
from domain.errors import Conflict
from simulator.result import RunResult
from simulator.scenario import builtin_scenario
from simulator.seeding import SimulatedSeed, community_rows, seed_simulated, simulate_community

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SCENARIO = builtin_scenario("crisis-response").resized(members=300, days=40)
SPEC = SimulatedSeed(scenario=SCENARIO, strategy=SCENARIO.strategies[0].name, seed=5)


@cache
def _run() -> RunResult:
    return simulate_community(SPEC)


def _rows(seed: int = 5) -> CommunityRows:
    return community_rows(_run(), SCENARIO, seed=seed, now=NOW, communities=SPEC.communities)


def _simulated_engagements(result: RunResult) -> int:
    daily = result.daily
    actions = daily["likes"].sum() + daily["comments"].sum() + daily["shares"].sum()
    return int(actions + daily["conversions"].sum())


def test_the_same_seed_maps_to_the_same_rows_and_another_seed_to_other_profiles() -> None:
    first, again, other = _rows(), _rows(), _rows(seed=6)
    assert first == again
    assert [m["handle"] for m in first.members] != [m["handle"] for m in other.members]


def test_the_rows_carry_the_simulations_totals() -> None:
    result, rows = _run(), _rows()
    assert result.population is not None
    assert result.events is not None
    assert len(rows.members) == int(result.population.joined.sum())
    assert len(rows.engagements) == _simulated_engagements(result)
    complaints = int(result.daily["complaints"].sum())
    posts = int(result.daily["brand_posts"].sum() + result.daily["member_posts"].sum())
    comments = int(result.daily["comments"].sum())
    answers = sum(1 for c in rows.contents if c["parent_id"] is not None and c["author_id"] is None)
    assert len(rows.contents) == posts + comments + complaints + answers
    assert complaints > 0
    assert answers > 0


def test_threads_are_ordered_and_in_one_community_with_replies_after_their_post() -> None:
    rows = _rows()
    kinds = {c["kind"] for c in rows.contents}
    assert {"question", "post", "announcement"} <= kinds
    for index, content in enumerate(rows.contents):
        parent = content["parent_id"]
        assert content["created_at"] <= NOW.replace(tzinfo=None)
        if parent is not None:
            assert parent < index
            assert rows.contents[parent]["community_id"] == content["community_id"]
            assert rows.contents[parent]["created_at"] <= content["created_at"]
    for engagement in rows.engagements:
        assert engagement["occurred_at"] >= rows.contents[engagement["content_id"]]["created_at"]


async def _count(db: Database, entity: type, organization_id: int) -> int:
    async with db.session() as session:
        column = entity.organization_id  # type: ignore[attr-defined]
        stmt = select(func.count()).select_from(entity).where(column == organization_id)
        return int(await session.scalar(stmt) or 0)


async def test_seeding_writes_consistent_rows_with_the_simulations_counts(db: Database) -> None:
    report = await seed_simulated(db, SPEC, now=NOW)
    org = report.organization_id
    result = _run()
    assert await _count(db, Engagement, org) == _simulated_engagements(result)
    assert await _count(db, Member, org) == report.counts["members"]
    assert await _count(db, Follow, org) == report.counts["follows"]
    assert await _count(db, Content, org) == report.counts["contents"]
    assert await _count(db, Membership, org) == report.counts["memberships"]
    async with db.session() as session:
        orphans = await session.scalar(
            text(
                "SELECT count(*) FROM engagement e WHERE e.organization_id = :org AND NOT EXISTS"
                " (SELECT 1 FROM membership m WHERE m.community_id = e.community_id"
                " AND m.member_id = e.member_id)"
            ),
            {"org": org},
        )
        authors = await session.scalar(
            text(
                "SELECT count(*) FROM content c WHERE c.organization_id = :org"
                " AND c.author_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM membership m"
                " WHERE m.community_id = c.community_id AND m.member_id = c.author_id)"
            ),
            {"org": org},
        )
        followers = await session.scalar(
            select(func.sum(Member.followers_count)).where(Member.organization_id == org)
        )
    assert orphans == 0
    assert authors == 0
    assert followers == report.counts["follows"]


async def test_the_same_seed_writes_the_same_rows_again(db: Database) -> None:
    async def snapshot() -> list[tuple[object, ...]]:
        async with db.session() as session:
            rows = await session.execute(
                text(
                    "SELECT m.handle, e.kind, e.occurred_at FROM engagement e"
                    " JOIN member m ON m.id = e.member_id ORDER BY e.id"
                )
            )
            return [tuple(row) for row in rows]

    await seed_simulated(db, SPEC, now=NOW)
    first = await snapshot()
    with pytest.raises(Conflict):
        await seed_simulated(db, SPEC, now=NOW)
    await seed_simulated(db, SPEC, now=NOW, reset=True)
    assert await snapshot() == first
    assert len(first) == _simulated_engagements(_run())


def test_membership_love_and_trust_are_the_final_populations() -> None:
    result, rows = _run(), _rows()
    assert result.population is not None
    joined = np.nonzero(result.population.joined)[0]
    for membership in rows.memberships[:50]:
        row = joined[membership["member_id"]]
        assert membership["love"] == pytest.approx(float(result.population.love[row]), abs=1e-4)
        assert membership["trust"] == pytest.approx(float(result.population.trust[row]), abs=1e-4)
