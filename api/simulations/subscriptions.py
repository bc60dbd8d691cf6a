"""Live simulations: a run each time it advances, and when it finishes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from api.ids import decode_id_of
from api.simulations.runner import SIMULATION_PROGRESS
from api.simulations.types import Simulation
from api.subscriptions.streams import live_context, live_nodes
from domain.events import SIMULATION_FINISHED


@strawberry.type
class SimulationSubscription:
    @strawberry.subscription(
        description="The simulation after each finished run, and once more when it ends."
    )
    async def simulation_progress(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> AsyncGenerator[Simulation, None]:
        row_id = await _simulation(info, id)
        return live_nodes(
            info,
            (SIMULATION_PROGRESS, SIMULATION_FINISHED),
            Simulation,
            lambda event: event.subject_id == row_id,
        )


async def _simulation(info: strawberry.Info, simulation_id: str) -> int:
    """The row id of a simulation of the caller's; another tenant's answers like an unknown."""
    context = live_context(info)
    row_id = decode_id_of(simulation_id, {"Simulation"})
    if row_id is not None:
        async with context.event_scope():
            if await context.loaders.simulations.simulations.load(row_id) is not None:
                return row_id
    raise GraphQLError(
        "No simulation has this id.", extensions={"code": "NOT_FOUND", "field": ["id"]}
    )
