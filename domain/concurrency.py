"""Optimistic concurrency: an update names the version it read; a stale one changes nothing.

Versioned rows (community, membership, content, campaign, ...) carry `version`, which every
change raises by one. A caller that sends the version it read (`expectedVersion` in the API)
gets a CONFLICT instead of overwriting a change it never saw. The check is a conditional
UPDATE (`... WHERE id = :id AND version = :read`), so it also holds between two writers that
read the same version at the same moment: PostgreSQL makes the second wait for the first's
commit and then finds no row at that version; SQLite lets one writer in at a time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain.errors import Conflict, FieldProblem

FIELD = "expectedVersion"


def stale(what: str, expected: int, current: int | None) -> Conflict:
    now = "was changed by another write" if current is None else f"is at version {current}"
    message = (
        f"the {what} {now} since version {expected} that you sent; read it again and "
        "apply your change to what is there now"
    )
    return Conflict([FieldProblem((FIELD,), message, "CONFLICT")])


async def next_version(session: AsyncSession, row: Any, expected: int | None, what: str) -> None:
    """Raise `row` to its next version inside the caller's transaction.

    With `expected` given, a row at another version (now, or by the time this UPDATE runs)
    is a CONFLICT and nothing of the caller's transaction is kept.
    """
    read = int(row.version)
    if expected is None:
        row.version = read + 1
        return
    if expected != read:
        raise stale(what, expected, read)
    model = type(row)
    claimed = await session.execute(
        update(model)
        .where(model.id == row.id, model.version == read)
        .values(version=read + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise stale(what, expected, None)
    # The row already holds the new version in the database; the ORM must not write it again.
    set_committed_value(row, "version", read + 1)
