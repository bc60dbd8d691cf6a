"""The `townsquare` command line: serve, migrate, export the schema, manage tenants, seed a demo."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

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

from api.exports import register as register_exports
from api.keys.cli import register as register_keys
from api.metrics.cli import register as register_metrics
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
webhooks_app = typer.Typer(help="Deliver webhooks.", no_args_is_help=True)
idempotency_app = typer.Typer(help="Manage Idempotency-Key records.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(apikey_app, name="apikey")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(idempotency_app, name="idempotency")

console = Console()
errors = Console(stderr=True)

DATABASE_OPTION_HELP = "Database URL (default: TOWNSQUARE_DATABASE_URL or ./townsquare.db)"


def _database(url: str | None) -> Database:
    # Admin commands work on every organization: past PostgreSQL's row-level security.
    return Database(url or configured_url(), pool_size=2, cross_tenant=True)


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
    pool_size: int | None = typer.Option(
        None, "--pool-size", min=1, help="Database connections per worker (TOWNSQUARE_DB_POOL_SIZE)"
    ),
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql in development)."""
    from api import serving

    serving.prepare_workers(workers, pool_size)
    console.print(f"Serving Townsquare on http://{host}:{port}/graphql (metrics at /metrics)")
    # An import string and a factory, so each worker process builds its own app and engine.
    serving.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        # The app writes its own JSON access line per request, with the request id.
        access_log=False,
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


