"""The `townsquare` command line: serve, migrate, export the schema, manage tenants, seed a demo."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from domain.db import Database, configured_url
from domain.enums import ApiKeyRole
from domain.errors import Conflict, DomainError
from domain.services.organizations import OrganizationService, TopicDraft
from simulator.cli import register

if TYPE_CHECKING:
    from domain.demo import SeedReport

T = TypeVar("T")

app = typer.Typer(
    name="townsquare",
    help="Townsquare: GraphQL community management for brands.",
    no_args_is_help=True,
    add_completion=False,
)
org_app = typer.Typer(help="Manage organizations (tenants).", no_args_is_help=True)
apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(apikey_app, name="apikey")

console = Console()
errors = Console(stderr=True)

DATABASE_OPTION_HELP = "Database URL (default: TOWNSQUARE_DATABASE_URL or ./townsquare.db)"


def _database(url: str | None) -> Database:
    return Database(url or configured_url(), pool_size=2)


def _run(database: Database, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run async `work` against `database`, always releasing its connections."""

    async def main() -> T:
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _fail(error: DomainError) -> NoReturn:
    for problem in error.problems:
        field = ".".join(problem.field)
        errors.print(f"[red]error[/red] {field}: {problem.message} ({problem.code})")
    raise typer.Exit(1)


# ------------------------------------------------------------------------------------------
# serve, migrate, export-schema
# ------------------------------------------------------------------------------------------


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on"),
    workers: int = typer.Option(1, min=1, help="Worker processes"),
    reload: bool = typer.Option(False, "--reload", help="Restart when code changes (development)"),
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql in development)."""
    import uvicorn

    console.print(f"Serving Townsquare on http://{host}:{port}/graphql")
    # An import string and a factory, so each worker process builds its own app and engine.
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
    )


@app.command()
def migrate(
    revision: str = typer.Option("head", help="Revision to upgrade to"),
    downgrade: str | None = typer.Option(
        None, "--downgrade", metavar="REV", help="Downgrade to REV instead (e.g. base)"
    ),
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Apply the schema migrations (or undo them with --downgrade)."""
    from domain import schema_version

    async def work(db: Database) -> tuple[str | None, str | None]:
        before = await schema_version.current_revision(db)
        if downgrade is not None:
            await schema_version.downgrade(db, downgrade)
        else:
            await schema_version.upgrade(db, revision)
        return before, await schema_version.current_revision(db)

    target = _database(database)
    before, after = _run(target, work)
    console.print(f"Database revision: {before or 'base'} -> {after or 'base'}")


@app.command("export-schema")
def export_schema(
    path: Path = typer.Option(Path("schema.graphql"), help="Where to write the SDL"),
) -> None:
    """Write the GraphQL schema (SDL) to a file."""
    # Imported here: building the schema loads the whole API, which other commands do not need.
    from api.schema import export_schema as write_schema

    written = write_schema(path)
    console.print(f"Wrote the GraphQL schema to {written}")


# ------------------------------------------------------------------------------------------
# org, apikey
# ------------------------------------------------------------------------------------------


def _topic_draft(text: str) -> TopicDraft:
    slug, sep, name = text.partition(":")
    if not sep or not slug.strip() or not name.strip():
        raise typer.BadParameter(f"{text!r}: write a topic as slug:Name", param_hint="--topic")
    return TopicDraft(slug=slug.strip(), name=name.strip())


