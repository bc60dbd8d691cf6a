"""CRM exports over HTTP (`GET /export/{kind}.{csv|ndjson}`) and from `townsquare export`.

Both stream `domain.exports` batch by batch; ids come out as the API's global ids, so a CRM
row can be looked up again with `node(id:)`. The HTTP endpoint takes the same API keys and
short-lived tokens as `/graphql`; exports hold personal data, so only owners, managers and
analysts may take them.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.auth import authenticate, unauthenticated
from api.ids import encode_id
from api.permissions import EXPORT_ROLES
from api.responses import OrjsonResponse
from domain import row_security
from domain.db import Database, configured_url
from domain.errors import DomainError, Unauthenticated
from domain.exports import (
    ExportFormat,
    ExportKind,
    ExportRequest,
    ExportSpec,
    count_rows,
    export_stream,
)
from domain.services.organizations import OrganizationService

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.NDJSON: "application/x-ndjson",
}


def global_ids(spec: ExportSpec) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Rewrites a row's id columns into global ids (a null reference stays null)."""
    references = [(i, c.refers_to) for i, c in enumerate(spec.columns) if c.refers_to]

    def rewrite(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for index, type_name in references:
            if values[index] is not None:
                values[index] = encode_id(type_name, values[index])
        return tuple(values)

    return rewrite


def _problem(status: int, code: str, message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return OrjsonResponse(body, status_code=status)


def parse_since(text: str | None) -> datetime | None:
    """An ISO 8601 instant; one without a zone is read as UTC."""
    if text is None or text == "":
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _export_request(request: Request, organization_id: int) -> ExportRequest:
    return ExportRequest(
        organization_id,
        ExportKind(request.path_params["kind"]),
        since=parse_since(request.query_params.get("since")),
    )


async def export_endpoint(request: Request) -> Response:
    """Stream one export to an authenticated caller; nothing is held in memory but a batch."""
    database: Database = request.app.state.database
    kind, fmt = request.path_params["kind"], request.path_params["format"]
    if kind not in ExportKind.__members__.values() or fmt not in ExportFormat.__members__.values():
        return _problem(
            404,
            "NOT_FOUND",
            f"no export {kind}.{fmt}: kinds are members, "
            "memberships, engagement; formats are csv, ndjson",
        )
    try:
        # The key lookup is the one cross-tenant read; the export itself is scoped below.
        async with database.session(cross_tenant=True) as session:
            principal = await authenticate(session, request, request.app.state.tokens)
    except Unauthenticated as reason:
        return unauthenticated(reason)
    if principal.role not in EXPORT_ROLES:
        return _problem(403, "FORBIDDEN", f"a {principal.role.value} key may not export data")
    try:
        wanted = _export_request(request, principal.organization_id)
    except ValueError:
        return _problem(400, "BAD_USER_INPUT", "`since` must be an ISO 8601 instant")
    fmt_ = ExportFormat(fmt)

    async def body() -> AsyncIterator[bytes]:
        async with database.session(organization_id=wanted.organization_id) as session:
            async for chunk in export_stream(
                session, wanted, fmt_, row_map=global_ids(wanted.spec)
            ):
                yield chunk

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Content-Disposition": f'attachment; filename="{kind}-{stamp}.{fmt}"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(body(), media_type=MEDIA_TYPES[fmt_], headers=headers)


# ------------------------------------------------------------------------------------------
# townsquare export

console = Console(stderr=True)


async def export_to(
    database: Database,
    organization_slug: str,
    wanted: Callable[[int], ExportRequest],
    fmt: ExportFormat,
    out: BinaryIO,
    progress: Progress | None = None,
) -> int:
    """Write an organization's export to `out`; returns the rows written."""
    written = 0
    async with database.session() as session:
        organization = await OrganizationService(session).by_slug(organization_slug)
        assert organization.id is not None
        # Found by slug across tenants; from here on only this organization's rows.
        await row_security.enter(session, organization.id)
        request = wanted(organization.id)
        total = await count_rows(session, request)
        task = progress.add_task(request.kind.value, total=total) if progress else None

        def advance(rows: int) -> None:
            nonlocal written
            written += rows
            if progress is not None and task is not None:
                progress.advance(task, rows)

        async for chunk in export_stream(
            session, request, fmt, row_map=global_ids(request.spec), on_batch=advance
        ):
            out.write(chunk)
    return written


def _progress(show: bool) -> AbstractContextManager[Progress | None]:
    if not show:
        return nullcontext(None)
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def register(app: typer.Typer) -> None:
    """Add `townsquare export` to the CLI."""

    @app.command("export")
    def export_command(
        kind: ExportKind = typer.Argument(..., help="members, memberships or engagement"),
        org: str = typer.Option(..., "--org", help="Organization slug"),
        fmt: ExportFormat = typer.Option(ExportFormat.CSV, "--format", help="csv or ndjson"),
        out: Path | None = typer.Option(None, "--out", help="File to write (default: stdout)"),
        since: str | None = typer.Option(None, help="Only rows changed since (ISO 8601)"),
        database: str | None = typer.Option(None, help="Database URL"),
    ) -> None:
        """Stream members, memberships or engagement as CSV or NDJSON for a CRM import."""
        import asyncio

        try:
            moment = parse_since(since)
        except ValueError:
            console.print("[red]error[/red] --since must be an ISO 8601 instant")
            raise typer.Exit(2) from None
        db = Database(database or configured_url(), pool_size=2, cross_tenant=True)

        def wanted(organization_id: int) -> ExportRequest:
            return ExportRequest(organization_id, kind, since=moment)

        async def work(target: BinaryIO) -> int:
            try:
                with _progress(out is not None) as progress:
                    return await export_to(db, org, wanted, fmt, target, progress)
            finally:
                await db.dispose()

        try:
            if out is None:
                rows = asyncio.run(work(sys.stdout.buffer))
            else:
                with out.open("wb") as target:
                    rows = asyncio.run(work(target))
        except DomainError as error:
            console.print(f"[red]error[/red] {error}")
            raise typer.Exit(1) from None
        if out is not None:
            console.print(f"Wrote {rows} {kind.value} rows to {out}")
