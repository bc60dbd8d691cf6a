"""CRM exports: an organization's members, memberships and engagement as CSV or NDJSON.

Rows are read in keyset-ordered batches (`id > last id`, one short query each), encoded batch by
batch and handed on as bytes, so memory stays flat however many rows there are: a CRM import of
ten million engagements costs what one batch costs. The HTTP endpoint and `townsquare export`
both stream from here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.entities import Community, Engagement, Member, Membership

DEFAULT_BATCH_SIZE = 2000
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportKind(StrEnum):
    MEMBERS = "members"
    MEMBERSHIPS = "memberships"
    ENGAGEMENT = "engagement"


class ExportFormat(StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"


@dataclass(frozen=True)
class ExportColumn:
    """One column; `refers_to` names the entity whose id it holds (the API makes it global)."""

    name: str
    refers_to: str | None = None


@dataclass(frozen=True)
class ExportSpec:
    """What one kind exports: its columns, the query behind them, and what `since` filters."""

    kind: ExportKind
    columns: tuple[ExportColumn, ...]
    select_rows: Callable[[], Select[Any]]
    key: Any
    organization: Any
    changed_at: Any

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _members() -> Select[Any]:
    columns: tuple[Any, ...] = (
        Member.id,
        Member.handle,
        Member.display_name,
        Member.bio,
        Member.location,
        Member.followers_count,
        Member.following_count,
        Member.created_at,
        Member.updated_at,
    )
    return select(*(col(c) for c in columns))


def _memberships() -> Select[Any]:
    columns: tuple[Any, ...] = (
        Membership.id,
        Membership.member_id,
        Member.handle,
        Membership.community_id,
        Community.name,
        Membership.role,
        Membership.state,
        Membership.love,
        Membership.trust,
        Membership.orbit_level,
        Membership.joined_at,
        Membership.updated_at,
    )
    return (
        select(*(col(c) for c in columns))
        .join(Member, col(Member.id) == col(Membership.member_id))
        .join(Community, col(Community.id) == col(Membership.community_id))
    )


def _engagement() -> Select[Any]:
    columns: tuple[Any, ...] = (
        Engagement.id,
        Engagement.member_id,
        Member.handle,
        Engagement.community_id,
        Engagement.content_id,
        Engagement.kind,
        Engagement.quality_weight,
        Engagement.occurred_at,
    )
    return select(*(col(c) for c in columns)).join(
        Member, col(Member.id) == col(Engagement.member_id)
    )


SPECS: dict[ExportKind, ExportSpec] = {
    ExportKind.MEMBERS: ExportSpec(
        ExportKind.MEMBERS,
        (
            ExportColumn("id", "Member"),
            ExportColumn("handle"),
            ExportColumn("display_name"),
            ExportColumn("bio"),
            ExportColumn("location"),
            ExportColumn("followers_count"),
            ExportColumn("following_count"),
            ExportColumn("created_at"),
            ExportColumn("updated_at"),
        ),
        _members,
        col(Member.id),
        col(Member.organization_id),
        col(Member.updated_at),
    ),
    ExportKind.MEMBERSHIPS: ExportSpec(
        ExportKind.MEMBERSHIPS,
        (
            ExportColumn("id", "Membership"),
            ExportColumn("member_id", "Member"),
            ExportColumn("member_handle"),
            ExportColumn("community_id", "Community"),
            ExportColumn("community_name"),
            ExportColumn("role"),
            ExportColumn("state"),
            ExportColumn("love"),
            ExportColumn("trust"),
            ExportColumn("orbit_level"),
            ExportColumn("joined_at"),
            ExportColumn("updated_at"),
        ),
        _memberships,
        col(Membership.id),
        col(Membership.organization_id),
        col(Membership.updated_at),
    ),
    ExportKind.ENGAGEMENT: ExportSpec(
        ExportKind.ENGAGEMENT,
        (
            ExportColumn("id", "Engagement"),
            ExportColumn("member_id", "Member"),
            ExportColumn("member_handle"),
            ExportColumn("community_id", "Community"),
            ExportColumn("content_id", "Content"),
            ExportColumn("kind"),
            ExportColumn("quality_weight"),
            ExportColumn("occurred_at"),
        ),
        _engagement,
        col(Engagement.id),
        col(Engagement.organization_id),
        col(Engagement.occurred_at),
    ),
}


@dataclass(frozen=True)
class ExportRequest:
    """One export: which rows of which organization, changed (or occurred) since when."""

    organization_id: int
    kind: ExportKind
    since: datetime | None = None
    batch_size: int = DEFAULT_BATCH_SIZE

    @property
    def spec(self) -> ExportSpec:
        return SPECS[self.kind]

    def conditions(self) -> list[ColumnElement[bool]]:
        spec = self.spec
        where: list[ColumnElement[bool]] = [spec.organization == self.organization_id]
        if self.since is not None:
            where.append(spec.changed_at >= self.since)
        return where


async def count_rows(session: AsyncSession, request: ExportRequest) -> int:
    """How many rows the export will hold (for a progress bar); one COUNT over the index."""
    spec = request.spec
    query = select(func.count()).select_from(spec.key.table).where(*request.conditions())
    return int((await session.execute(query)).scalar_one())


async def export_batches(
    session: AsyncSession, request: ExportRequest
) -> AsyncIterator[Sequence[tuple[Any, ...]]]:
    """The rows in id order, a batch at a time; each batch is one keyset query."""
    spec = request.spec
    after = 0
    while True:
        query = (
            spec.select_rows()
            .where(*request.conditions(), spec.key > after)
            .order_by(spec.key)
            .limit(request.batch_size)
        )
        rows = [tuple(row) for row in (await session.execute(query)).all()]
        if not rows:
            return
        yield rows
        if len(rows) < request.batch_size:
            return
        after = rows[-1][0]


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat().replace("+00:00", "Z")
    return value


def _safe_cell(value: Any) -> Any:
    value = _text(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def header(spec: ExportSpec, fmt: ExportFormat) -> bytes:
    """What precedes the rows: the CSV header line; nothing for NDJSON."""
    if fmt is ExportFormat.NDJSON:
        return b""
    return encode_batch(spec, fmt, [spec.column_names], header=True)


def encode_batch(
    spec: ExportSpec, fmt: ExportFormat, rows: Sequence[Sequence[Any]], *, header: bool = False
) -> bytes:
    """A batch of rows as CSV lines (RFC 4180, CRLF) or NDJSON lines."""
    if fmt is ExportFormat.NDJSON:
        names = spec.column_names
        return b"".join(
            orjson.dumps(dict(zip(names, map(_text, row), strict=True))) + b"\n" for row in rows
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows if header else ([_safe_cell(v) for v in row] for row in rows))
    return buffer.getvalue().encode("utf-8")


RowMap = Callable[[tuple[Any, ...]], tuple[Any, ...]]


async def export_stream(
    session: AsyncSession,
    request: ExportRequest,
    fmt: ExportFormat,
    *,
    row_map: RowMap | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The whole export as chunks of bytes, one per batch, header first.

    `row_map` rewrites each row before encoding (the API turns row ids into global ids);
    `on_batch` hears how many rows each batch held (a progress bar).
    """
    spec = request.spec
    first = header(spec, fmt)
    if first:
        yield first
    async for batch in export_batches(session, request):
        rows = [row_map(row) for row in batch] if row_map else batch
        yield encode_batch(spec, fmt, rows)
        if on_batch is not None:
            on_batch(len(batch))
