"""What every mutation shares: decoding input ids, running one service call, userErrors."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from api.access import request_record
from api.errors import UserError, user_errors
from api.ids import decode_id_of
from domain.audit.scope import AuditScope, audited
from domain.errors import DomainError

T = TypeVar("T")


def expected_version() -> Any:
    """The `expectedVersion` field of an update input (a new field object for each input)."""
    return strawberry.field(
        default=None,
        description="The `version` you read; if the object has changed since, the update is "
        "a CONFLICT user error and changes nothing. Leave it out to overwrite regardless.",
    )


class InputIds:
    """Row ids of the global ids in one mutation's input.

    An id that is malformed or names the wrong type becomes a negative number no row has, so
    the domain reports it NOT_FOUND exactly as it reports an unknown or foreign id; each gets
    its own number, so two bad ids are never mistaken for the same object.
    """

    def __init__(self) -> None:
        self._missing = itertools.count(-1, -1)
        # A batch names the same few objects many times: decode each id once.
        self._known: dict[tuple[str, str], int] = {}

    def of(self, value: strawberry.ID, type_name: str) -> int:
        found = self._known.get((value, type_name))
        if found is not None:
            return found
        row_id = decode_id_of(value, {type_name})
        if row_id is None:
            return next(self._missing)
        self._known[(value, type_name)] = row_id
        return row_id

    def maybe(self, value: strawberry.ID | None, type_name: str) -> int | None:
        return None if value is None else self.of(value, type_name)


async def perform(
    info: strawberry.Info, call: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run one service call; its domain refusal becomes userErrors and writes nothing.

    The call is audited as the mutation's name: its transaction also writes the audit row.
    """
    context = info.context
    try:
        with audited(context.session, audit_scope(info)):
            result = await context.run(call)
    except DomainError as error:
        return None, user_errors(error)
    context.after_write()
    return result, []


def audit_scope(info: strawberry.Info) -> AuditScope:
    """Who calls, which mutation (its field name, not an alias) and the request's id."""
    principal = info.context.principal
    record = request_record(info.context.request.scope)
    return AuditScope(
        organization_id=principal.organization_id,
        actor_key_id=principal.key_id,
        actor=f"api_key:{principal.key_id}",
        action=info.field_name,
        request_id=None if record is None else record.request_id,
    )
