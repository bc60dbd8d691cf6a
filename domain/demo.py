"""The demo community: deterministic synthetic rows (Faker and NumPy) and a bulk writer for them.

Two halves that meet at plain rows:
- `generate_demo` draws an organization's topics, communities, members, interests, follows,
  memberships, threads and engagement from one seed. Rows are dicts shaped like their tables,
  except that references (`member_id`, `community_id`, ...) hold *indexes* into the lists the
  rows point at, because nothing has an id before it is written.
- `write_community` turns those indexes into ids while it inserts, in batches through
  `domain.bulk` (COPY on PostgreSQL, driver executemany on SQLite) on one connection, so the
  caller owns the transaction. `seed_organization` wraps it for any generator of rows: the
  simulator's seed (`simulator/seeding.py`) passes rows drawn from a simulated community.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from faker import Faker
from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.bulk import (
    Columns,
    WriteMethod,
    build_deferred_indexes,
    bulk_mode,
    columns_of,
    insert_rows,
    refresh_statistics,
)
from domain.db import Database
from domain.entities import (
    ApiKey,
    Community,
    Content,
    ContentTopic,
    Engagement,
    Follow,
    Member,
    MemberInterest,
    Membership,
    Organization,
    Topic,
)
from domain.enums import (
    ContentKind,
    ContentStatus,
    EngagementKind,
    MembershipRole,
    MembershipState,
    Platform,
    Visibility,
)
from domain.errors import Conflict
from domain.influence import recompute as recompute_influence
from domain.metrics import engagement_weight
from domain.orbit import reevaluate
from domain.rollups.rebuild import rebuild_communities
from domain.rollups.tables import ROLLUP_TABLES
from domain.rollups.weights import UNTAGGED_MATCH
from domain.timeutil import utcnow
from domain.validation import SLUG_PATTERN, Problems

Row = dict[str, Any]
ProgressCallback = Callable[[str, int, int], None]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

BATCH_SIZE = 20_000
HISTORY_DAYS = 90
MAX_HANDLE = 64


@dataclass(frozen=True)
class DemoSpec:
    """How big the demo is and which seed draws it; the same spec gives the same rows."""

    seed: int = 42
    members: int = 300
    communities: int = 8
    organization_slug: str = "demo"
    organization_name: str = "Northwind Outdoor (demo)"


@dataclass
class CommunityRows:
    """Plain rows of one organization; references are indexes into the earlier lists.

    `contents` must list every parent before its replies.
    """

    topics: list[Row] = field(default_factory=list)
    communities: list[Row] = field(default_factory=list)
    members: list[Row] = field(default_factory=list)
    member_interests: list[Row] = field(default_factory=list)
    memberships: list[Row] = field(default_factory=list)
    follows: list[Row] = field(default_factory=list)
    contents: list[Row] = field(default_factory=list)
    content_topics: list[Row] = field(default_factory=list)
    engagements: list[Row] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class SeedReport:
    """What a seed wrote and how long it took."""

    organization_id: int
    counts: dict[str, int]
    generate_seconds: float
    write_seconds: float

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

# (slug, name, keywords, strategic advantage or None): the vocabulary of an outdoor-gear brand.
TOPIC_VOCABULARY: tuple[tuple[str, str, tuple[str, ...], float | None], ...] = (
    ("pricing", "Pricing and deals", ("price", "discount", "sale", "coupon"), None),
    ("shipping", "Shipping and returns", ("delivery", "shipping", "return", "refund"), None),
    ("product-quality", "Product quality", ("durable", "broke", "warranty", "seams"), None),
    ("sustainability", "Sustainability", ("recycled", "repair", "carbon", "circular"), 0.9),
    ("repair-care", "Repair and care", ("repair", "wash", "patch", "reproof"), 0.8),
    ("trail-advice", "Trail advice", ("trail", "route", "hike", "elevation"), 0.6),
    ("sizing-fit", "Sizing and fit", ("size", "fit", "length", "chart"), None),
    ("app-and-gps", "App and GPS", ("app", "gps", "sync", "map"), 0.4),
    ("events", "Events and meetups", ("meetup", "event", "workshop", "race"), None),
    ("customer-support", "Customer support", ("support", "ticket", "agent", "wait"), None),
    ("feature-requests", "Feature requests", ("wish", "request", "idea", "roadmap"), None),
    ("gear-reviews", "Gear reviews", ("review", "tested", "rating", "compare"), None),
)

# (name, platform, visibility): cycled, and numbered when more communities are asked for.
COMMUNITY_TEMPLATES: tuple[tuple[str, Platform, Visibility], ...] = (
    ("Trailhead Forum", Platform.FORUM, Visibility.PUBLIC),
    ("Northwind Journal", Platform.BLOG, Visibility.PUBLIC),
    ("Summit Insiders", Platform.PRIVATE_NETWORK, Visibility.PRIVATE),
    ("@northwind", Platform.MICROBLOG, Visibility.PUBLIC),
    ("Campfire Chat", Platform.CHAT, Visibility.PUBLIC),
    ("Northwind Adventurers", Platform.SOCIAL_NETWORK, Visibility.PUBLIC),
    ("Route Collection", Platform.BOOKMARKING, Visibility.PUBLIC),
    ("Repair Crew", Platform.FORUM, Visibility.PRIVATE),
)

TOP_LEVEL_KINDS = (
    ContentKind.POST,
    ContentKind.QUESTION,
    ContentKind.ARTICLE,
    ContentKind.ANNOUNCEMENT,
)
TOP_LEVEL_SHARES = (0.55, 0.25, 0.12, 0.08)
# Passive actions dominate real engagement; comments come from the replies themselves.
ENGAGEMENT_KINDS = (
    EngagementKind.VIEW,
    EngagementKind.LIKE,
    EngagementKind.CLICK,
    EngagementKind.SHARE,
)
ENGAGEMENT_SHARES = (0.62, 0.24, 0.08, 0.06)
ROLES = (
    MembershipRole.MEMBER,
    MembershipRole.MODERATOR,
    MembershipRole.SUBJECT_MATTER_EXPERT,
    MembershipRole.EMPLOYEE,
)
ROLE_SHARES = (0.94, 0.03, 0.02, 0.01)
STATES = (MembershipState.ACTIVE, MembershipState.LAPSED, MembershipState.CHURNED)

POSTS_PER_MEMBER = 0.4
ENGAGEMENTS_PER_MEMBER = 5.0
POOL = 600


@dataclass
class TextPool:
    """Pools of Faker text drawn once; rows combine them, since Faker per row is too slow."""

    first_names: list[str]
    last_names: list[str]
    jobs: list[str]
    phrases: list[str]
    places: list[str]
    sentences: list[str]
    titles: list[str]

    @classmethod
    def drawn(cls, fake: Faker) -> TextPool:
        return cls(
            first_names=_distinct(fake.first_name() for _ in range(POOL)),
            last_names=_distinct(fake.last_name() for _ in range(POOL)),
            jobs=[fake.job() for _ in range(POOL)],
            phrases=[fake.catch_phrase() for _ in range(POOL)],
            places=[f"{fake.city()}, {fake.country()}" for _ in range(POOL)],
            sentences=[fake.sentence(nb_words=12) for _ in range(POOL * 4)],
            titles=[fake.sentence(nb_words=6).rstrip(".") for _ in range(POOL)],
        )


def _distinct(values: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _ascii_handle(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]", "", plain).lower()


def datetimes_before(now: datetime, seconds_ago: F64) -> list[datetime]:
    """`now` minus each offset, as naive UTC datetimes (the UTC column type reads them so)."""
    base = np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "us")
    offsets = np.round(seconds_ago * 1e6).astype("timedelta64[us]")
    stamps: list[datetime] = (base - offsets).tolist()
    return stamps


def _gumbel_top(rng: np.random.Generator, weights: F64, rows: int) -> I64:
    """For each of `rows`, the columns ordered as a weighted draw without replacement."""
    keys = np.log(weights)[None, :] + rng.gumbel(size=(rows, weights.size))
    order: I64 = np.argsort(-keys, axis=1)
    return order


def _generate_topics(now: datetime) -> list[Row]:
    created = now - timedelta(days=720)
    return [
        {
            "slug": slug,
            "name": name,
            "keywords": list(keywords),
            "strategic": advantage is not None,
            "advantage": advantage or 0.0,
            "created_at": created,
        }
        for slug, name, keywords, advantage in TOPIC_VOCABULARY
    ]


def _generate_communities(count: int, fake: Faker, now: datetime) -> list[Row]:
    rows = []
    for index in range(count):
        name, platform, visibility = COMMUNITY_TEMPLATES[index % len(COMMUNITY_TEMPLATES)]
        round_ = index // len(COMMUNITY_TEMPLATES)
        created = now - timedelta(days=700 - index)
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


def unique_handles(rng: np.random.Generator, text: TextPool, firsts: I64, lasts: I64) -> list[str]:
    styles = rng.integers(0, 4, size=firsts.size)
    taken: set[str] = set()
    handles = []
    for first_index, last_index, style in zip(
        firsts.tolist(), lasts.tolist(), styles.tolist(), strict=True
    ):
        first = _ascii_handle(text.first_names[first_index]) or "member"
        last = _ascii_handle(text.last_names[last_index]) or "x"
        base = (f"{first}.{last}", f"{first}{last}", f"{first}_{last}", f"{first[0]}{last}")[style][
            : MAX_HANDLE - 8
        ]
        handle, suffix = base, 1
        while handle in taken:
            suffix += 1
            handle = f"{base}{suffix}"
        taken.add(handle)
        handles.append(handle)
    return handles


@dataclass
class _People:
    """The member arrays the later tables draw from."""

    activity: F64
    created_ago: F64
    interests: F64


def profile_rows(rng: np.random.Generator, text: TextPool, created: list[datetime]) -> list[Row]:
    """Member rows with Faker names, unique handles, bios and places, created at `created`."""
    count = len(created)
    firsts = rng.integers(0, len(text.first_names), size=count)
    lasts = rng.integers(0, len(text.last_names), size=count)
    handles = unique_handles(rng, text, firsts, lasts)
    jobs = rng.integers(0, len(text.jobs), size=count).tolist()
    phrases = rng.integers(0, len(text.phrases), size=count).tolist()
    places = rng.integers(0, len(text.places), size=count).tolist()
    has_bio = (rng.random(count) < 0.8).tolist()
    has_place = (rng.random(count) < 0.9).tolist()
    rows = []
    for i in range(count):
        rows.append(
            {
                "handle": handles[i],
                "display_name": f"{text.first_names[firsts[i]]} {text.last_names[lasts[i]]}",
                "bio": f"{text.jobs[jobs[i]]}. {text.phrases[phrases[i]]}." if has_bio[i] else "",
                "location": text.places[places[i]] if has_place[i] else "",
                "followers_count": 0,
                "following_count": 0,
                "created_at": created[i],
                "updated_at": created[i],
                "version": 1,
            }
        )
    return rows


def _generate_members(
    rng: np.random.Generator, text: TextPool, count: int, now: datetime
) -> tuple[list[Row], _People]:
    # Few members do most of the talking: activity is log-normal.
    activity = rng.lognormal(0.0, 1.2, size=count)
    created_ago = rng.uniform(HISTORY_DAYS + 30, 720, size=count) * 86_400.0
    rows = profile_rows(rng, text, datetimes_before(now, created_ago))
    interests = _draw_interests(rng, count, len(TOPIC_VOCABULARY))
    return rows, _People(activity, created_ago, interests)


def _draw_interests(rng: np.random.Generator, count: int, topics: int) -> F64:
    """Sparse interests: a Dirichlet draw, its top 1-4 topics kept, summing to at most 1."""
    raw = rng.dirichlet(np.full(topics, 0.4), size=count)
    keep = rng.integers(1, 5, size=count)
    ranks = np.argsort(np.argsort(-raw, axis=1), axis=1)
    kept = np.where(ranks < keep[:, None], raw, 0.0)
    share = rng.uniform(0.6, 1.0, size=count)
    weights = kept / kept.sum(axis=1, keepdims=True) * share[:, None]
    # Rounded down, so the stored weights never add up to more than 1.
    rounded: F64 = np.floor(weights * 10_000) / 10_000
    return rounded


def _interest_rows(interests: F64) -> list[Row]:
    members, topics = np.nonzero(interests)
    weights = interests[members, topics]
    return [
        {"member_id": m, "topic_id": t, "weight": w}
        for m, t, w in zip(members.tolist(), topics.tolist(), weights.tolist(), strict=True)
        if w > 0
    ]


def _generate_follows(
    rng: np.random.Generator, people: _People, members: list[Row], now: datetime
) -> list[Row]:
    """A heavy-tailed graph: out-degrees from a Pareto law, followees chosen by popularity."""
    count = len(members)
    if count < 2:
        return []
    out_degree = np.minimum((rng.pareto(1.5, size=count) + 1.0) * 2.0, min(count - 1, 2_000))
    degrees = out_degree.astype(np.int64)
    popularity = people.activity**1.2 * (rng.pareto(1.2, size=count) + 1.0)
    followers = np.repeat(np.arange(count), degrees)
    followees = rng.choice(count, size=followers.size, p=popularity / popularity.sum())
    pairs = np.unique(followers * count + followees)
    followers, followees = pairs // count, pairs % count
    distinct = followers != followees
    followers, followees = followers[distinct], followees[distinct]
    newest = np.minimum(people.created_ago[followers], people.created_ago[followees])
    created = datetimes_before(now, newest * rng.random(followers.size))
    following = np.bincount(followers, minlength=count).tolist()
    followed = np.bincount(followees, minlength=count).tolist()
    for index, row in enumerate(members):
        row["following_count"] = following[index]
        row["followers_count"] = followed[index]
    return [
        {"follower_id": a, "followee_id": b, "created_at": c}
        for a, b, c in zip(followers.tolist(), followees.tolist(), created, strict=True)
    ]


@dataclass
class _Joined:
    """Memberships as arrays, sorted by community, for drawing authors of each community."""

    community: I64
    member: I64
    starts: I64
    sizes: I64
    joined_ago: F64
    active: npt.NDArray[np.bool_]


def _generate_memberships(
    rng: np.random.Generator, people: _People, communities: int, now: datetime
) -> tuple[list[Row], _Joined]:
    count = people.activity.size
    popularity: F64 = 1.0 / np.arange(1, communities + 1, dtype=np.float64) ** 0.8
    rng.shuffle(popularity)
    how_many = 1 + rng.binomial(min(communities - 1, 3), 0.35, size=count)
    order = _gumbel_top(rng, popularity, count)
    member = np.repeat(np.arange(count), how_many)
    rank = np.arange(member.size) - np.repeat(np.cumsum(how_many) - how_many, how_many)
    community = order[member, rank]
    by_community = np.lexsort((member, community))
    member, community = member[by_community], community[by_community]
    size = member.size
    joined_ago = people.created_ago[member] * rng.uniform(0.0, 1.0, size=size)
    joined = datetimes_before(now, joined_ago)
    roles = rng.choice(len(ROLES), size=size, p=ROLE_SHARES)
    role_values = [ROLES[r].value for r in roles.tolist()]
    sizes = np.bincount(community, minlength=communities)
    starts = np.cumsum(sizes) - sizes
    for community_index in np.nonzero(sizes)[0].tolist():
        # Each community has one community manager, and it is one of its members.
        pick = starts[community_index] + rng.integers(0, sizes[community_index])
        role_values[int(pick)] = MembershipRole.COMMUNITY_MANAGER.value
    engaged = np.argsort(np.argsort(people.activity[member])) / max(size - 1, 1)
    state_draw = rng.random(size)
    lapsed_share = 0.35 - 0.3 * engaged
    states = np.where(state_draw < lapsed_share * 0.3, 2, np.where(state_draw < lapsed_share, 1, 0))
    love = np.clip(rng.beta(2.0, 5.0, size=size) + 0.4 * engaged, 0.0, 1.0)
    trust = rng.beta(5.0, 3.0, size=size)
    # Orbit 1 holds the most engaged few (ambassadors), orbit 4 the many who only watch.
    orbit = np.select([engaged > 0.98, engaged > 0.88, engaged > 0.6], [1, 2, 3], 4)
    rows = [
        {
            "community_id": c,
            "member_id": m,
            "role": role,
            "state": STATES[s].value,
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
            role_values,
            states.tolist(),
            love.round(4).tolist(),
            trust.round(4).tolist(),
            orbit.tolist(),
            joined,
            strict=True,
        )
    ]
    joined_arrays = _Joined(
        community=community,
        member=member,
        starts=starts,
        sizes=sizes,
        joined_ago=joined_ago,
        active=states == 0,
    )
    return rows, joined_arrays


@dataclass
class _Threads:
    community: I64
    author: I64
    created_ago: F64
    quality: F64
    parent: I64


def _sample_topics(rng: np.random.Generator, interests: F64, authors: I64) -> I64:
    weights = interests[authors] + 1e-9
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random(authors.size) * cumulative[:, -1]
    chosen: I64 = np.minimum((cumulative < draw[:, None]).sum(axis=1), interests.shape[1] - 1)
    return chosen


def sentences(
    rng: np.random.Generator, text: TextPool, low: int, high: int, count: int
) -> list[str]:
    lengths = rng.integers(low, high + 1, size=count)
    picks = rng.integers(0, len(text.sentences), size=int(lengths.sum())).tolist()
    bodies, at = [], 0
    for length in lengths.tolist():
        bodies.append(" ".join(text.sentences[i] for i in picks[at : at + length]))
        at += length
    return bodies


def _generate_content(
    rng: np.random.Generator, text: TextPool, people: _People, joined: _Joined, now: datetime
) -> tuple[list[Row], list[Row], _Threads]:
    members = people.activity.size
    posts = max(1, round(members * POSTS_PER_MEMBER))
    weight = people.activity[joined.member] * np.where(joined.active, 1.0, 0.2)
    picks = rng.choice(joined.member.size, size=posts, p=weight / weight.sum())
    post_community, post_author = joined.community[picks], joined.member[picks]
    # Posts fall in the last 90 days, but never before their author joined.
    post_ago = np.minimum(rng.uniform(0, HISTORY_DAYS * 86_400.0, posts), joined.joined_ago[picks])
    post_quality = rng.beta(4.0, 3.0, size=posts)
    post_sentiment = np.clip(rng.normal(0.15, 0.35, size=posts), -1.0, 1.0)
    post_kind = rng.choice(len(TOP_LEVEL_KINDS), size=posts, p=TOP_LEVEL_SHARES)
    post_topic = _sample_topics(rng, people.interests, post_author)
    second_topic = rng.integers(0, len(TOPIC_VOCABULARY), size=posts)
    has_second = (rng.random(posts) < 0.3) & (second_topic != post_topic)

    replies_per_post = rng.poisson(rng.gamma(0.8, 4.0 * post_quality))
    parent = np.repeat(np.arange(posts), replies_per_post)
    replies = parent.size
    reply_community = post_community[parent]
    # A reply comes from a member of the same community (any of them, uniformly).
    offsets = np.floor(rng.random(replies) * joined.sizes[reply_community]).astype(np.int64)
    reply_author = joined.member[joined.starts[reply_community] + offsets]
    delay = rng.exponential(6 * 3_600.0, size=replies)
    reply_ago = np.maximum(post_ago[parent] - delay, 0.0)
    reply_quality = rng.beta(3.0, 3.0, size=replies)
    reply_sentiment = np.clip(
        0.5 * post_sentiment[parent] + rng.normal(0.0, 0.3, replies), -1.0, 1.0
    )
    answer = post_kind[parent] == TOP_LEVEL_KINDS.index(ContentKind.QUESTION)
    reply_kind = np.where(
        answer & (rng.random(replies) < 0.7),
        2,
        np.where(rng.random(replies) < 0.5, 0, 1),
    )
    reply_kinds = (ContentKind.REPLY, ContentKind.COMMENT, ContentKind.ANSWER)

    rows: list[Row] = []
    post_bodies = sentences(rng, text, 2, 6, posts)
    titles = rng.integers(0, len(text.titles), size=posts).tolist()
    post_created = datetimes_before(now, post_ago)
    reply_count = np.bincount(parent, minlength=posts).tolist()
    for i in range(posts):
        topic = TOPIC_VOCABULARY[int(post_topic[i])]
        kind = TOP_LEVEL_KINDS[int(post_kind[i])]
        keyword = topic[2][i % len(topic[2])]
        title = f"{text.titles[titles[i]]} ({keyword})"
        if kind is ContentKind.QUESTION:
            title = f"{text.titles[titles[i]]}: any advice on {keyword}?"
        rows.append(
            content_row(
                community=int(post_community[i]),
                author=int(post_author[i]),
                parent=None,
                kind=kind,
                title=title,
                body=post_bodies[i],
                sentiment=float(post_sentiment[i]),
                quality=float(post_quality[i]),
                created=post_created[i],
                replies=reply_count[i],
            )
        )
    reply_bodies = sentences(rng, text, 1, 3, replies)
    reply_created = datetimes_before(now, reply_ago)
    for i in range(replies):
        rows.append(
            content_row(
                community=int(reply_community[i]),
                author=int(reply_author[i]),
                parent=int(parent[i]),
                kind=reply_kinds[int(reply_kind[i])],
                title="",
                body=reply_bodies[i],
                sentiment=float(reply_sentiment[i]),
                quality=float(reply_quality[i]),
                created=reply_created[i],
                replies=0,
            )
        )
    topic_rows = [{"content_id": i, "topic_id": int(post_topic[i])} for i in range(posts)]
    topic_rows += [
        {"content_id": i, "topic_id": int(second_topic[i])}
        for i in np.nonzero(has_second)[0].tolist()
    ]
    threads = _Threads(
        community=np.concatenate([post_community, reply_community]),
        author=np.concatenate([post_author, reply_author]),
        created_ago=np.concatenate([post_ago, reply_ago]),
        quality=np.concatenate([post_quality, reply_quality]),
        parent=np.concatenate([np.full(posts, -1), parent]),
    )
    return rows, topic_rows, threads


def content_row(
    *,
    community: int,
    author: int | None,
    parent: int | None,
    kind: ContentKind,
    title: str,
    body: str,
    sentiment: float,
    quality: float,
    created: datetime,
    replies: int,
) -> Row:
    return {
        "community_id": community,
        "author_id": author,
        "parent_id": parent,
        "kind": kind.value,
        "title": title[:300],
        "body": body,
        "sentiment": round(sentiment, 4),
        "quality": round(quality, 4),
        "status": ContentStatus.PUBLISHED.value,
        "published_at": created,
        "deleted_at": None,
        "reply_count": replies,
        "created_at": created,
        "updated_at": created,
        "version": 1,
    }


def _generate_engagements(
    rng: np.random.Generator, people: _People, members: list[Row], threads: _Threads, now: datetime
) -> list[Row]:
    """Views, likes, clicks and shares, more on good content by followed authors; plus a
    `comment` engagement on the parent for every reply."""
    count = threads.author.size
    followers = np.array([m["followers_count"] for m in members], dtype=np.float64)
    reach = np.sqrt(1.0 + followers[threads.author] / max(followers.mean(), 1.0))
    rate = threads.quality * reach * rng.gamma(0.7, 1.0, size=count)
    target = ENGAGEMENTS_PER_MEMBER * people.activity.size
    per_content = rng.poisson(rate / rate.sum() * target)
    content = np.repeat(np.arange(count), per_content)
    actors = people.activity / people.activity.sum()
    member = rng.choice(people.activity.size, size=content.size, p=actors)
    kind = rng.choice(len(ENGAGEMENT_KINDS), size=content.size, p=ENGAGEMENT_SHARES)
    age = threads.created_ago[content]
    occurred_ago = np.maximum(age - rng.exponential(86_400.0, size=content.size), 0.0)
    replies = np.nonzero(threads.parent >= 0)[0]
    content = np.concatenate([content, threads.parent[replies]])
    member = np.concatenate([member, threads.author[replies]])
    kind_values = [ENGAGEMENT_KINDS[k].value for k in kind.tolist()]
    kind_values += [EngagementKind.COMMENT.value] * replies.size
    occurred = datetimes_before(now, np.concatenate([occurred_ago, threads.created_ago[replies]]))
    communities = threads.community[content]
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
            communities.tolist(),
            content.tolist(),
            member.tolist(),
            kind_values,
            occurred,
            strict=True,
        )
    ]


def generate_demo(
    spec: DemoSpec, now: datetime | None = None, on_progress: ProgressCallback | None = None
) -> CommunityRows:
    """Every row of the demo organization, drawn from `spec.seed` alone (and `now`)."""
    progress = on_progress or _noop
    now = now or utcnow()
    steps = 6
    progress("generate", 0, steps)
    fake = Faker("en_US")
    fake.seed_instance(spec.seed)
    rng = np.random.default_rng(spec.seed)
    text = TextPool.drawn(fake)
    rows = CommunityRows()
    rows.topics = _generate_topics(now)
    rows.communities = _generate_communities(spec.communities, fake, now)
    progress("generate", 1, steps)
    rows.members, people = _generate_members(rng, text, spec.members, now)
    rows.member_interests = _interest_rows(people.interests)
    progress("generate", 2, steps)
    rows.follows = _generate_follows(rng, people, rows.members, now)
    progress("generate", 3, steps)
    rows.memberships, joined = _generate_memberships(rng, people, spec.communities, now)
    progress("generate", 4, steps)
    rows.contents, rows.content_topics, threads = _generate_content(rng, text, people, joined, now)
    progress("generate", 5, steps)
    rows.engagements = _generate_engagements(rng, people, rows.members, threads, now)
    progress("generate", 6, steps)
    return rows


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _table(entity: Any) -> Table:
    table: Table = entity.__table__
    return table


class _Writer:
    """Inserts plain rows table by table, remembering the ids each list received."""

    def __init__(
        self,
        connection: AsyncConnection,
        organization_id: int,
        progress: ProgressCallback,
        batch_size: int,
        method: WriteMethod,
    ) -> None:
        self.connection = connection
        self.organization_id = organization_id
        self.progress = progress
        self.batch_size = batch_size
        self.method = method

    async def lock(self) -> None:
        """Take the write lock now: on SQLite, ids read from MAX(id) then stay ours."""
        organization = _table(Organization)
        await self.connection.execute(
            organization.update()
            .where(organization.c.id == self.organization_id)
            .values(version=organization.c.version)
        )

    async def reserve_ids(self, entity: Any, count: int) -> list[int]:
        """Ids for `count` new rows, so that bulk inserts need no RETURNING round trips."""
        table = _table(entity)
        if count == 0:
            return []
        if self.connection.dialect.name == "postgresql":
            # nextval hands out distinct values even while other sessions insert.
            result = await self.connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"table": table.name, "n": count},
            )
            return [int(value) for value in result.scalars().all()]
        # SQLite has one writer at a time, and `lock` made it us.
        top = await self.connection.scalar(select(func.max(table.c.id)))
        first = int(top or 0) + 1
        return list(range(first, first + count))

    def _columns(
        self, rows: Sequence[Row], references: dict[str, list[int]], ids: Sequence[int] | None
    ) -> Columns:
        columns = columns_of(rows)
        for name, targets in references.items():
            columns[name] = [None if index is None else targets[index] for index in columns[name]]
        columns["organization_id"] = [self.organization_id] * len(rows)
        if ids is not None:
            columns["id"] = list(ids)
        return columns

    async def insert(
        self,
        step: str,
        entity: Any,
        rows: Sequence[Row],
        references: dict[str, list[int]] | None = None,
        *,
        with_ids: bool = False,
    ) -> list[int]:
        """Insert `rows` in batches; with `with_ids`, the ids given to them, in their order."""
        table = _table(entity)
        ids = await self.reserve_ids(entity, len(rows)) if with_ids else []
        references = dict(references or {})
        if entity is Content:
            _check_parents_first(rows)
            references["parent_id"] = ids
        self.progress(step, 0, len(rows))
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start : start + self.batch_size]
            batch_ids = ids[start : start + self.batch_size] if with_ids else None
            columns = self._columns(batch, references, batch_ids)
            await insert_rows(self.connection, table, columns, self.method)
            self.progress(step, start + len(batch), len(rows))
        return ids


def _check_parents_first(rows: Sequence[Row]) -> None:
    for index, row in enumerate(rows):
        parent = row.get("parent_id")
        if parent is not None and not 0 <= parent < index:
            raise ValueError(f"contents[{index}] names a parent that does not come before it")


async def _write_tables(writer: _Writer, rows: CommunityRows) -> list[int]:
    await writer.lock()
    topics = await writer.insert("topics", Topic, rows.topics, with_ids=True)
    communities = await writer.insert("communities", Community, rows.communities, with_ids=True)
    members = await writer.insert("members", Member, rows.members, with_ids=True)
    await writer.insert(
        "member_interests",
        MemberInterest,
        rows.member_interests,
        {"member_id": members, "topic_id": topics},
    )
    await writer.insert(
        "memberships",
        Membership,
        rows.memberships,
        {"community_id": communities, "member_id": members},
    )
    await writer.insert(
        "follows", Follow, rows.follows, {"follower_id": members, "followee_id": members}
    )
    contents = await writer.insert(
        "contents",
        Content,
        rows.contents,
        {"community_id": communities, "author_id": members},
        with_ids=True,
    )
    await writer.insert(
        "content_topics",
        ContentTopic,
        rows.content_topics,
        {"content_id": contents, "topic_id": topics},
    )
    _value_engagements(rows)
    await writer.insert(
        "engagements",
        Engagement,
        rows.engagements,
        {"community_id": communities, "content_id": contents, "member_id": members},
    )
    return communities


async def write_community(
    connection: AsyncConnection,
    organization_id: int,
    rows: CommunityRows,
    on_progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    method: WriteMethod = "bulk",
) -> dict[str, int]:
    """Insert every row of `rows` into `organization_id`; the caller owns the transaction.

    References in the rows are indexes into the earlier lists (see `CommunityRows`); the
    writer replaces them with the ids the database gives out. `method` picks the bulk path
    (COPY on PostgreSQL, driver executemany on SQLite) or SQLAlchemy's executemany.
    """
    writer = _Writer(connection, organization_id, on_progress or _noop, batch_size, method)
    if method == "executemany":
        communities = await _write_tables(writer, rows)
        await _derive(writer, communities)
        return rows.counts()
    async with bulk_mode(connection):
        communities = await _write_tables(writer, rows)
        # The derived steps read the loaded tables by their indexes: build those now. The
        # derived rows are written in bulk mode too (no foreign-key triggers; the activity
        # table's indexes built once at the end), as they only reference rows just written.
        # The orbit step updates every membership (a new row version in each of its indexes):
        # its secondary indexes wait for the end too; its unique keys serve the reads.
        await build_deferred_indexes(connection, later=[_table(Membership)])
        await _derive(writer, communities)
    return rows.counts()


async def _derive(writer: _Writer, communities: list[int]) -> None:
    """Recompute the rollups, love, orbits and influence of the rows just written.

    Bulk rows skip the services' incremental rollups; recompute them before the commit, and
    derive love, orbits and influence from the rows (a seed starts with no orbit history).
    Each step reports its start too, so progress (and the benchmark's phases) time it.
    """
    connection = writer.connection
    writer.progress("rollups", 0, len(communities))
    await rebuild_communities(
        connection, communities, lambda done, total: writer.progress("rollups", done, total)
    )
    writer.progress("orbits", 0, len(communities))
    for done, community_id in enumerate(communities, start=1):
        await reevaluate(connection, community_id, record=False)
        writer.progress("orbits", done, len(communities))
    writer.progress("influence", 0, 1)
    await recompute_influence(connection, writer.organization_id)
    writer.progress("influence", 1, 1)


def _value_engagements(rows: CommunityRows) -> None:
    """Give every engagement row without one its quality weight, vectorised.

    The same rule as `domain.rollups.weights` (influence from followers times interest match),
    with followers, interests and topics taken from the rows being written.
    """
    todo = [row for row in rows.engagements if "quality_weight" not in row]
    if not todo:
        return
    topics = max(len(rows.topics), 1)
    interests = np.zeros((len(rows.members), topics))
    for row in rows.member_interests:
        interests[row["member_id"], row["topic_id"]] = row["weight"]
    tagged = np.zeros((len(rows.contents), topics))
    for row in rows.content_topics:
        tagged[row["content_id"], row["topic_id"]] = 1.0
    member = np.array([row["member_id"] for row in todo], dtype=np.int64)
    content = np.array([row["content_id"] for row in todo], dtype=np.int64)
    match = np.einsum("ij,ij->i", interests[member], tagged[content])
    match = np.where(tagged[content].any(axis=1), np.minimum(match, 1.0), UNTAGGED_MATCH)
    followers = np.array([m.get("followers_count", 0) for m in rows.members], dtype=np.float64)
    weights = engagement_weight(followers[member], match).tolist()
    for row, weight in zip(todo, weights, strict=True):
        row["quality_weight"] = weight


# Children first, so that deleting an organization never trips a foreign key.
_TENANT_DELETE_ORDER = (
    *ROLLUP_TABLES,
    Engagement,
    ContentTopic,
    Content,
    Follow,
    Membership,
    MemberInterest,
    Member,
    Community,
    Topic,
    ApiKey,
)


async def delete_organization(connection: AsyncConnection, organization_id: int) -> None:
    """Remove an organization and every row it owns, table by table."""
    content = _table(Content)
    # Replies point at their parents; unhook them so the content rows can go in one statement.
    await connection.execute(
        content.update().where(content.c.organization_id == organization_id).values(parent_id=None)
    )
    for entity in _TENANT_DELETE_ORDER:
        table = _table(entity)
        await connection.execute(delete(table).where(table.c.organization_id == organization_id))
    organization = _table(Organization)
    await connection.execute(delete(organization).where(organization.c.id == organization_id))


async def _existing_organization(connection: AsyncConnection, slug: str) -> int | None:
    organization = _table(Organization)
    found = await connection.scalar(select(organization.c.id).where(organization.c.slug == slug))
    return None if found is None else int(found)


async def _insert_organization(
    connection: AsyncConnection, slug: str, name: str, now: datetime
) -> int:
    organization = _table(Organization)
    objectives = [
        {
            "kpi": "engagement_rate",
            "target": 0.25,
            "due": (now + timedelta(days=180)).date().isoformat(),
        },
        {
            "kpi": "net_sentiment",
            "target": 30,
            "due": (now + timedelta(days=180)).date().isoformat(),
        },
    ]
    result = await connection.execute(
        insert(organization).returning(organization.c.id),
        {
            "slug": slug,
            "name": name,
            "objectives": objectives,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        },
    )
    return int(result.scalar_one())


def _check_spec(spec: DemoSpec) -> None:
    problems = Problems()
    problems.pattern(
        "org", spec.organization_slug, SLUG_PATTERN, "may hold lower-case letters, digits and '-'"
    )
    if spec.members < 1:
        problems.add("members", "seed at least one member", "OUT_OF_RANGE")
    if spec.communities < 1:
        problems.add("communities", "seed at least one community", "OUT_OF_RANGE")
    problems.raise_if_any()


def _exists(slug: str) -> Conflict:
    return Conflict.single("org", f"the organization {slug!r} exists already")


async def seed_organization(
    database: Database,
    slug: str,
    name: str,
    generate: Callable[[], CommunityRows],
    *,
    reset: bool = False,
    now: datetime | None = None,
    on_progress: ProgressCallback | None = None,
    method: WriteMethod = "bulk",
) -> SeedReport:
    """Write the organization `slug` with the rows `generate()` returns, in one transaction.

    Raises `Conflict` when the organization exists and `reset` is false (before generating).
    """
    problems = Problems()
    problems.pattern("org", slug, SLUG_PATTERN, "may hold lower-case letters, digits and '-'")
    problems.raise_if_any()
    now = now or utcnow()
    async with database.engine.connect() as connection:
        if not reset and await _existing_organization(connection, slug):
            raise _exists(slug)
    started = time.perf_counter()
    rows = generate()
    generated = time.perf_counter()
    async with database.engine.begin() as connection:
        existing = await _existing_organization(connection, slug)
        if existing is not None:
            if not reset:
                raise _exists(slug)
            await delete_organization(connection, existing)
        organization_id = await _insert_organization(connection, slug, name, now)
        counts = await write_community(
            connection, organization_id, rows, on_progress, method=method
        )
    await refresh_statistics(database)
    return SeedReport(
        organization_id=organization_id,
        counts=counts,
        generate_seconds=generated - started,
        write_seconds=time.perf_counter() - generated,
    )


async def seed_demo(
    database: Database,
    spec: DemoSpec,
    *,
    reset: bool = False,
    now: datetime | None = None,
    on_progress: ProgressCallback | None = None,
    method: WriteMethod = "bulk",
) -> SeedReport:
    """Write the demo organization in one transaction: all of it, or nothing.

    Raises `Conflict` when the organization exists and `reset` is false.
    """
    _check_spec(spec)
    now = now or utcnow()
    return await seed_organization(
        database,
        spec.organization_slug,
        spec.organization_name,
        lambda: generate_demo(spec, now, on_progress),
        reset=reset,
        now=now,
        on_progress=on_progress,
        method=method,
    )
