"""Health endpoints for load balancers and orchestrators: alive, and ready to serve."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from api.responses import OrjsonResponse
from domain.db import Database
from domain.schema_version import pending_migrations

log = logging.getLogger(__name__)


async def healthz(request: Request) -> Response:
    """The process is up; says nothing about the database on purpose (a liveness probe)."""
    return OrjsonResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 when the database answers and its schema is current; 503 saying what is wrong."""
    database: Database = request.app.state.database
    try:
        # Reading the migration state is itself the round trip that proves the database answers.
        pending = await pending_migrations(database)
    except Exception as error:
        # Any failure to reach the database means "not ready", never a crash of the probe.
        log.warning("readiness check failed: %s", error)
        down = {"status": "unavailable", "database": "unreachable", "migrations": "unknown"}
        return OrjsonResponse(down, status_code=503)
    if pending:
        body: dict[str, object] = {
            "status": "unavailable",
            "database": "ok",
            "migrations": "pending",
            "pending": pending,
        }
        return OrjsonResponse(body, status_code=503)
    return OrjsonResponse({"status": "ready", "database": "ok", "migrations": "current"})
