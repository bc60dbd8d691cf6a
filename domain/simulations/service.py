"""Requesting simulations (per organization) and recording how each run goes (per server).

`SimulationService` is what a caller of the API uses: it checks the size caps, so the API
cannot be used to burn the CPU, and queues a run. `SimulationLedger` is what the process that
runs simulations uses: it claims, advances, finishes and fails runs of any organization, and
fails the runs whose server stopped saying it is alive (a restart loses no run silently).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.db import transaction
from domain.enums import SimulationStatus
from domain.events import SIMULATION_FINISHED, emit
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository
from domain.simulations.tables import Simulation
from domain.timeutil import utcnow
from domain.validation import Problems

MIN_SEEDS, MAX_SEEDS = 2, 20
MIN_DAYS, MAX_DAYS = 1, 365
MIN_MEMBERS, MAX_MEMBERS = 50, 5_000
MAX_STRATEGIES = 6
# Member-days over every run of one request (members x days x seeds x strategies): about a
# minute of one core on this project's machine.
MAX_WORK = 20_000_000
# Runs an organization may have queued or running at once.
MAX_ACTIVE = 3
ACTIVE = (SimulationStatus.QUEUED.value, SimulationStatus.RUNNING.value)
NEWEST_FIRST = Ordering((Simulation.id,), descending=True)
SUBJECT = "Simulation"


@dataclass(frozen=True)
class SimulationDraft:
    """What to run: strategies of a scenario (names checked by the caller), sizes, a seed."""

    scenario: str
    strategies: tuple[str, ...]
    seeds: int
    days: int
    members: int
    base_seed: int = 0
    key_id: int | None = None


class SimulationRepository(TenantRepository[Simulation]):
    model = Simulation


def check_sizes(draft: SimulationDraft, problems: Problems) -> None:
    """The caps on one request: each size, the number of strategies and the total work."""
    problems.within("seeds", draft.seeds, MIN_SEEDS, MAX_SEEDS)
    problems.within("days", draft.days, MIN_DAYS, MAX_DAYS)
    problems.within("members", draft.members, MIN_MEMBERS, MAX_MEMBERS)
    problems.within("seed", draft.base_seed, 0, 2**31 - 1)
    if not draft.strategies:
        problems.add("strategies", "name at least one strategy", "BLANK")
    elif len(draft.strategies) > MAX_STRATEGIES:
        problems.add(
            "strategies", f"compare at most {MAX_STRATEGIES} strategies at once", "OUT_OF_RANGE"
        )
    elif len(set(draft.strategies)) != len(draft.strategies):
        problems.add("strategies", "each strategy may be named once", "DUPLICATE")
    work = draft.members * draft.days * draft.seeds * max(len(draft.strategies), 1)
    if not problems.items and work > MAX_WORK:
        problems.add(
            "members",
            f"members x days x seeds x strategies is {work:,}; at most {MAX_WORK:,} per request",
            "OUT_OF_RANGE",
        )


class SimulationService:
    """An organization's simulations: request one, read them."""

    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self.repo = SimulationRepository(session, organization_id)

    async def request(self, draft: SimulationDraft, runner: str) -> Simulation:
        """Queue a run on `runner` (the process that will run it), after checking the caps."""
        problems = Problems()
        check_sizes(draft, problems)
        problems.raise_if_any()
        async with transaction(self.session):
            if await self._active() >= MAX_ACTIVE:
                problems.add(
                    "scenario",
                    f"at most {MAX_ACTIVE} simulations may be queued or running at once; "
                    "wait for one to finish",
                    "TOO_MANY_ACTIVE",
                )
                problems.raise_if_any()
            simulation = self.repo.add(
                Simulation(
                    organization_id=self.organization_id,
                    scenario=draft.scenario,
                    strategies=list(draft.strategies),
                    seeds=draft.seeds,
                    days=draft.days,
                    members=draft.members,
                    base_seed=draft.base_seed,
                    status=SimulationStatus.QUEUED.value,
                    total=draft.seeds * len(draft.strategies),
                    requested_by_key_id=draft.key_id,
                    runner=runner,
                )
            )
            await self.session.flush()
        return simulation

    async def _active(self) -> int:
        stmt = self.repo.scoped().where(col(Simulation.status).in_(ACTIVE))
        return await self.repo.count(stmt)

    async def get_many(self, simulation_ids: Sequence[int]) -> dict[int, Simulation]:
        return await self.repo.get_many(simulation_ids)

    async def page(self, request: PageRequest) -> Page[Simulation]:
        return await self.repo.page(self.repo.scoped(), NEWEST_FIRST, request)

    async def total(self) -> int:
        return await self.repo.count(self.repo.scoped())


