"""How domain errors reach clients: `userErrors` in mutation payloads, GraphQL errors in queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError, FieldProblem

T = TypeVar("T")


@strawberry.type(description="A problem with the input of a mutation; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, e.g. [input, items, 3, contentId]."
    )
    message: str
    code: str = strawberry.field(description="A stable machine-readable code, e.g. NOT_FOUND.")


def field_path(problem: FieldProblem, root: str = "input") -> list[str]:
    # Domain paths may spell nested fields with dots ("interests.0.topicId"); GraphQL clients
    # expect one list element per step, under the mutation's `input` argument.
    steps = [step for part in problem.field for step in part.split(".") if step]
    return [root, *steps]


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError(field=field_path(p), message=p.message, code=p.code) for p in error.problems]


def query_error(error: DomainError) -> GraphQLError:
    """A GraphQL error for bad query arguments (a cursor, a page size), with a stable code."""
    first = error.problems[0] if error.problems else FieldProblem((), str(error), error.code)
    return GraphQLError(
        str(error),
        extensions={"code": first.code, "field": list(first.field)},
    )


async def or_query_error(call: Callable[[], Awaitable[T]]) -> T:
    """Run a read; a domain refusal becomes a clear GraphQL error instead of a 500."""
    try:
        return await call()
    except DomainError as error:
        raise query_error(error) from error
