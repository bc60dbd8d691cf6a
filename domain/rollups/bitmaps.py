"""Each community's active members per day as a Roaring bitmap, so distinct counts over any
window are exact and cheap: the size of the union of the window's daily bitmaps.

`member_activity_day` stays the source of truth (one row per member, community and day); the
bitmap of (community, day) holds the same member ids, packed (`ActiveMembersDay`). The writer
that inserts new member-days adds their ids to the day's bitmap in its own transaction
(`members_added`); `rebuild` builds them again from the member-day rows.

Concurrent writers: a bitmap is read, changed in Python and written back, so two writers on
one day must not both read the old one. The first statement locks the row (an upsert whose
update sets the row to itself, returning the current bitmap): a second writer waits there
until the first commits, then reads the first's bitmap. Rows are locked in key order, as
`community_daily`'s are, so writers never wait on each other in a cycle. SQLite serialises
writers anyway (the member-day insert before this already holds the write lock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from pyroaring import BitMap64
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.rollups.tables import ActiveMembersDay, MemberActivityDay

DayKey = tuple[int, date]  # (community id, day)
Activity = tuple[int, int, date]  # (community id, member id, day)


def _table(entity: Any) -> Table:
    table: Table = entity.__table__
    return table


def pack(members: Iterable[int]) -> bytes:
    """Member ids as a serialized bitmap (Roaring's portable 64-bit format)."""
    return bytes(BitMap64(members).serialize())


def unpack(blob: bytes) -> BitMap64:
    return BitMap64.deserialize(bytes(blob))


def union(bitmaps: Sequence[BitMap64]) -> BitMap64:
    """The members of any of the bitmaps."""
    return BitMap64.union(*bitmaps) if bitmaps else BitMap64()


def _as_date(value: date | str) -> date:
    """A day read back from the database (SQLite may return ISO text from RETURNING)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _upsert(dialect: str, table: Table) -> Any:
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


async def members_added(
    session: AsyncSession, organization_id: int, added: Iterable[Activity]
) -> None:
    """Add new member-days (already inserted into `member_activity_day`) to the day bitmaps."""
    new: defaultdict[DayKey, list[int]] = defaultdict(list)
    for community_id, member_id, day in added:
        new[(community_id, day)].append(member_id)
    if not new:
        return
    table = _table(ActiveMembersDay)
    dialect = session.get_bind().dialect.name
    empty = pack(())
    rows = [
        {"community_id": c, "day": d, "organization_id": organization_id, "members": empty}
        for c, d in sorted(new)
    ]
    # Insert the missing rows and lock the existing ones (set to themselves), reading each
    # row's bitmap as it stands once the lock is ours.
    lock = _upsert(dialect, table).values(rows)
    lock = lock.on_conflict_do_update(
        index_elements=["community_id", "day"], set_={"members": table.c.members}
    ).returning(table.c.community_id, table.c.day, table.c.members)
    current = (await session.execute(lock)).all()
    merged = []
    for community_id, on, blob in sorted(current, key=lambda r: (r[0], _as_date(r[1]))):
        bitmap = unpack(blob)
        bitmap.update(new[(community_id, _as_date(on))])
        merged.append({**_key(community_id, on, organization_id), "members": pack(bitmap)})
    write = _upsert(dialect, table).values(merged)
    write = write.on_conflict_do_update(
        index_elements=["community_id", "day"], set_={"members": write.excluded.members}
    )
    await session.execute(write)


async def _member_days(
    connection: AsyncConnection, community_id: int
) -> dict[tuple[int, date], list[int]]:
    """A community's member ids by (organization, day), from its member-day rows."""
    activity = _table(MemberActivityDay)
    where = activity.c.community_id == community_id
    if connection.dialect.name == "postgresql":
        # Grouped in the database: one row per day instead of one per member-day (reading
        # a million rows back was most of the seed's bitmap rebuild).
        grouped = select(
            activity.c.organization_id, activity.c.day, func.array_agg(activity.c.member_id)
        ).where(where)
        rows = await connection.execute(
            grouped.group_by(activity.c.organization_id, activity.c.day)
        )
        return {
            (int(organization_id), _as_date(on)): [int(m) for m in members]
            for organization_id, on, members in rows.all()
        }
    rows = await connection.execute(
        select(activity.c.organization_id, activity.c.day, activity.c.member_id).where(where)
    )
    days: defaultdict[tuple[int, date], list[int]] = defaultdict(list)
    for organization_id, on, member_id in rows.all():
        days[(int(organization_id), _as_date(on))].append(int(member_id))
    return days


def _key(community_id: int, day: date | str, organization_id: int) -> dict[str, Any]:
    return {"community_id": community_id, "day": _as_date(day), "organization_id": organization_id}


async def rebuild_community(connection: AsyncConnection, community_id: int) -> int:
    """Replace a community's bitmaps with ones built from its member-day rows; how many."""
    table = _table(ActiveMembersDay)
    await connection.execute(delete(table).where(table.c.community_id == community_id))
    days = await _member_days(connection, community_id)
    packed = [
        {**_key(community_id, on, organization_id), "members": pack(members)}
        for (organization_id, on), members in sorted(days.items())
    ]
    if packed:
        await connection.execute(insert(table), packed)
    return len(packed)
