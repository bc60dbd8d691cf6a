"""The request time limit: an HTTP GraphQL request that runs too long is cut off, with nothing
half-written, and answered 503 `TIMEOUT`.

The limit is an `asyncio.timeout` around execution: at the deadline the request's task is
cancelled at whatever it awaits, a transaction in progress rolls back (`domain.db.transaction`
rolls back on any exception), and the client hears 503, which says "nothing happened, retry
later" (the Idempotency-Key middleware stores no 5xx, so a keyed retry runs afresh).

A commit is the one moment the limit must not cut: cancelled while COMMIT is on the wire, a
request could answer TIMEOUT for a write that happened. So the deadline is checked just before
each commit of a transaction that wrote (past it, the commit is refused and the transaction
rolls back), and once such a commit has begun the limit is off for the rest of the request:
what committed is answered truthfully. Commits of transactions that only read (a write begins
by closing the read transaction before it) keep the limit. Once the response has started, the
limit is off too (one cannot answer twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState

TIMEOUT = "TIMEOUT"


class DeadlinePassed(Exception):
    """Raised before a commit that would come after the deadline: the write is rolled back."""


class Deadline:
    """One request's time limit, given up for good at its first writing commit or response."""

    def __init__(self, timeout: asyncio.Timeout) -> None:
        self.timeout = timeout
        # Whether the transaction in progress has written (flushed or run DML) anything.
        self.wrote = False

    def expired(self) -> bool:
        return self.timeout.expired()

    def give_up(self) -> None:
        self.timeout.reschedule(None)

    def flushed(self, _session: Any, _context: Any) -> None:
        self.wrote = True

    def executing(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            self.wrote = True

    def rolled_back(self, _session: Any) -> None:
        self.wrote = False

    def before_commit(self, _session: Any) -> None:
        if not self.wrote:
            # A transaction that only read (every write begins by closing one): cutting it
            # loses nothing, so the limit stays.
            return
        if self.timeout.expired():
            raise DeadlinePassed("the request ran past its time limit")
        # From here COMMIT goes to the database: what it does, the request answers.
        self.give_up()


@contextmanager
def guarding_commits(session: AsyncSession, deadline: Deadline) -> Iterator[None]:
    """Let `deadline` see the writes and commits of `session` while the block runs."""
    target = session.sync_session
    hooks: list[tuple[str, Callable[..., None]]] = [
        ("after_flush", deadline.flushed),
        ("do_orm_execute", deadline.executing),
        ("after_rollback", deadline.rolled_back),
        ("before_commit", deadline.before_commit),
    ]
    for name, hook in hooks:
        event.listen(target, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(target, name, hook)
