"""Crash safety: SIGKILL the server in the middle of a stream of writes, restart it, repeat.

Per backend (SQLite in WAL mode, PostgreSQL), 20 cycles: `townsquare serve` starts (forked
from a warm parent, see crash_harness.py), three clients stream memberCreate, engagementRecord
and engagementsIngest and write down which were acknowledged (HTTP 200, no errors, no
userErrors), and at a seeded random moment the server is SIGKILLed. Afterwards:
- every acknowledged write is in the database (lost = 0);
- nothing is half-written: each ingest batch is there whole or not at all, acknowledged or not;
- the rollups kept by the writes equal a rebuild from the raw rows;
- the database passes its integrity check (`PRAGMA integrity_check` and `foreign_key_check`
  on SQLite; amcheck's B-tree and heap verification on PostgreSQL);
- a restarted server answers with everything that was written.
Select with `-m crash`; the figures are printed (`-s`) and asserted.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import migrated_database, tenant
from crash_harness import ServerFactory, kill
from sqlalchemy import func, select, text

from api.ids import encode_id
from api.loadtest import free_port
from domain.db import Database
from domain.entities import Engagement, Member
from domain.enums import ContentKind, Platform, Visibility
from domain.rollups.rebuild import rebuild_communities
from domain.rollups.tables import CommunityDaily, MemberActivityDay
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.members import MemberDraft, MemberService
from domain.timeutil import as_utc, utcnow

pytestmark = [pytest.mark.crash, pytest.mark.slow]

CYCLES = 20
WRITERS = 3
BATCH = 5
SEED = 20261130
# How long after the first answer of a cycle the kill comes, in seconds (seeded).
KILL_AFTER = (0.0, 1.0)

MEMBER_CREATE = """mutation M($input: MemberCreateInput!) {
  memberCreate(input: $input) { member { id } userErrors { code } } }"""
ENGAGEMENT_RECORD = """mutation E($input: EngagementRecordInput!) {
  engagementRecord(input: $input) { engagement { id } userErrors { code } } }"""
ENGAGEMENTS_INGEST = """mutation I($input: EngagementsIngestInput!) {
  engagementsIngest(input: $input) { ingestedCount userErrors { code } } }"""


@dataclass
class World:
    key: str
    community_id: int
    content: str
    members: list[str]


@dataclass
class Ledger:
    """What the clients sent, and which of it the server acknowledged."""

    acked_handles: set[str] = field(default_factory=set)
    # occurred_at (ISO, UTC) of each engagement write -> (items sent, acknowledged?)
    engagements: dict[str, tuple[int, bool]] = field(default_factory=dict)
    unanswered: int = 0
    refused: int = 0
    cycles: int = 0
    moment: Iterator[datetime] = field(default_factory=lambda: _moments())
    # Set by the first answer of a cycle: the stream is flowing.
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def acknowledged(self) -> int:
        return len(self.acked_handles) + sum(acked for _, acked in self.engagements.values())


def _moments() -> Iterator[datetime]:
    """A distinct past instant for each engagement write, so each can be found again."""
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    second = 0
    while True:
        second += 1
        yield start - timedelta(seconds=second)


async def _world(database: Database) -> World:
    owner = await tenant(database, "crash")
    org = owner.organization_id
    async with database.session() as session:
        community = await CommunityService(session, org).create(
            CommunityDraft("Crash site", Platform.FORUM, Visibility.PUBLIC)
        )
        assert community.id is not None
        members = MemberService(session, org)
        ids = []
        for index in range(4):
            member = await members.create(MemberDraft(f"fan-{index}", f"Fan {index}"))
            assert member.id is not None
            ids.append(member.id)
        post = await ContentService(session, org).publish(
            ContentDraft(community.id, ContentKind.POST, "Still standing?", author_id=ids[0])
        )
        assert post.id is not None
    return World(
        owner.key,
        community.id,
        encode_id("Content", post.id),
        [encode_id("Member", i) for i in ids],
    )


def _ok(response: httpx.Response, field_name: str) -> dict[str, Any] | None:
    """The payload of an acknowledged write, or None."""
    if response.status_code != 200:
        return None
    body = response.json()
    payload = (body.get("data") or {}).get(field_name)
    if body.get("errors") or payload is None or payload["userErrors"]:
        return None
    result: dict[str, Any] = payload
    return result


async def _write(client: httpx.AsyncClient, world: World, ledger: Ledger, name: str) -> None:
    """One write of the stream, chosen by the name's sequence number; noted in the ledger."""
    turn = int(name.rsplit("-", 1)[1]) % 3
    if turn == 0:
        variables = {"input": {"handle": name, "displayName": name}}
        answer = await client.post(
            "/graphql", json={"query": MEMBER_CREATE, "variables": variables}
        )
        if _ok(answer, "memberCreate") is not None:
            ledger.acked_handles.add(name)
        else:
            ledger.refused += 1
        return
    at = next(ledger.moment).isoformat()
    item = {"contentId": world.content, "kind": "LIKE", "occurredAt": at}
    if turn == 0:
        items = [{**item, "memberId": world.members[0]}]
        query, variables, field_name = ENGAGEMENT_RECORD, {"input": items[0]}, "engagementRecord"
    else:
        items = [{**item, "memberId": member} for member in world.members[:BATCH]]
        items += [{**item, "memberId": world.members[0]}] * (BATCH - len(items))
        query, variables, field_name = (
            ENGAGEMENTS_INGEST,
            {"input": {"items": items}},
            ("engagementsIngest"),
        )
    ledger.engagements[at] = (len(items), False)
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    ledger.answered.set()
    acked = _ok(answer, field_name) is not None
    ledger.engagements[at] = (len(items), acked)
    ledger.refused += not acked


