"""Mutations of simulations: `simulationRun` checks a request and queues it."""

from __future__ import annotations

import strawberry

from api.errors import UserError, user_errors
from api.payloads import audit_scope
from api.simulations.catalogue import DEFAULT_SEEDS, SimulationRequest, draft_of
from api.simulations.runner import SimulationRunner
from api.simulations.types import Simulation
from domain.audit.scope import audited
from domain.errors import DomainError


@strawberry.input(description="A strategy experiment: strategies of a built-in scenario.")
class SimulationRunInput:
    scenario: str = strawberry.field(description="A built-in scenario (`townsquare scenarios`).")
    strategies: list[str] | None = strawberry.field(
        default=None, description="Strategies to compare; all of the scenario's when left out."
    )
    seeds: int = strawberry.field(default=DEFAULT_SEEDS, description="Seeds per strategy, 2-20.")
    days: int | None = strawberry.field(
        default=None, description="Horizon in days, 1-365; the scenario's when left out."
    )
    members: int | None = strawberry.field(
        default=None, description="Initial members, 50-5000; the scenario's (capped) when left out."
    )
    seed: int = strawberry.field(default=0, description="Base seed: same inputs, same numbers.")


@strawberry.type
class SimulationRunPayload:
    simulation: Simulation | None = strawberry.field(
        description="The queued run; poll it through `node(id:)` or `simulationProgress`."
    )
    user_errors: list[UserError]


@strawberry.type
class SimulationMutation:
    @strawberry.mutation(
        description="Queue a strategy experiment; it runs in the background, one at a time."
    )
    async def simulation_run(
        self, info: strawberry.Info, input: SimulationRunInput
    ) -> SimulationRunPayload:
        context = info.context
        runner: SimulationRunner = context.request.app.state.simulations
        request = SimulationRequest(
            scenario=input.scenario,
            strategies=None if input.strategies is None else tuple(input.strategies),
            seeds=input.seeds,
            days=input.days,
            members=input.members,
            seed=input.seed,
        )
        try:
            draft = draft_of(request, context.principal.key_id)
            # Audited like every mutation (it does not go through `perform`).
            with audited(context.session, audit_scope(info)):
                row = await context.run(context.services.simulations.request, draft, runner.name)
        except DomainError as error:
            return SimulationRunPayload(simulation=None, user_errors=user_errors(error))
        context.after_write()
        assert row.id is not None
        runner.submit(row.id)
        return SimulationRunPayload(simulation=Simulation.from_row(row), user_errors=[])
