"""What every mutation shares: decoding input ids, running one service call, userErrors."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from api.errors import UserError, user_errors
from api.ids import decode_id_of
from domain.errors import DomainError

T = TypeVar("T")


class InputIds:
    """Row ids of the global ids in one mutation's input.

    An id that is malformed or names the wrong type becomes a negative number no row has, so
    the domain reports it NOT_FOUND exactly as it reports an unknown or foreign id; each gets
    its own number, so two bad ids are never mistaken for the same object.
    """

    def __init__(self) -> None:
        self._missing = itertools.count(-1, -1)

    def of(self, value: strawberry.ID, type_name: str) -> int:
        row_id = decode_id_of(value, {type_name})
        return next(self._missing) if row_id is None else row_id

    def maybe(self, value: strawberry.ID | None, type_name: str) -> int | None:
        return None if value is None else self.of(value, type_name)


async def perform(
    info: strawberry.Info, call: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run one service call; its domain refusal becomes userErrors and writes nothing."""
    context = info.context
    try:
        result = await context.run(call)
    except DomainError as error:
        return None, user_errors(error)
    context.after_write()
    return result, []