async def _stream(client: httpx.AsyncClient, world: World, ledger: Ledger, prefix: str) -> None:
    """Write until the server goes away."""
    sequence = 0
    while True:
        sequence += 1
        try:
            await _write(client, world, ledger, f"{prefix}-{sequence}")
        except httpx.TransportError:
            ledger.unanswered += 1
            return


async def _cycles(factory: ServerFactory, url: str, world: World, ledger: Ledger) -> None:
    rng = random.Random(SEED)
    headers = {"Authorization": f"Bearer {world.key}"}
    for cycle in range(CYCLES):
        port = free_port()
        pid = await asyncio.to_thread(factory.start, url, port, cycle)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
            ledger.answered.clear()
            writers = [
                asyncio.create_task(_stream(client, world, ledger, f"c{cycle}w{writer}"))
                for writer in range(WRITERS)
            ]
            await asyncio.wait_for(ledger.answered.wait(), timeout=120)
            await asyncio.sleep(rng.uniform(*KILL_AFTER))
            await asyncio.to_thread(kill, pid)
            await asyncio.gather(*writers)
        ledger.cycles += 1


async def _stored(database: Database) -> tuple[set[str], Counter[str]]:
    """The member handles and the engagements per occurred_at in the database."""
    async with database.session() as session:
        handles = set((await session.scalars(select(Member.handle))).all())
        grouped = await session.execute(
            select(Engagement.occurred_at, func.count()).group_by(Engagement.occurred_at)
        )
        counts = Counter({as_utc(at).isoformat(): int(n) for at, n in grouped.all()})
    return handles, counts


def _rows(result: Any) -> list[dict[str, Any]]:
    rows = [
        {k: (round(v, 9) if isinstance(v, float) else v) for k, v in row.items()}
        for row in result.mappings()
    ]
    return [row for row in rows if any(v for k, v in row.items() if k not in _KEYS)]


_KEYS = {"community_id", "organization_id", "day", "member_id"}


