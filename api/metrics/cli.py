"""Metrics commands of the `townsquare` CLI: recompute rollups (and the periodic metric jobs)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from domain.db import Database, configured_url
from domain.errors import DomainError

T = TypeVar("T")
Progressed = Callable[[int, int], None]
console = Console()
DATABASE_HELP = "Database URL (default: TOWNSQUARE_DATABASE_URL or ./townsquare.db)"
rollups_app = typer.Typer(help="Daily rollups behind the metrics.", no_args_is_help=True)
influence_app = typer.Typer(help="Influencer ranking over the follow graph.", no_args_is_help=True)
orbit_app = typer.Typer(help="Love and orbit levels of memberships.", no_args_is_help=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _job(
    label: str, database: str | None, job: Callable[[Database, Progressed], Awaitable[T]]
) -> T:
    """Run a periodic job with a progress bar; a domain refusal exits 1 with its message."""

    async def work() -> T:
        db = Database(database or configured_url(), pool_size=2, cross_tenant=True)
        try:
            with _progress() as bar:
                task = bar.add_task(label, total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return await job(db, advance)
        finally:
            await db.dispose()

    try:
        return asyncio.run(work())
    except DomainError as error:
        for problem in error.problems:
            console.print(f"[red]error[/red] {problem.message} ({problem.code})")
        raise typer.Exit(1) from error


@rollups_app.command("rebuild")
def rollups_rebuild(
    community: int | None = typer.Option(None, "--community", help="Only this community id"),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Recompute the daily rollups from raw rows (all communities, or one)."""
    from domain.rollups.rebuild import rebuild

    communities, rows = _job(
        "communities",
        database,
        lambda db, advance: rebuild(db, community_id=community, on_progress=advance),
    )
    console.print(f"Rebuilt {communities} communities: {rows:,} day rows.")


@influence_app.command("recompute")
def influence_recompute(
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Rank members by PageRank over the follow graph and the quality they bring."""
    from domain.influence import recompute_all

    organizations, rows = _job(
        "organizations", database, lambda db, advance: recompute_all(db, on_progress=advance)
    )
    console.print(f"Scored {rows:,} memberships in {organizations} organizations.")


@orbit_app.command("reevaluate")
def orbit_reevaluate(
    community: int | None = typer.Option(None, "--community", help="Only this community id"),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Recompute love over the last 90 days and move memberships up or down their orbits."""
    from domain.orbit import reevaluate_all

    communities, changes = _job(
        "communities",
        database,
        lambda db, advance: reevaluate_all(db, community_id=community, on_progress=advance),
    )
    console.print(f"Re-evaluated {communities} communities: {changes:,} orbit changes.")


def register(app: typer.Typer) -> None:
    """Add the metrics commands to the main CLI."""
    app.add_typer(rollups_app, name="rollups")
    app.add_typer(influence_app, name="influence")
    app.add_typer(orbit_app, name="orbit")
