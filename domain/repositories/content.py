"""Queries over content, its topics, threads and engagement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, update
from sqlmodel import col, select

from domain.entities import Content, ContentTopic, Engagement
from domain.enums import ContentKind, ContentStatus, EngagementKind
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository

CONTENT_ORDER = Ordering((Content.created_at, Content.id), descending=True)
REPLY_ORDER = Ordering((Content.created_at, Content.id))
ENGAGEMENT_ORDER = Ordering((Engagement.occurred_at, Engagement.id), descending=True)


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


class ContentRepository(TenantRepository[Content]):
    model = Content

    def live(self) -> Select[Any]:
        return self.scoped().where(col(Content.deleted_at).is_(None))

    def filtered(self, where: ContentFilter) -> Select[Any]:
        stmt = self.live()
        if where.kind is not None:
            stmt = stmt.where(col(Content.kind) == where.kind.value)
        if where.topic_id is not None:
            tagged = select(ContentTopic.content_id).where(
                col(ContentTopic.topic_id) == where.topic_id
            )
            stmt = stmt.where(col(Content.id).in_(tagged))
        if where.since is not None:
            stmt = stmt.where(col(Content.created_at) >= where.since)
        if where.until is not None:
            stmt = stmt.where(col(Content.created_at) < where.until)
        if where.top_level_only:
            stmt = stmt.where(col(Content.parent_id).is_(None))
        if where.status is not None:
            stmt = stmt.where(col(Content.status) == where.status.value)
        return stmt

    async def publication_of(self, row_ids: Sequence[int]) -> dict[int, tuple[int, bool]]:
        """(community id, whether published) of each live content row among `row_ids`: the
        columns a write needs to check and place engagement, without building entities."""
        if not row_ids:
            return {}
        stmt = select(
            col(Content.id), col(Content.community_id), col(Content.published_at).is_not(None)
        ).where(
            col(Content.organization_id) == self.organization_id,
            col(Content.id).in_(set(row_ids)),
            col(Content.deleted_at).is_(None),
        )
        rows: Sequence[Any] = (await self.session.execute(stmt)).all()
        return {row_id: (community, bool(published)) for row_id, community, published in rows}

    async def live_plain(self, row_ids: Sequence[int]) -> dict[int, Any]:
        """Live content by id as plain rows (see `TenantRepository.plain_by_id`)."""
        return await self.plain_by_id(
            row_ids, self.plain().where(col(Content.deleted_at).is_(None))
        )

    async def get_live(self, row_ids: Sequence[int]) -> dict[int, Content]:
        rows = await self.get_many(row_ids)
        return {k: v for k, v in rows.items() if v.deleted_at is None}

    async def pages_for(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        """Plain rows (see `TenantRepository.plain_by_id`): pages are only read."""
        ordering = REPLY_ORDER if parent == "parent_id" else CONTENT_ORDER
        return await self.pages_by_parent(
            self.filtered(where), parent, parent_ids, ordering, request, plain=True
        )

    async def counts_for(
        self, parent: str, parent_ids: Sequence[int], where: ContentFilter
    ) -> dict[int, int]:
        return await self.counts_by_parent(self.filtered(where), parent, parent_ids)

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