async def _rollups_and_rebuild(database: Database, community_id: int) -> tuple[Any, Any]:
    """The rollups as the writes left them, and as a rebuild from raw rows makes them (the
    rebuild is rolled back)."""
    daily, activity = CommunityDaily.__table__, MemberActivityDay.__table__  # type: ignore[attr-defined]

    async def snapshot(connection: Any) -> tuple[Any, Any]:
        days = await connection.execute(
            select(daily).where(daily.c.community_id == community_id).order_by(daily.c.day)
        )
        active = await connection.execute(
            select(activity)
            .where(activity.c.community_id == community_id)
            .order_by(activity.c.member_id, activity.c.day)
        )
        return _rows(days), [tuple(row) for row in active.all()]

    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        kept = await snapshot(connection)
        await rebuild_communities(connection, [community_id])
        rebuilt = await snapshot(connection)
        await transaction.rollback()
    return kept, rebuilt


async def _integrity_problems(database: Database) -> list[Any]:
    async with database.engine.connect() as connection:
        if database.dialect == "sqlite":
            check = (await connection.exec_driver_sql("PRAGMA integrity_check")).all()
            keys = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
            return [row for row in check if tuple(row) != ("ok",)] + list(keys)
        await connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        await connection.commit()
        # Raises on a corrupt index; verify_heapam lists corrupt heap tuples.
        await connection.execute(
            text(
                "SELECT bt_index_check(c.oid, true) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                " WHERE a.amname = 'btree' AND c.relnamespace = current_schema()::regnamespace"
            )
        )
        heap = await connection.execute(
            text(
                "SELECT c.relname, v.* FROM pg_class c, verify_heapam(c.oid) v"
                " WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace"
            )
        )
        return list(heap.all())


async def _members_seen_by_a_restarted_server(
    factory: ServerFactory, url: str, world: World
) -> int:
    port = free_port()
    pid = await asyncio.to_thread(factory.start, url, port, CYCLES)
    try:
        headers = {"Authorization": f"Bearer {world.key}"}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30
        ) as client:
            answer = await client.post(
                "/graphql", json={"query": "{ members(first: 1) { totalCount } }"}
            )
        return int(answer.json()["data"]["members"]["totalCount"])
    finally:
        await asyncio.to_thread(kill, pid)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[ServerFactory]:
    servers = ServerFactory(tmp_path)
    yield servers
    servers.close()


async def test_no_acknowledged_write_is_lost_and_none_is_half_written_across_20_kills(
    database_url: str, factory: ServerFactory
) -> None:
    database = await migrated_database(database_url)
    try:
        world = await _world(database)
        ledger = Ledger()
        await _cycles(factory, database.url, world, ledger)

        handles, counts = await _stored(database)
        lost_members = ledger.acked_handles - handles
        lost = [at for at, (n, acked) in ledger.engagements.items() if acked and counts[at] != n]
        torn = [at for at, (n, _) in ledger.engagements.items() if counts[at] not in (0, n)]
        kept, rebuilt = await _rollups_and_rebuild(database, world.community_id)
        problems = await _integrity_problems(database)
        served = await _members_seen_by_a_restarted_server(factory, database.url, world)
    finally:
        await database.dispose()

    print(
        f"\n{database.dialect}: {ledger.cycles} cycles, {ledger.acknowledged} acknowledged "
        f"writes ({len(ledger.acked_handles)} members, "
        f"{sum(a for _, a in ledger.engagements.values())} engagement writes), "
        f"{ledger.unanswered} cut off by the kill, {ledger.refused} not acknowledged, "
        f"lost {len(lost_members) + len(lost)}, half-written {len(torn)}"
    )
    assert ledger.cycles == CYCLES
    assert ledger.acknowledged >= CYCLES, "too few writes were acknowledged to prove anything"
    assert lost_members == set()
    assert lost == []
    assert torn == []
    assert kept == rebuilt
    assert problems == []
    assert served == len(handles)
