"""Queries over content, its topics, threads and engagement."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Select, Table, and_, bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from domain.arrays import among, available, dialect_of, insert_unnest
from domain.entities import Content, ContentTopic, Engagement, Member
from domain.enums import ContentKind, ContentStatus, EngagementKind
from domain.pagination import (
    Ordering,
    Page,
    PageRequest,
    PageShape,
    pages_by_parent_statement,
    run_pages_by_parent,
)
from domain.repositories.base import TenantRepository

CONTENT_ORDER = Ordering((Content.created_at, Content.id), descending=True)
REPLY_ORDER = Ordering((Content.created_at, Content.id))
ENGAGEMENT_ORDER = Ordering((Engagement.occurred_at, Engagement.id), descending=True)
CONTENT_COLUMNS = len(Content.__table__.columns)  # type: ignore[attr-defined]
MEMBER_TABLE: Any = Member.__table__  # type: ignore[attr-defined]
# A member's columns, read by attribute like the plain rows of `TenantRepository.plain_by_id`.
AuthorRow = namedtuple("AuthorRow", [column.name for column in MEMBER_TABLE.columns])  # type: ignore[misc]


@dataclass(frozen=True)
class ContentFilter:
    """What a content list may be narrowed by; deleted content is never listed."""

    kind: ContentKind | None = None
    topic_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    top_level_only: bool = False
    # Lists show what the community sees; drafts, items in review and scheduled items are
    # the team's and show only when asked for (None: every status).
    status: ContentStatus | None = ContentStatus.PUBLISHED

    def key(self) -> tuple[Any, ...]:
        return (self.kind, self.topic_id, self.since, self.until, self.top_level_only, self.status)

    def narrowings(self) -> tuple[str, ...]:
        """The narrowings that apply: a filtered statement's shape (its values aside)."""
        chosen = {
            "kind": self.kind is not None,
            "topic_id": self.topic_id is not None,
            "since": self.since is not None,
            "until": self.until is not None,
            "top_level_only": self.top_level_only,
            "status": self.status is not None,
        }
        return tuple(name for name, applies in chosen.items() if applies)

    def values(self) -> dict[str, Any]:
        """The parameters of `filtered_content`'s statement for this filter."""
        values = {
            "kind": self.kind.value if self.kind is not None else None,
            "topic_id": self.topic_id,
            "since": self.since,
            "until": self.until,
            "status": self.status.value if self.status is not None else None,
        }
        return {name: value for name, value in values.items() if value is not None}


@lru_cache(maxsize=64)
def filtered_content(narrowings: tuple[str, ...]) -> Select[Any]:
    """An organization's live content narrowed by `narrowings` (see `ContentFilter`), with
    the organization and the filter's values as bound parameters: built once per shape."""
    stmt = select(Content).where(
        col(Content.organization_id) == bindparam("organization_id"),
        col(Content.deleted_at).is_(None),
    )
    if "kind" in narrowings:
        stmt = stmt.where(col(Content.kind) == bindparam("kind"))
    if "topic_id" in narrowings:
        tagged = select(ContentTopic.content_id).where(
            col(ContentTopic.topic_id) == bindparam("topic_id")
        )
        stmt = stmt.where(col(Content.id).in_(tagged))
    if "since" in narrowings:
        stmt = stmt.where(col(Content.created_at) >= bindparam("since"))
    if "until" in narrowings:
        stmt = stmt.where(col(Content.created_at) < bindparam("until"))
    if "top_level_only" in narrowings:
        stmt = stmt.where(col(Content.parent_id).is_(None))
    if "status" in narrowings:
        stmt = stmt.where(col(Content.status) == bindparam("status"))
    return stmt


@lru_cache(maxsize=256)
def content_pages(parent: str, narrowings: tuple[str, ...], shape: PageShape) -> Select[Any]:
    """Pages of content by `parent` (see `pages_by_parent_statement`), built once per shape:
    building this statement cost more CPU than running it."""
    return pages_by_parent_statement(
        filtered_content(narrowings),
        Content,
        getattr(Content, parent),
        _ordering_by(parent),
        shape,
        plain=True,
    )


@lru_cache(maxsize=256)
def content_pages_with_authors(
    parent: str, narrowings: tuple[str, ...], shape: PageShape
) -> Select[Any]:
    """`content_pages` with each item's author's columns after its own (`author__<column>`):
    a LEFT JOIN, as the brand's own content and a removed author have none."""
    page = content_pages(parent, narrowings, shape)
    ranked = page.selected_columns.author_id.table
    joined = and_(
        MEMBER_TABLE.c.id == ranked.c.author_id,
        MEMBER_TABLE.c.organization_id == bindparam("organization_id"),
    )
    authors = (column.label(f"author__{column.name}") for column in MEMBER_TABLE.columns)
    return page.add_columns(*authors).outerjoin_from(ranked, MEMBER_TABLE, joined)


def _with_authors(page: Page[Any]) -> Page[Any]:
    """`page` with its items' authors in `extras["authors"]` (member id -> `AuthorRow`)."""
    page.extras["authors"] = {
        row.author__id: AuthorRow._make(row[CONTENT_COLUMNS:])
        for row in page.items
        if row.author__id is not None
    }
    return page


def _ordering_by(parent: str) -> Ordering:
    # A thread reads oldest first; every other list of content newest first.
    return REPLY_ORDER if parent == "parent_id" else CONTENT_ORDER


class Publication(NamedTuple):
    """What a write needs to check and place engagement on a live content row."""

    community_id: int
    published: bool
    topic_ids: list[int]