_SEED_COLUMNS = (
    TextColumn("{task.description:<16}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


def _seed_work(
    seeder: Callable[[Database, _SeedProgress], Awaitable[SeedReport]],
) -> Callable[[Database], Awaitable[tuple[SeedReport, str]]]:
    """Migrate, seed with a progress bar, then issue an owner key for the new organization."""
    from domain import schema_version

    async def work(db: Database) -> tuple[SeedReport, str]:
        await schema_version.upgrade(db)
        with Progress(*_SEED_COLUMNS, console=console) as bar:
            report = await seeder(db, _SeedProgress(bar))
        async with db.session() as session:
            issued = await OrganizationService(session).issue_key(
                report.organization_id, ApiKeyRole.OWNER, "demo (seed)"
            )
        return report, issued.secret

    return work


def _simulated_seeder(
    scenario: str,
    strategy: str | None,
    members: int | None,
    days: int | None,
    seed: int,
    communities: int,
    org: str,
    reset: bool,
) -> Callable[[Database, _SeedProgress], Awaitable[SeedReport]]:
    from simulator.scenario import ScenarioError, resolve_scenario
    from simulator.seeding import SimulatedSeed, seed_simulated

    try:
        chosen = resolve_scenario(scenario).resized(members=members, days=days)
        name = strategy or chosen.strategies[0].name
        chosen.strategy(name)
    except ScenarioError as error:
        errors.print(f"[red]error[/red] scenario: {error}")
        raise typer.Exit(2) from None
    spec = SimulatedSeed(scenario=chosen, strategy=name, seed=seed, communities=communities)
    return lambda db, progress: seed_simulated(
        db, spec, slug=org, reset=reset, on_progress=progress
    )


@app.command()
def seed(
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same demo"),
    members: int | None = typer.Option(
        None, min=1, help="Members to create (with --scenario: the initial population)"
    ),
    communities: int | None = typer.Option(
        None, min=1, help="Communities to create (default 8, or 3 with --scenario)"
    ),
    scenario: str | None = typer.Option(
        None, "--scenario", help="Seed from a simulation of this scenario (name or TOML path)"
    ),
    strategy: str | None = typer.Option(
        None, "--strategy", help="The scenario's strategy to simulate (default: its first)"
    ),
    days: int | None = typer.Option(
        None, min=1, max=3_650, help="With --scenario: override the simulated horizon"
    ),
    org: str = typer.Option("demo", "--org", help="Slug of the demo organization"),
    reset: bool = typer.Option(False, "--reset", help="Replace the organization if it exists"),
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Fill the database with a demo organization, then print an owner API key.

    Without --scenario the demo is drawn directly (Faker and NumPy); with it, the community
    is the final state and event log of one simulated run of the scenario.
    """
    # Imported here: Faker and NumPy load slowly, and only this command needs them.
    from domain.demo import DemoSpec, seed_demo

    if scenario is not None:
        seeder = _simulated_seeder(
            scenario, strategy, members, days, seed, communities or 3, org, reset
        )
    else:
        if strategy is not None or days is not None:
            errors.print("[red]error[/red] --strategy and --days need --scenario")
            raise typer.Exit(2)
        spec = DemoSpec(
            seed=seed, members=members or 300, communities=communities or 8, organization_slug=org
        )
        seeder = lambda db, progress: seed_demo(  # noqa: E731
            db, spec, reset=reset, on_progress=progress
        )
    try:
        report, secret = _run(_database(database), _seed_work(seeder))
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


# ------------------------------------------------------------------------------------------
# webhooks
# ------------------------------------------------------------------------------------------


@webhooks_app.command("deliver")
def webhooks_deliver(
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Run the webhook dispatcher once: turn new events into deliveries, send the due ones.

    For cron, beside or instead of the server's own background dispatcher; several may run at
    once, since each delivery is claimed by one of them.
    """
    from api.settings import is_production
    from domain.webhooks.dispatch import DeliverySettings, Dispatcher

    settings = DeliverySettings(allow_private=not is_production())

    async def work(db: Database) -> tuple[int, int]:
        return await Dispatcher(db, settings).run_once()

    created, sent = _run(_database(database), work)
    console.print(f"Webhooks: {created} new deliveries, {sent} attempts made")


# ------------------------------------------------------------------------------------------
# scheduled content
# ------------------------------------------------------------------------------------------


@app.command("publish-due")
def publish_due_command(
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Publish every scheduled item that is due, once (for cron, beside or instead of the
    server's scheduler; several may run at once, each item is published by one of them)."""
    from domain.services.scheduling import publish_due

    with console.status("Publishing due content..."):
        published = _run(_database(database), publish_due)
    console.print(f"Published {published} scheduled items")


@idempotency_app.command("purge")
def idempotency_purge(
    database: str | None = typer.Option(None, "--database", help=DATABASE_OPTION_HELP),
) -> None:
    """Delete Idempotency-Key records older than 24 hours (servers also do this hourly)."""
    from domain.idempotency.store import IdempotencyStore

    async def work(db: Database) -> int:
        return await IdempotencyStore(db).purge()

    removed = _run(_database(database), work)
    console.print(f"Removed {removed} expired idempotency keys")


# ------------------------------------------------------------------------------------------
# loadtest
# ------------------------------------------------------------------------------------------


@app.command()
def loadtest(
    scenario: str = typer.Option("small", help="Named size from simulator/sizes.py: small, large"),
    database: str | None = typer.Option(
        None, "--database", help="Database to seed and serve (default: a SQLite file in --out)"
    ),
    workers: int = typer.Option(1, min=1, help="Server worker processes"),
    users: int | None = typer.Option(None, min=1, help="Simulated users (default: by size)"),
    duration: str = typer.Option("60s", help="How long Locust runs: 30s, 5m, 1h"),
    members: int | None = typer.Option(None, min=1, help="Members to seed (default: by size)"),
    out: Path = typer.Option(Path("loadtest-report"), help="Where CSV, HTML and logs go"),
    max_p95_ms: float = typer.Option(1000.0, help="Fail when an operation's p95 passes this"),
    max_failure_ratio: float = typer.Option(0.01, help="Fail when failures pass this ratio"),
    personas: str | None = typer.Option(
        None,
        help="Only these personas, comma-separated: DashboardReader, CommunityManager, "
        "Integration (default: all three, by their weights)",
    ),
) -> None:
    """Seed a database, serve it, run the Locust personas headless, report and judge."""
    from api import loadtest as lt
    from api import soak

    if scenario not in ("small", "large"):
        raise typer.BadParameter("choose small or large", param_hint="--scenario")
    try:
        chosen = lt.personas_named(personas)
    except ValueError as refused:
        raise typer.BadParameter(str(refused), param_hint="--personas") from refused
    shape = lt.profile(scenario)
    seconds = _seconds(duration)
    count = users or shape.users
    out.mkdir(parents=True, exist_ok=True)
    url = database or f"sqlite+aiosqlite:///{out.resolve() / 'loadtest.db'}"

    console.print(f"Seeding [bold]{scenario}[/bold] ({members or shape.members:,} members)")
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn())

    async def work(db: Database) -> dict[str, list[str]]:
        with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
            return await lt.seed_for_load(
                db, members or shape.members, shape.communities, count, _SeedProgress(bar)
            )

    keys = _run(Database(url, pool_size=2, cross_tenant=True), work)
    keys_file = lt.write_keys(keys, out / "keys.json")
    with (
        lt.serving(url, workers, out / "server.log") as served,
        soak.MemorySampler(served.pid, out / "server_memory.csv"),
    ):
        console.print(
            f"Serving on {served.host} with {workers} worker(s); {count} users for {seconds} s"
            f" ({', '.join(chosen)})"
        )
        load = (count, shape.spawn_rate, seconds, chosen)
        _locust_with_progress(lt, served.host, keys_file, load, out)
    stats = lt.read_stats(out / "locust_stats.csv")
    _print_load_report(stats)
    minutes = soak.read_minutes(lt.minutes_file(out / "locust"), out / "server_memory.csv")
    _print_minutes(minutes)
    console.print(f"Reports: {out / 'locust.html'}, {out / 'locust_stats.csv'}, "
                  f"{out / 'locust_minutes.csv'}, server log {out / 'server.log'}")  # fmt: skip
    reasons = lt.verdict(stats, max_failure_ratio, max_p95_ms)
    for reason in reasons:
        errors.print(f"[red]failed[/red] {reason}")
    if reasons:
        raise typer.Exit(1)
    console.print("[green]passed[/green]")


def _seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    if not value.isdigit() or int(value) < 1:
        raise typer.BadParameter("write a duration as 30s, 5m or 1h", param_hint="--duration")
    return int(value) * units[unit]


def _locust_with_progress(
    lt: object, host: str, keys: Path, load: tuple[int, float, int, tuple[str, ...]], out: Path
) -> None:
    users, rate, seconds, personas = load
    run_locust = lt.run_locust  # type: ignore[attr-defined]
    process = run_locust(host, keys, users, rate, seconds, out / "locust", personas)
    columns = (TextColumn("{task.description:<16}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("locust", total=seconds)
        started = time.monotonic()
        while process.poll() is None:
            bar.update(task, completed=min(time.monotonic() - started, seconds))
            time.sleep(0.5)
        bar.update(task, completed=seconds)
    if not (out / "locust_stats.csv").exists():
        errors.print(f"Locust wrote no statistics; see {out / 'locust_locust.log'}")
        raise typer.Exit(2)


def _print_load_report(stats: list[Any]) -> None:
    table = Table(title="Load test")
    for name in ("operation", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(name, justify="left" if name == "operation" else "right")
    for row in stats:
        table.add_row(
            row.name, f"{row.requests:,}", f"{row.failures:,}", f"{row.rps:,.1f}",
            f"{row.p50:,.0f}", f"{row.p95:,.0f}", f"{row.p99:,.0f}",
        )  # fmt: skip
    console.print(table)


def _print_minutes(minutes: list[Any]) -> None:
    """Each minute's latency and each worker's memory, then how much they moved (soak tests)."""
    from api.soak import drift

    pids = sorted({pid for minute in minutes for pid in minute.rss_mb})
    table = Table(title="Minute by minute (start-up queries left out)")
    for name in ("minute", "requests", "failures", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(name, justify="right")
    for pid in pids:
        table.add_column(f"RSS MB {pid}", justify="right")
    for m in minutes:
        memory = [f"{m.rss_mb[pid]:,.1f}" if pid in m.rss_mb else "" for pid in pids]
        table.add_row(
            str(m.index), f"{m.requests:,}", f"{m.failures:,}",
            f"{m.p50:,.0f}", f"{m.p95:,.0f}", f"{m.p99:,.0f}", *memory,
        )  # fmt: skip
    console.print(table)
    moved = drift(minutes)
    if moved is None:
        return
    console.print(
        f"p95 over the full minutes: median {moved.median_p95:,.0f} ms, first "
        f"{moved.first_p95:,.0f} ms, last {moved.last_p95:,.0f} ms"
    )
    for pid, (first, last) in moved.rss_mb.items():
        console.print(f"worker {pid}: RSS {first:,.1f} -> {last:,.1f} MB ({last - first:+,.1f})")


# Simulator commands (`simulate`, `scenarios`) live with the simulator and join this app here.
register(app)
register_metrics(app)
register_exports(app)
register_keys(apikey_app)


if __name__ == "__main__":
    app()
