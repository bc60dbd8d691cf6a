"""GraphQL types of API keys: what a key is called, may do and when it was last used.

The secret itself is never a field: `apiKeyCreate` returns it once, beside the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.connections import Connection
from api.enums import Role
from api.nodes import load_nodes
from api.permissions import may_see_node
from domain.entities import ApiKey as ApiKeyRow


@strawberry.type(description="An API key of the organization (its secret is never shown again).")
class ApiKey(relay.Node):
    id: relay.NodeID[int]
    name: str
    prefix: str = strawberry.field(description="The key's first characters, to recognise it.")
    role: Role
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(
        description="When the key (or a token made from it) last called, to the minute."
    )
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> ApiKey:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            role=Role(row.role),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        if not may_see_node("ApiKey", info.context.principal.role):
            return [None for _ in node_ids]
        return await load_nodes(info.context.loaders.keys.keys, cls.from_row, node_ids)


@strawberry.type(description="A page of API keys, newest first.")
class ApiKeyConnection(Connection[ApiKey]):
    pass
