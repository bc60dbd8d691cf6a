"""GraphQL types of simulations: the run, its progress, and its summary with intervals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from api.connections import Connection
from api.nodes import load_nodes
from domain.enums import SimulationStatus as DomainStatus
from domain.simulations.tables import Simulation as SimulationRow


@strawberry.enum(description="Where a simulation stands.")
class SimulationStatus(Enum):
    QUEUED = DomainStatus.QUEUED.value
    RUNNING = DomainStatus.RUNNING.value
    SUCCEEDED = DomainStatus.SUCCEEDED.value
    FAILED = DomainStatus.FAILED.value


@strawberry.type(description="Runs (strategy x seed) finished out of all of them.")
class SimulationProgress:
    done: int
    total: int

    @strawberry.field(description="done / total, from 0 to 1.")
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@strawberry.type(description="A KPI's mean over seeds for one strategy, with its 95% interval.")
class SimulationEstimate:
    kpi: str
    strategy: str
    mean: float | None = strawberry.field(description="Null when no seed produced a value.")
    low: float | None = strawberry.field(description="Null with fewer than two values.")
    high: float | None
    n: int = strawberry.field(description="Seeds that produced a value.")


@strawberry.type(
    description="`strategy` minus `baseline` on one KPI, paired by seed, with its 95% interval."
)
class SimulationDifference:
    kpi: str
    baseline: str
    strategy: str
    mean: float | None
    low: float | None
    high: float | None
    n: int
    excludes_zero: bool = strawberry.field(
        description="Whether the interval lies wholly on one side of zero: a clear difference."
    )


@strawberry.type(description="What a finished simulation found, for a comparison chart.")
class SimulationSummary:
    kpis: list[str]
    strategies: list[str]
    estimates: list[SimulationEstimate]
    differences: list[SimulationDifference]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimulationSummary:
        return cls(
            kpis=list(data["kpis"]),
            strategies=list(data["strategies"]),
            estimates=[SimulationEstimate(**e) for e in data["estimates"]],
            differences=[
                SimulationDifference(
                    **{k: v for k, v in d.items() if k != "excludesZero"},
                    excludes_zero=d["excludesZero"],
                )
                for d in data["differences"]
            ],
        )


@strawberry.type(description="A strategy experiment run in the background on a scenario.")
class Simulation(relay.Node):
    id: relay.NodeID[int]
    scenario: str
    strategies: list[str]
    seeds: int
    days: int
    members: int
    seed: int = strawberry.field(description="The base seed: the same inputs give the same run.")
    status: SimulationStatus
    progress: SimulationProgress
    summary: SimulationSummary | None = strawberry.field(
        description="KPI means with intervals and differences; null until it succeeded."
    )
    error: str | None = strawberry.field(description="Why it failed, when it did.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: SimulationRow) -> Simulation:
        assert row.id is not None
        return cls(
            id=row.id,
            scenario=row.scenario,
            strategies=list(row.strategies),
            seeds=row.seeds,
            days=row.days,
            members=row.members,
            seed=row.base_seed,
            status=SimulationStatus(row.status),
            progress=SimulationProgress(done=row.done, total=row.total),
            summary=None if row.summary is None else SimulationSummary.from_json(row.summary),
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(
            info.context.loaders.simulations.simulations, cls.from_row, node_ids
        )


@strawberry.type(description="A page of simulations, newest first.")
class SimulationConnection(Connection[Simulation]):
    pass
