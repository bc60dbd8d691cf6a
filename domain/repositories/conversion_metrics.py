"""The conversions of a metrics window, by organization or community.

An organization counts every conversion that occurred in the window at its full value; a
community counts the conversions credited to its content by linear attribution (the model the
dashboards use), with the credited share of their value, so the communities of an organization
add up to the value their content earned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.campaigns.tables import Conversion, ConversionAttribution
from domain.enums import AttributionModel
from domain.metrics.window import Window
from domain.repositories.metrics import Scope, midnight


async def conversion_inputs(
    session: AsyncSession, organization_id: int, scope: Scope, keys: Sequence[int], window: Window
) -> dict[int, tuple[int, float]]:
    """Each key's (conversions, value) that occurred within the window."""
    start, end = midnight(window.first), midnight(window.last + timedelta(days=1))
    in_window = (
        col(Conversion.organization_id) == organization_id,
        col(Conversion.occurred_at) >= start,
        col(Conversion.occurred_at) < end,
    )
    if scope is Scope.ORGANIZATION:
        if organization_id not in keys:
            return {}
        totals = select(func.count(), func.coalesce(func.sum(Conversion.value), 0.0)).where(
            *in_window
        )
        count, value = (await session.execute(totals)).one()
        return {organization_id: (int(count), float(value))}
    credited = col(ConversionAttribution.community_id)
    stmt = (
        select(
            credited,
            func.count(func.distinct(ConversionAttribution.conversion_id)),
            func.coalesce(func.sum(ConversionAttribution.credit), 0.0),
        )
        .join(Conversion, col(Conversion.id) == col(ConversionAttribution.conversion_id))
        .where(
            *in_window,
            col(ConversionAttribution.model) == AttributionModel.LINEAR.value,
            credited.in_(list(keys)),
        )
        .group_by(credited)
    )
    return {k: (int(n), float(v)) for k, n, v in (await session.execute(stmt)).all()}
