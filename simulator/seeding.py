"""Seeding the API from a simulation: one run's final population and events as domain rows.

`simulate_community` runs a scenario's strategy with events recorded and the population kept;
`community_rows` maps that run onto `domain.demo.CommunityRows`, which the domain's bulk writer
(`domain.demo.write_community`) inserts. The simulated horizon ends at `now`: day d of the run
is the d-th day of the `days` before it.

The mapping (every count is the simulation's own, nothing is invented in bulk):
- topics are the scenario's topics; each topic has a home community (round robin);
- members are the rows that ever joined, with Faker profiles; interests are their final
  interests (top three topics); follows are the final follow graph among them;
- content is every simulated post: the brand's posts (no author; announcements or articles),
  members' posts (questions or posts), comments as replies in their thread (answers under
  questions), plus each complaint as a post with the brand's answer as a reply when it was
  answered, after the simulated delay;
- engagements are the simulated likes, comments and shares, and conversions as clicks;
- memberships join each member to the home community of their main interest and to every
  community they posted or engaged in, with the final love and trust, a state (churned in the
  run, lapsed when silent for 30 days, else active) and an orbit from their activity rank.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
from faker import Faker

from domain.bulk import WriteMethod
from domain.db import Database
from domain.demo import (
    COMMUNITY_TEMPLATES,
    CommunityRows,
    ProgressCallback,
    Row,
    SeedReport,
    TextPool,
    profile_rows,
    seed_organization,
)
from domain.enums import EngagementKind, MembershipRole, MembershipState
from simulator.engine import run
from simulator.result import Events, FinalPopulation, RunResult
from simulator.scenario import Scenario
from simulator.seed_content import ContentMaker, Timeline

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
DAY = 86_400.0
LAPSED_AFTER_DAYS = 30
INTERESTS_KEPT = 3
ENGAGEMENT_CODES = {1: EngagementKind.LIKE, 2: EngagementKind.COMMENT, 3: EngagementKind.SHARE}


@dataclass(frozen=True)
class SimulatedSeed:
    """Which simulation to seed from, and how the result is laid out as communities."""

    scenario: Scenario
    strategy: str
    seed: int = 42
    communities: int = 3


def simulate_community(
    spec: SimulatedSeed, on_day: Callable[[int], None] | None = None
) -> RunResult:
    """One run of the chosen strategy, with every event recorded and the population kept."""
    return run(
        spec.scenario,
        spec.strategy,
        spec.seed,
        record_events=True,
        keep_population=True,
        on_day=on_day,
    )


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "topic"


def _topics(scenario: Scenario, start: datetime) -> list[Row]:
    return [
        {
            "slug": _slug(topic.name)[:64],
            "name": topic.name.replace("-", " ").capitalize(),
            "keywords": [part for part in re.split(r"[^a-z0-9]+", topic.name.lower()) if part],
            "strategic": topic.advantage > 0,
            "advantage": float(topic.advantage),
            "created_at": start - timedelta(days=365),
        }
        for topic in scenario.topics
    ]


def _communities(count: int, fake: Faker, start: datetime) -> list[Row]:
    rows = []
    for index in range(count):
        name, platform, visibility = COMMUNITY_TEMPLATES[index % len(COMMUNITY_TEMPLATES)]
        round_ = index // len(COMMUNITY_TEMPLATES)
        created = start - timedelta(days=400 - index)
        rows.append(
            {
                "name": name if round_ == 0 else f"{name} {round_ + 1}",
                "description": fake.catch_phrase(),
                "platform": platform.value,
                "visibility": visibility.value,
                "archived_at": None,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
    return rows


@dataclass
class _People:
    """Joined population rows, renumbered 0..n-1 in row order."""

    rows: I64
    index: I64
    """Population row -> member index (-1 for rows that never joined)."""
    joined_at: F64
    """Seconds from the start of the horizon (negative for the initial community)."""


def _people(population: FinalPopulation, rng: np.random.Generator) -> _People:
    rows = np.nonzero(population.joined)[0].astype(np.int64)
    index = np.full(population.joined.size, -1, dtype=np.int64)
    index[rows] = np.arange(rows.size)
    day = population.join_day[rows].astype(np.float64)
    # Day-0 members were there before the horizon: they joined some time in the past year.
    before = -rng.uniform(1.0, 365.0, rows.size) * DAY
    joined_at = np.where(day > 0, day * DAY, before)
    return _People(rows, index, joined_at)


def _interest_rows(population: FinalPopulation, people: _People) -> list[Row]:
    interests = population.interests[people.rows].astype(np.float64)
    top = np.argsort(-interests, axis=1)[:, :INTERESTS_KEPT]
    weights = np.take_along_axis(interests, top, axis=1)
    # Rounded down so that a member's stored weights never add up to more than 1.
    weights = np.floor(weights / np.maximum(interests.sum(axis=1, keepdims=True), 1e-12) * 1e4)
    member, rank = np.nonzero(weights > 0)
    topic, weight = top[member, rank], weights[member, rank] / 1e4
    return [
        {"member_id": m, "topic_id": t, "weight": w}
        for m, t, w in zip(member.tolist(), topic.tolist(), weight.tolist(), strict=True)
    ]


def _follow_rows(
    population: FinalPopulation,
    people: _People,
    members: list[Row],
    timeline: Timeline,
    rng: np.random.Generator,
) -> list[Row]:
    edges = population.follow_edges.astype(np.int64)
    follower, followee = people.index[edges[:, 0]], people.index[edges[:, 1]]
    keep = (follower >= 0) & (followee >= 0) & (follower != followee)
    follower, followee = follower[keep], followee[keep]
    since = np.maximum(people.joined_at[follower], people.joined_at[followee])
    at = since + rng.random(follower.size) * (timeline.end - since) * 0.5
    created = timeline.datetimes(at)
    following = np.bincount(follower, minlength=len(members)).tolist()
    followed = np.bincount(followee, minlength=len(members)).tolist()
    for index, row in enumerate(members):
        row["following_count"] = following[index]
        row["followers_count"] = followed[index]
    return [
        {"follower_id": a, "followee_id": b, "created_at": c}
        for a, b, c in zip(follower.tolist(), followee.tolist(), created, strict=True)
    ]


def _engagement_rows(
    events: Events, people: _People, maker: ContentMaker, timeline: Timeline
) -> list[Row]:
    rng = maker.rng
    kinds = [ENGAGEMENT_CODES[int(code)].value for code in events.engagement_kind.tolist()]
    kinds += [EngagementKind.CLICK.value] * events.conversion_member.size
    member = people.index[np.concatenate((events.engagement_member, events.conversion_member))]
    post = np.concatenate((events.engagement_post, events.conversion_post)).astype(np.int64)
    day = np.concatenate((events.engagement_day, events.conversion_day)).astype(np.float64)
    # After the post itself, within the day the simulation saw it happen.
    after = np.maximum(day * DAY, maker.post_seconds[post])
    seconds = after + rng.random(post.size) * (day * DAY + DAY - after)
    occurred = timeline.datetimes(seconds)
    content = maker.post_row[post]
    community = maker.community_of_row[content]
    maker.touch(member, community, day)
    return [
        {
            "community_id": c,
            "content_id": x,
            "member_id": m,
            "kind": k,
            "occurred_at": t,
            "created_at": t,
        }
        for c, x, m, k, t in zip(
            community.tolist(), content.tolist(), member.tolist(), kinds, occurred, strict=True
        )
    ]


def _orbits(activity: F64) -> npt.NDArray[np.int64]:
    rank = np.argsort(np.argsort(activity, kind="stable"), kind="stable") / max(
        activity.size - 1, 1
    )
    # Orbit 1 holds the most engaged few (ambassadors), orbit 4 the many who only watch.
    orbit: npt.NDArray[np.int64] = np.select([rank > 0.98, rank > 0.88, rank > 0.6], [1, 2, 3], 4)
    return orbit


def _membership_rows(
    population: FinalPopulation, people: _People, maker: ContentMaker, timeline: Timeline
) -> list[Row]:
    pairs = np.unique(maker.touched_pairs())
    communities = maker.communities
    member, community = pairs // communities, pairs % communities
    last = maker.last_active_day()
    rows = people.rows[member]
    churned = population.churned[rows]
    silent = last[member] < timeline.days - LAPSED_AFTER_DAYS
    old = people.joined_at[member] < (timeline.days - LAPSED_AFTER_DAYS) * DAY
    state = np.where(churned, 2, np.where(silent & old, 1, 0))
    states = (MembershipState.ACTIVE, MembershipState.LAPSED, MembershipState.CHURNED)
    activity = maker.activity()
    orbit = _orbits(activity[member])
    roles = [MembershipRole.MEMBER.value] * pairs.size
    for index in range(communities):
        # The most active member of each community manages it (one per community).
        here = np.nonzero(community == index)[0]
        if here.size:
            roles[int(here[np.argmax(activity[member[here]])])] = (
                MembershipRole.COMMUNITY_MANAGER.value
            )
    joined = timeline.datetimes(people.joined_at[member])
    return [
        {
            "community_id": c,
            "member_id": m,
            "role": role,
            "state": states[s].value,
            "love": lv,
            "trust": tr,
            "orbit_level": ob,
            "joined_at": j,
            "updated_at": j,
            "version": 1,
        }
        for c, m, role, s, lv, tr, ob, j in zip(
            community.tolist(),
            member.tolist(),
            roles,
            state.tolist(),
            np.round(population.love[rows].astype(np.float64), 4).tolist(),
            np.round(population.trust[rows].astype(np.float64), 4).tolist(),
            orbit.tolist(),
            joined,
            strict=True,
        )
    ]


def community_rows(
    result: RunResult,
    scenario: Scenario,
    *,
    seed: int,
    now: datetime,
    communities: int = 3,
) -> CommunityRows:
    """The rows of an organization whose community lived through `result` (see module doc)."""
    if result.population is None or result.events is None:
        raise ValueError("seeding needs a run with keep_population and record_events")
    population, events = result.population, result.events
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    text = TextPool.drawn(fake)
    timeline = Timeline(now.astimezone(UTC).replace(tzinfo=None), result.days)
    rows = CommunityRows()
    rows.topics = _topics(scenario, timeline.start)
    rows.communities = _communities(communities, fake, timeline.start)
    people = _people(population, rng)
    rows.members = profile_rows(rng, text, timeline.datetimes(people.joined_at))
    rows.member_interests = _interest_rows(population, people)
    rows.follows = _follow_rows(population, people, rows.members, timeline, rng)
    home = population.interests[people.rows].argmax(axis=1)
    maker = ContentMaker(rng, text, scenario, timeline, communities, people.index, home)
    rows.contents, rows.content_topics = maker.contents(events)
    rows.engagements = _engagement_rows(events, people, maker, timeline)
    rows.memberships = _membership_rows(population, people, maker, timeline)
    return rows


async def seed_simulated(
    database: Database,
    spec: SimulatedSeed,
    *,
    slug: str = "demo",
    reset: bool = False,
    now: datetime | None = None,
    on_progress: ProgressCallback | None = None,
    method: WriteMethod = "bulk",
) -> SeedReport:
    """Simulate, map and write the organization `slug` in one transaction (all or nothing)."""
    progress = on_progress or (lambda _step, _done, _total: None)
    now = now or datetime.now(UTC)
    days = spec.scenario.days

    def generate() -> CommunityRows:
        progress("simulate", 0, days)
        result = simulate_community(spec, lambda day: progress("simulate", day + 1, days))
        progress("map", 0, 1)
        rows = community_rows(
            result, spec.scenario, seed=spec.seed, now=now, communities=spec.communities
        )
        progress("map", 1, 1)
        return rows

    name = f"{spec.scenario.name} / {spec.strategy} (simulated)"
    return await seed_organization(
        database,
        slug,
        name,
        generate,
        reset=reset,
        now=now,
        on_progress=on_progress,
        method=method,
    )