@lru_cache(maxsize=4)
def _publication(dialect: str) -> Select[Any]:
    content: Table = Content.__table__  # type: ignore[attr-defined]
    topic: Table = ContentTopic.__table__  # type: ignore[attr-defined]
    return (
        sa_select(
            content.c.id,
            content.c.community_id,
            content.c.published_at.is_not(None),
            topic.c.topic_id,
        )
        .select_from(content.outerjoin(topic, topic.c.content_id == content.c.id))
        .where(
            content.c.organization_id == bindparam("organization_id"),
            among(dialect, content.c.id, "ids"),
            content.c.deleted_at.is_(None),
        )
    )


class ContentRepository(TenantRepository[Content]):
    model = Content

    def live(self) -> Select[Any]:
        return self.scoped().where(col(Content.deleted_at).is_(None))

    def values(self, where: ContentFilter) -> dict[str, Any]:
        return {"organization_id": self.organization_id, **where.values()}

    async def publication_of(self, row_ids: Sequence[int]) -> dict[int, Publication]:
        """Community, whether published, and topics of each live content row among `row_ids`
        (one statement: building entities, or a query more, cost more than the reading)."""
        if not row_ids:
            return {}
        statement = _publication(dialect_of(self.session))
        rows: Sequence[Any] = (
            await self.session.execute(
                statement, {"organization_id": self.organization_id, "ids": list(set(row_ids))}
            )
        ).all()
        found: dict[int, Publication] = {}
        for row_id, community, published, topic_id in rows:
            entry = found.get(row_id)
            if entry is None:
                entry = found[row_id] = Publication(community, bool(published), [])
            if topic_id is not None:
                entry.topic_ids.append(topic_id)
        return found

    async def live_plain(self, row_ids: Sequence[int]) -> dict[int, Any]:
        """Live content by id as plain rows (see `TenantRepository.plain_by_id`)."""
        return await self.plain_by_id(row_ids, live_only=True)

    async def get_live(self, row_ids: Sequence[int]) -> dict[int, Content]:
        rows = await self.get_many(row_ids)
        return {k: v for k, v in rows.items() if v.deleted_at is None}

    async def pages_for(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        """Plain rows (see `TenantRepository.plain_by_id`): pages are only read."""
        statement = content_pages(parent, where.narrowings(), PageShape.of(request))
        ordering = _ordering_by(parent)
        return await run_pages_by_parent(
            self.session, statement, self.values(where), parent, parent_ids, ordering, request, True
        )

    async def pages_with_authors(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        """`pages_for`, with each page's authors read in the same statement (`_with_authors`)."""
        statement = content_pages_with_authors(parent, where.narrowings(), PageShape.of(request))
        ordering = _ordering_by(parent)
        pages = await run_pages_by_parent(
            self.session, statement, self.values(where), parent, parent_ids, ordering, request, True
        )
        return {parent_id: _with_authors(page) for parent_id, page in pages.items()}

    async def counts_for(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter
    ) -> dict[int, int]:
        stmt = filtered_content(where.narrowings())
        return await self.counts_by_parent(stmt, parent, parent_ids, self.values(where))

    async def topics_of(self, content_ids: Sequence[int]) -> dict[int, list[int]]:
        stmt = select(ContentTopic.content_id, ContentTopic.topic_id).where(
            col(ContentTopic.organization_id) == self.organization_id,
            col(ContentTopic.content_id).in_(list(content_ids)),
        )
        grouped: dict[int, list[int]] = defaultdict(list)
        for content_id, topic_id in (await self.session.execute(stmt)).all():
            grouped[content_id].append(topic_id)
        return {cid: sorted(grouped.get(cid, [])) for cid in content_ids}

    async def replace_topics(self, content_id: int, topic_ids: Sequence[int]) -> None:
        existing = await self.session.scalars(
            select(ContentTopic).where(col(ContentTopic.content_id) == content_id)
        )
        for row in existing.all():
            await self.session.delete(row)
        await self.session.flush()
        for topic_id in topic_ids:
            self.session.add(
                ContentTopic(
                    content_id=content_id,
                    topic_id=topic_id,
                    organization_id=self.organization_id,
                )
            )

    async def bump_reply_count(self, parent_id: int, delta: int) -> None:
        await self.session.execute(
            update(Content)
            .where(col(Content.id) == parent_id)
            .values(reply_count=Content.reply_count + delta)
        )


@dataclass(frozen=True)
class EngagementFilter:
    kind: EngagementKind | None = None

    def key(self) -> tuple[Any, ...]:
        return (self.kind,)


class EngagementRepository(TenantRepository[Engagement]):
    model = Engagement

    async def insert_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert plain rows shaped like the table (the database numbers them), as one
        statement: building entities, or binding each value apart, cost more than the write."""
        table: Table = Engagement.__table__  # type: ignore[attr-defined]
        if available(self.session):
            await insert_unnest(self.session, table, rows)
        else:
            await self.session.execute(insert(table), list(rows))

    def filtered(self, where: EngagementFilter) -> Select[Any]:
        stmt = self.scoped()
        if where.kind is not None:
            stmt = stmt.where(col(Engagement.kind) == where.kind.value)
        return stmt

    async def pages_for(
        self, parent: str, parent_ids: Sequence[int], where: EngagementFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        """Plain rows (see `TenantRepository.plain_by_id`): pages are only read."""
        return await self.pages_by_parent(
            self.filtered(where), parent, parent_ids, ENGAGEMENT_ORDER, request, plain=True
        )

    async def counts_for(
        self, parent: str, parent_ids: Sequence[int], where: EngagementFilter
    ) -> dict[int, int]:
        return await self.counts_by_parent(self.filtered(where), parent, parent_ids)