@org_app.command("create")
def org_create(
    slug: str = typer.Argument(..., help="Short id: lower-case letters, digits and '-'"),
    name: str = typer.Option(..., "--name", help="Display name"),
    topic: list[str] = typer.Option([], "--topic", help="A topic as slug:Name (repeatable)"),
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Create an organization, optionally with its first topics."""
    drafts = [_topic_draft(t) for t in topic]

    async def work(db: Database) -> tuple[int, list[str]]:
        async with db.session() as session:
            service = OrganizationService(session)
            organization = await service.create(slug, name)
            assert organization.id is not None
            made = [(await service.add_topic(organization.id, d)).slug for d in drafts]
            return organization.id, made

    try:
        organization_id, topics = _run(_database(database), work)
    except DomainError as error:
        _fail(error)
    console.print(f"Created organization [bold]{slug}[/bold] (id {organization_id})")
    if topics:
        console.print("Topics: " + ", ".join(topics))


@apikey_app.command("create")
def apikey_create(
    org: str = typer.Option(..., "--org", help="Slug of the organization"),
    role: ApiKeyRole = typer.Option(
        ..., "--role", case_sensitive=False, help="What the key may do"
    ),
    name: str = typer.Option("", "--name", help="A label to recognise the key by"),
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Create an API key; it is printed once and only its hash is stored."""

    async def work(db: Database) -> str:
        async with db.session() as session:
            service = OrganizationService(session)
            organization = await service.by_slug(org)
            assert organization.id is not None
            issued = await service.issue_key(organization.id, role, name)
            return issued.secret

    try:
        secret = _run(_database(database), work)
    except DomainError as error:
        _fail(error)
    console.print(f"API key ({role.value}) for [bold]{org}[/bold]:")
    console.print(secret, markup=False, highlight=False, soft_wrap=True)
    console.print("Store it now: Townsquare keeps only its hash and cannot show it again.")


# ------------------------------------------------------------------------------------------
# seed
# ------------------------------------------------------------------------------------------


class _SeedProgress:
    """A Rich progress bar with one line per step of the seed."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        if step not in self.tasks:
            self.tasks[step] = self.progress.add_task(step.replace("_", " "), total=total)
        self.progress.update(self.tasks[step], completed=done, total=total)


def _example_curl(key: str) -> str:
    query = '{"query": "{ communities(first: 5) { totalCount nodes { id name platform } } }"}'
    return (
        "curl -s http://127.0.0.1:8000/graphql "
        f"-H 'Authorization: Bearer {key}' "
        f"-H 'Content-Type: application/json' -d '{query}'"
    )


@app.command()
def seed(
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same demo"),
    members: int = typer.Option(300, min=1, help="Members to create"),
    communities: int = typer.Option(8, min=1, help="Communities to create"),
    org: str = typer.Option("demo", "--org", help="Slug of the demo organization"),
    reset: bool = typer.Option(False, "--reset", help="Replace the organization if it exists"),
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Fill the database with a demo organization, then print an owner API key."""
    # Imported here: Faker and NumPy load slowly, and only this command needs them.
    from domain import schema_version
    from domain.demo import DemoSpec, seed_demo

    spec = DemoSpec(seed=seed, members=members, communities=communities, organization_slug=org)
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )

    async def work(db: Database) -> tuple[SeedReport, str]:
        await schema_version.upgrade(db)
        with Progress(*columns, console=console) as bar:
            report = await seed_demo(db, spec, reset=reset, on_progress=_SeedProgress(bar))
        async with db.session() as session:
            issued = await OrganizationService(session).issue_key(
                report.organization_id, ApiKeyRole.OWNER, "demo (seed)"
            )
        return report, issued.secret

    try:
        report, secret = _run(_database(database), work)
    except Conflict:
        console.print(
            f"The organization [bold]{org}[/bold] exists already; nothing to do. "
            "Pass --reset to seed it again, or make a key with "
            f"`townsquare apikey create --org {org} --role owner`."
        )
        return
    except DomainError as error:
        _fail(error)
    _print_seed_report(org, report, secret)


def _print_seed_report(org: str, report: SeedReport, secret: str) -> None:
    table = Table(title=f"Seeded organization {org}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in report.counts.items():
        table.add_row(name.replace("_", " "), f"{count:,}")
    table.add_row("[bold]total[/bold]", f"[bold]{report.rows:,}[/bold]")
    console.print(table)
    seconds = report.generate_seconds + report.write_seconds
    console.print(
        f"Generated in {report.generate_seconds:.1f}s, written in {report.write_seconds:.1f}s "
        f"({report.rows / max(seconds, 1e-9):,.0f} rows/s)"
    )
    console.print("Demo API key (owner), shown once:")
    console.print(secret, markup=False, highlight=False, soft_wrap=True)
    console.print("Try it (with `townsquare serve` running):")
    console.print(_example_curl(secret), markup=False, highlight=False, soft_wrap=True)


# Simulator commands (`simulate`, `scenarios`) live with the simulator and join this app here.
register(app)


if __name__ == "__main__":
    app()
