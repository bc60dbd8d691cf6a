"""Queries of simulations: the organization's runs, newest first."""

from __future__ import annotations

import strawberry

from api.connections import from_page, page_request
from api.simulations.types import Simulation, SimulationConnection


@strawberry.type
class SimulationQuery:
    @strawberry.field(description="The organization's simulations, newest first.")
    async def simulations(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> SimulationConnection:
        context = info.context
        service = context.services.simulations
        page = await context.run(service.page, page_request(first, after, last, before))
        return from_page(
            SimulationConnection, page, Simulation.from_row, lambda: context.run(service.total)
        )
