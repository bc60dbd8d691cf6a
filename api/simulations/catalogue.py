"""Checking a request against the simulator's catalogue: built-in scenarios only (a path
would let a caller read the server's files), strategies the scenario has, sizes within caps."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import FieldProblem, ValidationFailed
from domain.simulations.service import MAX_DAYS, MAX_MEMBERS, SimulationDraft
from simulator.scenario import Scenario, ScenarioError, builtin_names, builtin_scenario

DEFAULT_SEEDS = 5


@dataclass(frozen=True)
class SimulationRequest:
    """A request as the API receives it: names to check, sizes that may be left out."""

    scenario: str
    strategies: tuple[str, ...] | None
    seeds: int
    days: int | None
    members: int | None
    seed: int = 0


def draft_of(request: SimulationRequest, key_id: int | None) -> SimulationDraft:
    """The domain draft of a request naming a built-in scenario and strategies it has."""
    scenario = _scenario(request.scenario)
    known = [s.name for s in scenario.strategies]
    chosen = request.strategies if request.strategies is not None else tuple(known)
    unknown = [
        FieldProblem(
            ("strategies", str(index)),
            f"scenario {scenario.name!r} has no strategy {name!r} (known: {', '.join(known)})",
            "UNKNOWN_STRATEGY",
        )
        for index, name in enumerate(chosen)
        if name not in known
    ]
    if unknown:
        raise ValidationFailed(unknown)
    return SimulationDraft(
        scenario=scenario.name,
        strategies=chosen,
        seeds=request.seeds,
        days=request.days if request.days is not None else min(scenario.days, MAX_DAYS),
        members=(
            request.members
            if request.members is not None
            else min(scenario.population.members, MAX_MEMBERS)
        ),
        base_seed=request.seed,
        key_id=key_id,
    )


def _scenario(name: str) -> Scenario:
    if name not in builtin_names():
        raise ValidationFailed.single(
            "scenario",
            f"no built-in scenario {name!r} (built-ins: {', '.join(builtin_names())})",
            "UNKNOWN_SCENARIO",
        )
    return builtin_scenario(name)


def scenario_for(scenario: str, strategies: list[str], members: int, days: int) -> Scenario:
    """The scenario a stored simulation runs: resized, with only its strategies."""
    try:
        return builtin_scenario(scenario).resized(members=members, days=days).only(strategies)
    except ScenarioError as error:
        raise ValueError(str(error)) from error
