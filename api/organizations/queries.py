"""Top-level queries of the organizations area: the viewer."""

from __future__ import annotations

import strawberry

from api.organizations.types import Viewer


@strawberry.type
class OrganizationQuery:
    @strawberry.field(description="The caller: its organization and role.")
    def viewer(self, info: strawberry.Info) -> Viewer:
        principal = info.context.principal
        return Viewer(role=principal.role, organization_id=principal.organization_id)
