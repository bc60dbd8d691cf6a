"""Auditing a write without touching its service: a scope on the session, filled by flushes.

The caller (the API's mutation path, the CLI) opens `audited(session, scope)` around one
service call. Every flush inside it notes which rows changed; `domain.db.transaction` calls
`stage` just before it commits, which adds the one audit row of the scope to that same
transaction. A write that fails rolls its audit row back with it; a call that never reaches a
commit (refused input) writes none. The row's target is the changed row whose type the action
is named after (`membershipUpdate` -> Membership), as mutations are named object-first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from domain.audit.tables import AuditEntry

SCOPE_KEY = "townsquare.audit_scope"


@dataclass
class AuditScope:
    """Who is writing, by which action, in which request; and what the flushes changed."""

    organization_id: int
    actor_key_id: int | None
    actor: str
    action: str
    request_id: str | None = None
    touched: dict[str, list[int]] = field(default_factory=dict)
    staged: AuditEntry | None = None
    committed: bool = False

    def note(self, row: Any) -> None:
        row_id = getattr(row, "id", None)
        if isinstance(row, AuditEntry) or not isinstance(row_id, int):
            return
        ids = self.touched.setdefault(type(row).__name__, [])
        if row_id not in ids:
            ids.append(row_id)

    def target(self) -> tuple[str | None, int | None]:
        """The changed rows' type the action is named after, and its id when there is one."""
        action = self.action.lower()
        named = [name for name in self.touched if action.startswith(name.lower())]
        if not named:
            return None, None
        # `membershipUpdate` names Membership, not Member: the longest name wins.
        chosen = max(named, key=len)
        ids = self.touched[chosen]
        return chosen, ids[0] if len(ids) == 1 else None


@contextmanager
def audited(session: AsyncSession, scope: AuditScope) -> Iterator[AuditScope]:
    """Audit the writes of the block as one action."""
    session.info[SCOPE_KEY] = scope
    try:
        yield scope
    finally:
        session.info.pop(SCOPE_KEY, None)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _flush: UOWTransaction) -> None:
    scope: AuditScope | None = session.info.get(SCOPE_KEY)
    if scope is None or scope.committed:
        return
    for row in (*session.new, *session.dirty, *session.deleted):
        scope.note(row)


async def stage(session: AsyncSession) -> None:
    """Add the scope's audit row to the transaction about to commit (once per scope)."""
    scope: AuditScope | None = session.info.get(SCOPE_KEY)
    if scope is None or scope.committed:
        return
    # Flush first, so the rows of this transaction are noted before the target is chosen.
    await session.flush()
    target_type, target_id = scope.target()
    if scope.staged is None:
        scope.staged = AuditEntry(
            organization_id=scope.organization_id,
            actor_key_id=scope.actor_key_id,
            actor=scope.actor,
            action=scope.action,
            request_id=scope.request_id,
        )
    scope.staged.target_type, scope.staged.target_id = target_type, target_id
    session.add(scope.staged)
    await session.flush()


def settle(session: AsyncSession, *, committed: bool) -> None:
    """After the commit (or the rollback) of a transaction that may have staged a row."""
    scope: AuditScope | None = session.info.get(SCOPE_KEY)
    if scope is None or scope.staged is None:
        return
    if committed:
        scope.committed = True
    else:
        # The row rolled back with the write; a later transaction of the scope stages anew.
        scope.staged = None
