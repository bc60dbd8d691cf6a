"""Recording engagement one action at a time or in all-or-nothing batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import transaction
from domain.entities import Engagement
from domain.enums import EngagementKind
from domain.orbit import activity_added, engagement_love
from domain.pagination import Page, PageRequest
from domain.repositories.content import (
    ContentRepository,
    EngagementFilter,
    EngagementRepository,
    Publication,
)
from domain.repositories.members import MemberRepository
from domain.rollups.daily import engagements_added
from domain.rollups.weights import quality_weights
from domain.timeutil import as_utc, utcnow
from domain.validation import Problems

MAX_BATCH = 250
# Clocks of callers drift; an action stamped a little ahead is accepted, a day ahead is not.
FUTURE_SKEW = timedelta(minutes=5)


class EngagementDraft(NamedTuple):
    """One action to record (a tuple: a batch builds 250 of them per call)."""

    content_id: int
    member_id: int
    kind: EngagementKind
    occurred_at: datetime | None = None


class EngagementService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self.repo = EngagementRepository(session, organization_id)

    async def record(self, draft: EngagementDraft) -> Engagement:
        async with transaction(self.session):
            rows = await self._validated([draft], prefix=())
            engagement = self.repo.add(Engagement.model_validate(rows[0]))
            await self.session.flush()
            await self._derive(rows)
        return engagement

    async def ingest(self, drafts: Sequence[EngagementDraft]) -> int:
        """Write every item or none; each bad item is reported under `items.<index>`."""
        problems = Problems()
        if not drafts:
            problems.add("items", "send at least one item", "BLANK")
        if len(drafts) > MAX_BATCH:
            problems.add("items", f"at most {MAX_BATCH} items per call", "TOO_MANY")
        problems.raise_if_any()
        async with transaction(self.session):
            # Checked inside the write's transaction, not in a read transaction before it: one
            # commit and one pool checkout (with its liveness ping) fewer, and the checks see
            # the same snapshot the write does.
            rows = await self._validated(drafts, prefix=("items",))
            await self.repo.insert_rows(rows)
            await self._derive(rows)
        return len(rows)

    async def _derive(self, rows: Sequence[dict[str, Any]]) -> None:
        """Keep love and rollups current in the write's own transaction; rollups last (their
        rows are the ones concurrent batches queue on, see `engagements_added`)."""
        love = engagement_love(rows, utcnow())
        await activity_added(self.session, self.organization_id, love, {})
        await engagements_added(self.session, self.organization_id, rows)

    async def _validated(
        self, drafts: Sequence[EngagementDraft], prefix: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        # Only the columns the checks and weights read: building entities, or a query for each
        # kind of fact, cost more than the reading.
        contents = await ContentRepository(self.session, self.organization_id).publication_of(
            list({d.content_id for d in drafts})
        )
        engagers = await MemberRepository(self.session, self.organization_id).engagers(
            list({d.member_id for d in drafts})
        )
        problems = Problems()
        rows = []
        now = utcnow()
        for index, draft in enumerate(drafts):
            item = Problems((*prefix, str(index)) if prefix else ())
            rows.append(
                self._row(
                    draft, contents.get(draft.content_id), draft.member_id in engagers, now, item
                )
            )
            problems.extend(item)
        problems.raise_if_any()
        weights = quality_weights(
            [(d.member_id, d.content_id) for d in drafts],
            {member_id: e.followers for member_id, e in engagers.items()},
            {member_id: e.interests for member_id, e in engagers.items()},
            {content_id: c.topic_ids for content_id, c in contents.items()},
        )
        for row, weight in zip(rows, weights, strict=True):
            row["quality_weight"] = weight
        return rows

    def _row(
        self,
        draft: EngagementDraft,
        content: Publication | None,
        member_known: bool,
        now: datetime,
        item: Problems,
    ) -> dict[str, Any]:
        """The row of one draft; `content` is where it was published, if it is live."""
        if content is None:
            item.add("contentId", "content not found", "NOT_FOUND")
        elif not content.published:
            item.add("contentId", "the content is not published", "NOT_PUBLISHED")
        if not member_known:
            item.add("memberId", "member not found", "NOT_FOUND")
        occurred = as_utc(draft.occurred_at) if draft.occurred_at is not None else now
        if occurred > now + FUTURE_SKEW:
            item.add("occurredAt", "`occurredAt` lies in the future", "IN_FUTURE")
        return {
            "organization_id": self.organization_id,
            "community_id": content.community_id if content is not None else 0,
            "content_id": draft.content_id,
            "member_id": draft.member_id,
            "kind": draft.kind.value,
            "occurred_at": occurred,
            "created_at": now,
        }

    async def get_many(self, engagement_ids: Sequence[int]) -> dict[int, Engagement]:
        return await self.repo.get_many(engagement_ids)

    async def pages(
        self, parent: str, parent_ids: Sequence[int], where: EngagementFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        return await self.repo.pages_for(parent, parent_ids, where, request)

    async def counts(
        self, parent: str, parent_ids: Sequence[int], where: EngagementFilter
    ) -> dict[int, int]:
        return await self.repo.counts_for(parent, parent_ids, where)
