"""Recording conversions (one, or a batch all-or-nothing), attributing them, and ROI.

A conversion is idempotent by the caller's external id: one already stored is skipped and
reported as a duplicate, and the unique constraint turns a race between two writers into a
CONFLICT. Each new conversion is attributed at once by every model over the member's engagements
in the lookback window, and the credits are stored, so ROI is a sum over stored rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.campaigns.attribution import Touch, attribute
from domain.campaigns.tables import Campaign, Conversion, ConversionAttribution
from domain.db import transaction
from domain.entities import Content, Engagement, Member
from domain.enums import AttributionModel
from domain.events import CONVERSION_RECORDED, emit
from domain.metrics.conversion import roi
from domain.timeutil import as_utc, utcnow
from domain.validation import Problems

DEFAULT_LOOKBACK_DAYS = 30
MAX_LOOKBACK_DAYS = 365
MAX_BATCH = 1000
MAX_VALUE = 1e12


@dataclass(frozen=True)
class ConversionDraft:
    """One conversion; the member is named by row id or, from a CRM, by handle."""

    external_id: str
    value: float
    member_id: int | None = None
    member_handle: str | None = None
    occurred_at: datetime | None = None


@dataclass
class Recorded:
    conversions: list[Conversion] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Roi:
    conversions: int
    value: float
    cost: float
    roi: float | None


@dataclass(frozen=True)
class _TouchRow:
    member_id: int
    touch: Touch
    community_id: int
    campaign_id: int | None


def check_draft(draft: ConversionDraft, problems: Problems) -> None:
    problems.text("externalId", draft.external_id, low=1, high=200)
    if math.isnan(draft.value) or not 0 <= draft.value <= MAX_VALUE:
        problems.add("value", f"`value` must be between 0 and {MAX_VALUE:g}", "OUT_OF_RANGE")
    if (draft.member_id is None) == (draft.member_handle is None):
        problems.add("memberId", "name the member by id or by handle, once", "REQUIRED")


def check_lookback(days: int) -> None:
    if not 1 <= days <= MAX_LOOKBACK_DAYS:
        problems = Problems()
        problems.add(
            "lookbackDays", f"`lookbackDays` must be 1 to {MAX_LOOKBACK_DAYS}", "OUT_OF_RANGE"
        )
        problems.raise_if_any()


class ConversionService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id

    async def record(
        self, drafts: Sequence[ConversionDraft], lookback_days: int = DEFAULT_LOOKBACK_DAYS
    ) -> Recorded:
        """Write every new conversion with its attribution, or nothing when one line is bad.

        Problems are reported under `items.<index>` (the caller maps indexes to line numbers).
        """
        check_lookback(lookback_days)
        members = await self._resolve_members(drafts)
        problems = Problems()
        _check_batch(drafts, members, problems)
        problems.raise_if_any()
        result = Recorded()
        async with transaction(self.session):
            known = await self._existing([d.external_id for d in drafts])
            result.duplicates = [d.external_id for d in drafts if d.external_id in known]
            now = utcnow()
            rows = [
                Conversion(
                    organization_id=self.organization_id,
                    external_id=d.external_id,
                    member_id=members[i],
                    value=d.value,
                    occurred_at=as_utc(d.occurred_at) if d.occurred_at else now,
                    lookback_days=lookback_days,
                )
                for i, d in enumerate(drafts)
                if d.external_id not in known
            ]
            self.session.add_all(rows)
            await self.session.flush()
            await self._attribute(rows, lookback_days)
            for row in rows:
                self._announce(row)
            result.conversions = rows
        return result

    async def _resolve_members(self, drafts: Sequence[ConversionDraft]) -> dict[int, int]:
        """Row ids of each draft's member (by index); a member not found is left out."""
        ids = {d.member_id for d in drafts if d.member_id is not None}
        handles = {d.member_handle for d in drafts if d.member_handle is not None}
        stmt = select(Member.id, Member.handle).where(
            col(Member.organization_id) == self.organization_id,
            col(Member.id).in_(ids) | col(Member.handle).in_(handles),
        )
        by_id, by_handle = set(), {}
        for member_id, handle in (await self.session.execute(stmt)).all():
            by_id.add(member_id)
            by_handle[handle] = member_id
        found: dict[int, int] = {}
        for index, draft in enumerate(drafts):
            if draft.member_id is not None and draft.member_id in by_id:
                found[index] = draft.member_id
            elif draft.member_handle is not None and draft.member_handle in by_handle:
                found[index] = by_handle[draft.member_handle]
        return found

    async def _existing(self, external_ids: Sequence[str]) -> set[str]:
        stmt = select(Conversion.external_id).where(
            col(Conversion.organization_id) == self.organization_id,
            col(Conversion.external_id).in_(list(external_ids)),
        )
        return set((await self.session.scalars(stmt)).all())

    async def _attribute(self, rows: Sequence[Conversion], lookback_days: int) -> None:
        if not rows:
            return
        lookback = timedelta(days=lookback_days)
        touches = await self._touches(rows, lookback)
        for row in rows:
            assert row.id is not None
            mine = [
                t
                for t in touches
                if t.member_id == row.member_id
                and row.occurred_at - lookback <= t.touch.occurred_at <= row.occurred_at
            ]
            where = {t.touch.content_id: t for t in mine}
            for model in AttributionModel:
                for credit in attribute(model, [t.touch for t in mine], row.value):
                    place = where[credit.content_id]
                    self.session.add(
                        ConversionAttribution(
                            organization_id=self.organization_id,
                            conversion_id=row.id,
                            model=model.value,
                            content_id=credit.content_id,
                            community_id=place.community_id,
                            campaign_id=place.campaign_id,
                            touches=credit.touches,
                            credit=credit.credit,
                        )
                    )

    async def _touches(self, rows: Sequence[Conversion], lookback: timedelta) -> list[_TouchRow]:
        earliest = min(r.occurred_at for r in rows) - lookback
        latest = max(r.occurred_at for r in rows)
        stmt = (
            sa_select(
                col(Engagement.member_id),
                col(Engagement.occurred_at),
                col(Engagement.id),
                col(Engagement.content_id),
                col(Content.community_id),
                col(Content.campaign_id),
            )
            .join(Content, col(Content.id) == col(Engagement.content_id))
            .where(
                col(Engagement.organization_id) == self.organization_id,
                col(Engagement.member_id).in_({r.member_id for r in rows}),
                col(Engagement.occurred_at) >= earliest,
                col(Engagement.occurred_at) <= latest,
            )
        )
        found = []
        for member, at, engagement, content, community, campaign in (
            await self.session.execute(stmt)
        ).all():
            assert engagement is not None  # selected rows always have their primary key
            found.append(_TouchRow(member, Touch(at, engagement, content), community, campaign))
        return found

    def _announce(self, row: Conversion) -> None:
        assert row.id is not None
        emit(
            self.session,
            organization_id=self.organization_id,
            name=CONVERSION_RECORDED,
            subject_type="Conversion",
            subject_id=row.id,
            payload={
                "externalId": row.external_id,
                "value": row.value,
                "occurredAt": row.occurred_at.isoformat(),
            },
        )

    async def credits(
        self, column: str, keys: Sequence[int], model: AttributionModel
    ) -> dict[int, tuple[int, float]]:
        """(conversions, credited value) per campaign or community id, from stored credits."""
        key = getattr(ConversionAttribution, column)
        stmt = (
            select(
                key,
                func.count(func.distinct(ConversionAttribution.conversion_id)),
                func.coalesce(func.sum(ConversionAttribution.credit), 0.0),
            )
            .where(
                col(ConversionAttribution.organization_id) == self.organization_id,
                col(ConversionAttribution.model) == model.value,
                key.in_(list(keys)),
            )
            .group_by(key)
        )
        found = dict.fromkeys(keys, (0, 0.0))
        for k, count, value in (await self.session.execute(stmt)).all():
            found[k] = (int(count), float(value))
        return found

    async def campaign_roi(
        self, campaign_ids: Sequence[int], model: AttributionModel
    ) -> dict[int, Roi]:
        """Value credited to each campaign's content over the campaign's budget."""
        credited = await self.credits("campaign_id", campaign_ids, model)
        budgets = await self._budgets(campaign_ids)
        return {k: _roi(*credited[k], budgets.get(k, 0.0)) for k in campaign_ids}

    async def community_roi(
        self, community_ids: Sequence[int], model: AttributionModel
    ) -> dict[int, Roi]:
        """Value credited to each community's content over the campaign budget spent there.

        A campaign's budget is spent across the communities of its content in proportion to how
        many of its (live) items each one holds.
        """
        credited = await self.credits("community_id", community_ids, model)
        costs = await self._community_costs(community_ids)
        return {k: _roi(*credited[k], costs.get(k, 0.0)) for k in community_ids}

    async def _budgets(self, campaign_ids: Sequence[int]) -> dict[int, float]:
        stmt = select(Campaign.id, Campaign.budget).where(
            col(Campaign.organization_id) == self.organization_id,
            col(Campaign.id).in_(list(campaign_ids)),
        )
        return {k: float(v) for k, v in (await self.session.execute(stmt)).all()}

    async def _community_costs(self, community_ids: Sequence[int]) -> dict[int, float]:
        live = (
            select(Content.campaign_id, Content.community_id, func.count().label("items"))
            .where(
                col(Content.organization_id) == self.organization_id,
                col(Content.campaign_id).is_not(None),
                col(Content.deleted_at).is_(None),
            )
            .group_by(col(Content.campaign_id), col(Content.community_id))
        )
        rows = (await self.session.execute(live)).all()
        per_campaign: dict[int, int] = {}
        for campaign_id, _, items in rows:
            per_campaign[campaign_id] = per_campaign.get(campaign_id, 0) + items
        budgets = await self._budgets(list(per_campaign))
        costs: dict[int, float] = {}
        for campaign_id, community_id, items in rows:
            if community_id in community_ids:
                share = budgets.get(campaign_id, 0.0) * items / per_campaign[campaign_id]
                costs[community_id] = costs.get(community_id, 0.0) + share
        return costs


def _roi(conversions: int, value: float, cost: float) -> Roi:
    # No spend means no ROI to speak of: null, as the metrics report does.
    return Roi(conversions, value, cost, roi(value, cost) if cost else None)


def _check_batch(
    drafts: Sequence[ConversionDraft], members: dict[int, int], problems: Problems
) -> None:
    if len(drafts) > MAX_BATCH:
        problems.add("items", f"at most {MAX_BATCH} conversions at once", "TOO_MANY")
        return
    seen: set[str] = set()
    for index, draft in enumerate(drafts):
        item = Problems((f"items.{index}",))
        check_draft(draft, item)
        if draft.external_id in seen:
            item.add("externalId", "the external id appears twice in the batch", "DUPLICATE")
        seen.add(draft.external_id)
        if index not in members and (draft.member_id or draft.member_handle) is not None:
            item.add("memberId", "member not found", "NOT_FOUND")
        problems.extend(item)
