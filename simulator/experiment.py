"""Experiments: every strategy over N seeds on common random numbers, with intervals.

Seed k of every strategy runs on the same ``SeedSequence`` child, so strategies share their
population, graph and every random draw their levers do not change; differences are then
paired by seed. Runs go to a local process pool, or to a Dask cluster when
``TOWNSQUARE_DASK_SCHEDULER`` names one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from simulator.engine import run
from simulator.population import organic_population
from simulator.result import RunResult
from simulator.scenario import Scenario
from simulator.stats import Interval, interval, paired_difference
from simulator.streams import make_streams

DASK_ENV = "TOWNSQUARE_DASK_SCHEDULER"
Progress = Callable[[int, int], None]
"""progress(done, total), called after each run completes."""


@dataclass
class ExperimentResult:
    """Runs by strategy (index = seed index) and their KPI intervals and paired differences."""

    scenario: Scenario
    seeds: int
    runs: dict[str, list[RunResult]]

    @property
    def strategies(self) -> list[str]:
        return list(self.runs)

    @property
    def kpis(self) -> list[str]:
        return list(next(iter(self.runs.values()))[0].summary)

    def values(self, strategy: str, kpi: str) -> np.ndarray:
        """One summary value per seed."""
        return np.array([r.summary[kpi] for r in self.runs[strategy]], dtype=np.float64)

    def summary(self) -> dict[str, dict[str, Interval]]:
        """KPI -> strategy -> mean with 95% CI."""
        return {k: {s: interval(self.values(s, k)) for s in self.runs} for k in self.kpis}

    def differences(self) -> dict[tuple[str, str], dict[str, Interval]]:
        """(a, b) -> KPI -> paired b - a with 95% CI, for every pair of strategies."""
        return {
            (a, b): {k: paired_difference(self.values(a, k), self.values(b, k)) for k in self.kpis}
            for a, b in combinations(self.runs, 2)
        }

    def daily_mean(self, strategy: str, kpi: str) -> np.ndarray:
        """The KPI's daily series averaged over seeds."""
        return np.nanmean(np.stack([r.daily[kpi] for r in self.runs[strategy]]), axis=0)


def _kept(result: RunResult) -> RunResult:
    # Sweeps keep KPIs only: per-post and per-member arrays would dominate what workers send back.
    return replace(
        result, cascade_sizes=np.empty(0, np.int64), posts_per_member=np.empty(0, np.int32)
    )


def run_task(scenario: Scenario, strategy: str, seed: np.random.SeedSequence) -> RunResult:
    """One strategy on one seed, as a sweep keeps it (a picklable top-level function)."""
    return _kept(run(scenario, strategy, seed))


def run_seed(
    scenario: Scenario, strategies: list[str], seed: np.random.SeedSequence
) -> list[RunResult]:
    """Every named strategy on one seed, building the seed's population and graph once."""
    organic = organic_population(scenario, make_streams(seed))
    return [_kept(run(scenario, name, seed, organic=organic)) for name in strategies]


def seed_sequences(base_seed: int, seeds: int) -> list[np.random.SeedSequence]:
    """Seed k of every strategy: the same child sequence (common random numbers)."""
    return np.random.SeedSequence(base_seed).spawn(seeds)


def plan_tasks(
    scenario: Scenario, seeds: int, base_seed: int = 0
) -> list[tuple[str, int, np.random.SeedSequence]]:
    """(strategy, seed index, seed sequence) of every run of an experiment."""
    sequences = seed_sequences(base_seed, seeds)
    return [(s.name, k, sequences[k]) for s in scenario.strategies for k in range(seeds)]


SeedTask = tuple[int, np.random.SeedSequence]
Finished = Iterator[tuple[str, int, RunResult]]


def _by_seed(scenario: Scenario, k: int, results: list[RunResult]) -> Finished:
    for strategy, result in zip(scenario.strategies, results, strict=True):
        yield strategy.name, k, result


def _inline(scenario: Scenario, tasks: list[SeedTask]) -> Finished:
    names = [s.name for s in scenario.strategies]
    for k, seq in tasks:
        yield from _by_seed(scenario, k, run_seed(scenario, names, seq))


def _pool(scenario: Scenario, tasks: list[SeedTask], workers: int) -> Finished:
    # One task per seed: its strategies share the population built once, and each task sends
    # back only the runs' KPIs (a few hundred kB), so two workers keep two cores busy.
    names = [s.name for s in scenario.strategies]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures: dict[Future[list[RunResult]], int] = {
            pool.submit(run_seed, scenario, names, seq): k for k, seq in tasks
        }
        for future in as_completed(futures):
            yield from _by_seed(scenario, futures[future], future.result())


def _dask(scenario: Scenario, tasks: list[SeedTask], address: str) -> Finished:
    from distributed import Client
    from distributed import as_completed as dask_completed

    names = [s.name for s in scenario.strategies]
    with Client(address) as client:
        futures = {client.submit(run_seed, scenario, names, seq, pure=False): k for k, seq in tasks}
        for future in dask_completed(list(futures)):
            yield from _by_seed(scenario, futures[future], future.result())


def run_experiment(
    scenario: Scenario,
    seeds: int = 10,
    *,
    base_seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ExperimentResult:
    """Run every strategy of the scenario over ``seeds`` seeds and collect the results.

    workers=1 runs in this process; otherwise a process pool of ``workers`` (default: CPU
    count), unless TOWNSQUARE_DASK_SCHEDULER is set, in which case the Dask scheduler at that
    address runs them.
    """
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    tasks = list(enumerate(seed_sequences(base_seed, seeds)))
    total = seeds * len(scenario.strategies)
    address = os.environ.get(DASK_ENV)
    if address:
        results = _dask(scenario, tasks, address)
    elif workers == 1 or len(tasks) == 1:
        results = _inline(scenario, tasks)
    else:
        results = _pool(scenario, tasks, workers or os.cpu_count() or 1)

    def reported() -> Finished:
        for done, item in enumerate(results, start=1):
            yield item
            if progress is not None:
                progress(done, total)

    return assemble(scenario, seeds, reported())


def assemble(
    scenario: Scenario, seeds: int, results: Iterable[tuple[str, int, RunResult]]
) -> ExperimentResult:
    """The experiment made of runs finished in any order (strategy, seed index, result)."""
    slots: dict[str, list[RunResult | None]] = {s.name: [None] * seeds for s in scenario.strategies}
    for name, k, result in results:
        slots[name][k] = result
    runs = {name: [r for r in row if r is not None] for name, row in slots.items()}
    return ExperimentResult(scenario=scenario, seeds=seeds, runs=runs)