class SimulationLedger:
    """The running side: state changes of runs of any organization, each in a transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, simulation_id: int) -> Simulation | None:
        return await self.session.get(Simulation, simulation_id, populate_existing=True)

    async def start(self, simulation_id: int, runner: str) -> Simulation | None:
        """Mark a queued run running on `runner`; None when it is no longer queued."""
        async with transaction(self.session):
            simulation = await self.get(simulation_id)
            if simulation is None or simulation.status != SimulationStatus.QUEUED.value:
                return None
            now = utcnow()
            simulation.status = SimulationStatus.RUNNING.value
            simulation.runner = runner
            simulation.started_at = simulation.heartbeat_at = now
        return simulation

    async def advance(self, simulation_id: int, done: int) -> None:
        async with transaction(self.session):
            await self.session.execute(
                update(Simulation)
                .where(col(Simulation.id) == simulation_id)
                .values(done=done, heartbeat_at=utcnow())
            )

    async def succeed(self, simulation_id: int, summary: dict[str, Any]) -> Simulation | None:
        return await self._finish(simulation_id, SimulationStatus.SUCCEEDED, summary=summary)

    async def fail(self, simulation_id: int, reason: str) -> Simulation | None:
        return await self._finish(simulation_id, SimulationStatus.FAILED, error=reason)

    async def _finish(
        self,
        simulation_id: int,
        status: SimulationStatus,
        *,
        summary: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> Simulation | None:
        async with transaction(self.session):
            simulation = await self.get(simulation_id)
            if simulation is None or simulation.status not in ACTIVE:
                return None
            _close(self.session, simulation, status, summary, error)
        return simulation

    async def heartbeat(self, runner: str) -> None:
        """Say that `runner` is alive, for each of its queued and running runs."""
        async with transaction(self.session):
            await self.session.execute(
                update(Simulation)
                .where(col(Simulation.runner) == runner, col(Simulation.status).in_(ACTIVE))
                .values(heartbeat_at=utcnow())
            )

    async def abandon_stale(self, silent_since: datetime, reason: str) -> list[int]:
        """Fail every queued or running run whose server has been silent since `silent_since`."""
        async with transaction(self.session):
            stale = (
                await self.session.scalars(
                    select(Simulation)
                    .where(
                        col(Simulation.status).in_(ACTIVE),
                        col(Simulation.heartbeat_at) < silent_since,
                    )
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for simulation in stale:
                _close(self.session, simulation, SimulationStatus.FAILED, None, reason)
        return [s.id for s in stale if s.id is not None]

    async def active_count(self) -> int:
        stmt = select(func.count()).where(col(Simulation.status).in_(ACTIVE))
        return int((await self.session.execute(stmt)).scalar_one())


def _close(
    session: AsyncSession,
    simulation: Simulation,
    status: SimulationStatus,
    summary: dict[str, Any] | None,
    error: str | None,
) -> None:
    simulation.status = status.value
    simulation.finished_at = simulation.heartbeat_at = utcnow()
    if summary is not None:
        simulation.summary = summary
        simulation.done = simulation.total
    if error is not None:
        simulation.error = error[:500]
    session.add(simulation)
    emit(
        session,
        organization_id=simulation.organization_id,
        name=SIMULATION_FINISHED,
        payload={"simulationId": simulation.id, "status": status.value, "error": error},
        subject_type=SUBJECT,
        subject_id=simulation.id,
    )
