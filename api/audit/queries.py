"""The `auditLog` query: owners read what every key of their organization changed."""

from __future__ import annotations

import strawberry

from api.audit.types import KEY_TYPE, AuditEntry, AuditEntryConnection, AuditLogFilter
from api.connections import from_page, page_request
from api.errors import or_query_error
from api.ids import decode_id
from api.payloads import InputIds
from domain.audit.service import AuditFilter

# An id that names nothing this API gave out filters to no entries, as an unknown row would.
NO_ROW = -1


def audit_filter(given: AuditLogFilter | None) -> AuditFilter:
    if given is None:
        return AuditFilter()
    target_type, target_id = None, None
    if given.target_id is not None:
        target_type, target_id = decode_id(given.target_id) or (None, NO_ROW)
    key = None if given.actor_key_id is None else InputIds().of(given.actor_key_id, KEY_TYPE)
    return AuditFilter(
        action=given.action,
        actor_key_id=key,
        target_type=target_type,
        target_id=target_id,
        since=given.since,
        until=given.until,
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(description="What the organization's keys changed, newest first (owners).")
    async def audit_log(
        self,
        info: strawberry.Info,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AuditEntryConnection:
        context = info.context
        service = context.services.audit
        where = audit_filter(filter)
        request = page_request(first, after, last, before)
        page = await or_query_error(lambda: context.run(service.page, where, request))
        return from_page(
            AuditEntryConnection,
            page,
            AuditEntry.from_row,
            lambda: context.run(service.total, where),
        )
