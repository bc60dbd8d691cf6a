"""GraphQL types of the audit log: one entry per mutation, and its connection and filter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.connections import Connection
from api.ids import encode_id
from api.nodes import load_nodes
from api.permissions import may_see_node
from domain.audit.tables import AuditEntry as AuditEntryRow

KEY_TYPE = "ApiKey"


@strawberry.type(description="One mutation that succeeded: who, what, on which object, when.")
class AuditEntry(relay.Node):
    id: relay.NodeID[int]
    action: str = strawberry.field(description="The mutation's name, e.g. communityUpdate.")
    actor: str = strawberry.field(description="Who: `api_key:<id>`, or a process such as cli.")
    actor_key_id: strawberry.ID | None = strawberry.field(
        description="The global id of the API key that called, when a key did."
    )
    target_type: str | None = strawberry.field(
        description="The type of the object the mutation changed, e.g. Community."
    )
    target_id: strawberry.ID | None = strawberry.field(
        description="The global id of that object; null when it changed several (ingestion)."
    )
    request_id: str | None = strawberry.field(description="The request's X-Request-Id.")
    occurred_at: datetime

    @classmethod
    def from_row(cls, row: AuditEntryRow) -> AuditEntry:
        assert row.id is not None
        target = None
        if row.target_type is not None and row.target_id is not None:
            target = strawberry.ID(encode_id(row.target_type, row.target_id))
        key = None if row.actor_key_id is None else encode_id(KEY_TYPE, row.actor_key_id)
        return cls(
            id=row.id,
            action=row.action,
            actor=row.actor,
            actor_key_id=None if key is None else strawberry.ID(key),
            target_type=row.target_type,
            target_id=target,
            request_id=row.request_id,
            occurred_at=row.occurred_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        if not may_see_node("AuditEntry", info.context.principal.role):
            return [None for _ in node_ids]
        return await load_nodes(info.context.loaders.audit.entries, cls.from_row, node_ids)


@strawberry.type(description="A page of audit entries, newest first.")
class AuditEntryConnection(Connection[AuditEntry]):
    pass


@strawberry.input(description="Entries to keep; fields left out keep all.")
class AuditLogFilter:
    action: str | None = strawberry.field(default=None, description="A mutation's name.")
    actor_key_id: strawberry.ID | None = None
    target_id: strawberry.ID | None = None
    since: datetime | None = None
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")
