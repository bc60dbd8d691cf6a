"""The ``simulate`` and ``scenarios`` commands, added to the main Typer app by ``register``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.experiment import run_experiment
from simulator.report import write_report
from simulator.scenario import ScenarioError, builtin_names, builtin_scenario, resolve_scenario


def scenarios() -> None:
    """List the built-in scenarios, one line each."""
    for name in builtin_names():
        scenario = builtin_scenario(name)
        strategies = ", ".join(s.name for s in scenario.strategies)
        typer.echo(f"{name:<22} {scenario.description} [{strategies}]")


def simulate(
    scenario: str = typer.Argument(..., help="A built-in scenario name or a path to a TOML file"),
    strategy: list[str] = typer.Option(
        [], "--strategy", "-s", help="Strategies to compare (default: all)"
    ),
    seeds: int = typer.Option(10, min=1, max=10_000, help="Seeds per strategy"),
    days: int | None = typer.Option(None, min=1, max=3_650, help="Override the horizon"),
    members: int | None = typer.Option(None, min=10, help="Override the initial population"),
    out: Path = typer.Option(Path("reports/simulation"), help="Output directory"),
    workers: int | None = typer.Option(None, min=1, help="Processes (default: all cores)"),
    seed: int = typer.Option(0, help="Base seed"),
) -> None:
    """Run a scenario's strategies over many seeds and write CSVs, charts and report.html."""
    console = Console(stderr=True)
    try:
        chosen = resolve_scenario(scenario).resized(members=members, days=days)
        if strategy:
            chosen = chosen.only(strategy)
    except ScenarioError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    total = len(chosen.strategies) * seeds
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"simulating {chosen.name}", total=total)
        result = run_experiment(
            chosen, seeds, base_seed=seed, workers=workers,
            progress=lambda done, _total: bar.update(task, completed=done),
        )  # fmt: skip
    files = write_report(result, out)
    for path in files:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add the simulator's commands to a Typer app."""
    app.command("simulate")(simulate)
    app.command("scenarios")(scenarios)
