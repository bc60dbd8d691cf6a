"""`node(id:)` and `nodes(ids:)`: any object by its global id, through the types' DataLoaders.

An id that is malformed, names no Node type, or names a row the caller's organization does not
have all resolve to null, so nobody can tell another tenant's ids from ids that never existed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types.base import StrawberryObjectDefinition

from api.ids import decode_id

MAX_NODES = 100
R = TypeVar("R")


async def load_nodes(
    loader: DataLoader[int, R | None], convert: Callable[[R], Any], node_ids: Iterable[str]
) -> list[Any]:
    """What every Node type's `resolve_nodes` does: load rows by id, None where absent."""
    rows = await loader.load_many([int(i) for i in node_ids])
    return [None if row is None else convert(row) for row in rows]


def node_type_named(info: strawberry.Info, type_name: str) -> type[relay.Node] | None:
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    origin = definition.origin
    if not isinstance(origin, type) or not issubclass(origin, relay.Node):
        return None
    return origin


async def resolve_global_id(info: strawberry.Info, value: str) -> relay.Node | None:
    decoded = decode_id(value)
    if decoded is None:
        return None
    node_type = node_type_named(info, decoded[0])
    if node_type is None:
        return None
    found = await node_type.resolve_nodes(info=info, node_ids=[str(decoded[1])])  # type: ignore[misc]
    return next(iter(found), None)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when it is not yours.")
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> relay.Node | None:
        return await resolve_global_id(info, id)

    @strawberry.field(
        description=f"Objects by global id, in order, null where unknown; at most {MAX_NODES}."
    )
    async def nodes(
        self, info: strawberry.Info, ids: list[strawberry.ID]
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise GraphQLError(
                f"`ids` may hold at most {MAX_NODES} ids",
                extensions={"code": "OUT_OF_RANGE", "field": ["ids"]},
            )
        # Gathered, so the loaders see every id of a type in one batch.
        found: Sequence[relay.Node | None] = await asyncio.gather(
            *(resolve_global_id(info, value) for value in ids)
        )
        return list(found)
