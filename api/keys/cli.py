"""`townsquare apikey list` and `apikey revoke`: the owner's key chores from a shell.

A revocation from the CLI is audited like one through the API, with `cli` as the actor, and
(when TOWNSQUARE_REDIS_URL names the servers' Redis) announced to them like one through the
API, so the key's open websockets close at once.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from api.settings import REDIS_VARIABLE
from api.subscriptions.bridge import EventBridge, broadcaster_for
from domain.audit.scope import AuditScope, audited
from domain.db import Database, configured_url
from domain.entities import ApiKey
from domain.errors import DomainError
from domain.pagination import MAX_PAGE_SIZE, PageRequest
from domain.services.apikeys import ApiKeyService
from domain.services.organizations import OrganizationService

T = TypeVar("T")
console = Console()
errors = Console(stderr=True)
DATABASE_HELP = "Database URL (default: TOWNSQUARE_DATABASE_URL or ./townsquare.db)"


def _when(value: object) -> str:
    return "-" if value is None else str(value)[:19].replace("T", " ")


async def _keys(database: Database, org: str) -> list[ApiKey]:
    async with database.session() as session:
        organization = await OrganizationService(session).by_slug(org)
        assert organization.id is not None
        service = ApiKeyService(session, organization.id)
        keys: list[ApiKey] = []
        request = PageRequest(first=MAX_PAGE_SIZE)
        while True:
            page = await service.page(request)
            keys += page.items
            if not page.has_next:
                return keys
            request = PageRequest(first=MAX_PAGE_SIZE, after=page.end_cursor)


async def _revoke(database: Database, org: str, key_id: int | None, prefix: str | None) -> ApiKey:
    async with _announced(database):
        return await _revoke_in(database, org, key_id, prefix)


@asynccontextmanager
async def _announced(database: Database) -> AsyncIterator[None]:
    """With TOWNSQUARE_REDIS_URL set, publish what commits to the servers' live channel too,
    so a revoked key's open websockets close at once instead of at the servers' next recheck."""
    url = os.environ.get(REDIS_VARIABLE)
    if not url:
        yield
        return
    bridge = EventBridge(database, broadcaster_for(url), debounce_seconds=0)
    try:
        yield
    finally:
        await bridge.close()


async def _revoke_in(
    database: Database, org: str, key_id: int | None, prefix: str | None
) -> ApiKey:
    async with database.session() as session:
        organization = await OrganizationService(session).by_slug(org)
        assert organization.id is not None
        service = ApiKeyService(session, organization.id)
        scope = AuditScope(organization.id, None, "cli", "apiKeyRevoke")
        with audited(session, scope):
            if key_id is not None:
                return await service.revoke(key_id)
            assert prefix is not None
            return await service.revoke_by_prefix(prefix)


def _run_on(url: str | None, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        # Admin commands work on every organization: past PostgreSQL's row-level security.
        database = Database(url or configured_url(), pool_size=2, cross_tenant=True)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        for problem in error.problems:
            errors.print(f"[red]error[/red] {'.'.join(problem.field)}: {problem.message}")
        raise typer.Exit(1) from error


def register(apikey_app: typer.Typer) -> None:
    """Add `list` and `revoke` to the `apikey` command group."""

    @apikey_app.command("list")
    def apikey_list(
        org: str = typer.Option(..., "--org", help="Slug of the organization"),
        database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    ) -> None:
        """List an organization's keys, newest first (never their secrets)."""
        keys = _run_on(database, lambda db: _keys(db, org))
        table = Table("id", "prefix", "name", "role", "created", "last used", "revoked")
        for key in keys:
            table.add_row(
                str(key.id),
                key.prefix,
                key.name,
                key.role,
                _when(key.created_at),
                _when(key.last_used_at),
                _when(key.revoked_at),
            )
        console.print(table)

    @apikey_app.command("revoke")
    def apikey_revoke(
        org: str = typer.Option(..., "--org", help="Slug of the organization"),
        key_id: int | None = typer.Option(None, "--id", help="The key's id (see `apikey list`)"),
        prefix: str | None = typer.Option(None, "--prefix", help="The key's shown prefix"),
        database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    ) -> None:
        """Revoke a key: it stops working on its next request, and so do its tokens."""
        if (key_id is None) == (prefix is None):
            raise typer.BadParameter("give exactly one of --id or --prefix")
        key = _run_on(database, lambda db: _revoke(db, org, key_id, prefix))
        console.print(f"Revoked key {key.id} ({key.prefix}…) of [bold]{org}[/bold].")
