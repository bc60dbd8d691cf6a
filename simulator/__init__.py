"""Townsquare's strategy simulator: a vectorised agent-based model of a brand's community.

Members are rows of NumPy arrays and follows a SciPy sparse graph; a run steps in days under
one seeded ``numpy.random.Generator``. Scenarios (TOML or Python) pit strategies against one
another over many seeds on common random numbers; KPIs come from ``domain.metrics``.

Public entry points: ``load_scenario``/``builtin_scenario`` (scenarios), ``run`` (one
scenario, strategy and seed), ``run_experiment`` (strategies x seeds with confidence intervals).
"""

from simulator.engine import run
from simulator.experiment import ExperimentResult, run_experiment
from simulator.result import Events, FinalPopulation, RunResult
from simulator.scenario import Scenario, ScenarioError, Strategy, builtin_scenario, load_scenario
from simulator.sizes import SIZES, Size

__all__ = [
    "SIZES",
    "Events",
    "ExperimentResult",
    "FinalPopulation",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Size",
    "Strategy",
    "builtin_scenario",
    "load_scenario",
    "run",
    "run_experiment",
]
