"""Mutations of communities: create, update, archive."""

from __future__ import annotations

import strawberry

from api.communities.types import Community
from api.enums import Platform, Visibility
from api.errors import UserError
from api.payloads import InputIds, expected_version, perform
from domain.entities import Community as CommunityRow
from domain.services.communities import CommunityChanges, CommunityDraft


@strawberry.input
class CommunityCreateInput:
    name: str
    platform: Platform
    visibility: Visibility
    description: str = ""


@strawberry.input(description="Fields to change; those left out stay as they are.")
class CommunityUpdateInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    platform: Platform | None = None
    visibility: Visibility | None = None
    expected_version: int | None = expected_version()


@strawberry.input
class CommunityArchiveInput:
    id: strawberry.ID


@strawberry.type
class CommunityCreatePayload:
    community: Community | None
    user_errors: list[UserError]


@strawberry.type
class CommunityUpdatePayload:
    community: Community | None
    user_errors: list[UserError]


@strawberry.type
class CommunityArchivePayload:
    community: Community | None
    user_errors: list[UserError]


def _community(row: CommunityRow | None) -> Community | None:
    return None if row is None else Community.from_row(row)


@strawberry.type
class CommunityMutation:
    @strawberry.mutation(description="Create a community.")
    async def community_create(
        self, info: strawberry.Info, input: CommunityCreateInput
    ) -> CommunityCreatePayload:
        draft = CommunityDraft(input.name, input.platform, input.visibility, input.description)
        row, errors = await perform(info, lambda: info.context.services.communities.create(draft))
        return CommunityCreatePayload(community=_community(row), user_errors=errors)

    @strawberry.mutation(description="Change a community's name, description or settings.")
    async def community_update(
        self, info: strawberry.Info, input: CommunityUpdateInput
    ) -> CommunityUpdatePayload:
        community_id = InputIds().of(input.id, "Community")
        changes = CommunityChanges(
            name=input.name,
            description=input.description,
            platform=input.platform,
            visibility=input.visibility,
            expected_version=input.expected_version,
        )
        service = info.context.services.communities
        row, errors = await perform(info, lambda: service.update(community_id, changes))
        return CommunityUpdatePayload(community=_community(row), user_errors=errors)

    @strawberry.mutation(description="Archive a community: it stays readable, and frozen.")
    async def community_archive(
        self, info: strawberry.Info, input: CommunityArchiveInput
    ) -> CommunityArchivePayload:
        community_id = InputIds().of(input.id, "Community")
        service = info.context.services.communities
        row, errors = await perform(info, lambda: service.archive(community_id))
        return CommunityArchivePayload(community=_community(row), user_errors=errors)
